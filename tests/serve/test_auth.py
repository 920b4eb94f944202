"""The session cookie of ``serve._auth``: who may forge one, and for how long it holds.

The HTTP side (sign-in page, cookie attributes, every route refusing without the key) is
in ``tests/attack/test_http_auth.py``; here the value itself, at chosen times.
"""

from __future__ import annotations

import pytest

from tabship.serve._auth import SESSION_SECONDS, key_matches, new_session, valid_session

KEY = "s3cret-key"
NOW = 1_800_000_000.0


def test_a_fresh_session_is_valid_and_does_not_hold_the_key() -> None:
    value = new_session(KEY, NOW)
    assert valid_session(KEY, value, NOW)
    assert KEY not in value


@pytest.mark.parametrize("age", [0, 60, SESSION_SECONDS - 1])
def test_a_session_holds_until_it_expires(age: float) -> None:
    assert valid_session(KEY, new_session(KEY, NOW - age), NOW)


@pytest.mark.parametrize("age", [SESSION_SECONDS + 1, 10 * SESSION_SECONDS, -3600])
def test_an_expired_or_future_session_is_refused(age: float) -> None:
    assert not valid_session(KEY, new_session(KEY, NOW - age), NOW)


def test_a_session_of_another_key_is_refused() -> None:
    assert not valid_session(KEY, new_session("another", NOW), NOW)


def test_a_session_with_a_changed_time_is_refused() -> None:
    version, issued, mac = new_session(KEY, NOW - 100).split(".")
    assert not valid_session(KEY, f"{version}.{int(issued) + 50}.{mac}", NOW)


@pytest.mark.parametrize(
    "value", ["", "v1", "v1..", "v2.1800000000.00", "v1.-5.00", "v1.１８.00", "v1.18.\ud800"]
)
def test_malformed_values_are_refused_without_raising(value: str) -> None:
    assert not valid_session(KEY, value, NOW)


def test_key_comparison_takes_any_text() -> None:
    assert key_matches(KEY, KEY)
    assert not key_matches(KEY, KEY + "\ud800")
    assert not key_matches(KEY, "")
