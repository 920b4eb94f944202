"""``/metrics`` stays bounded whatever clients send (issue 10, item 6).

Found: each request with a made-up HTTP method added 18 series; 30 such requests added
558 lines. Now an unknown method is counted as ``method="other"`` and a path that matches
no route as ``route="unmatched"``, so hostile traffic adds a few series once, not per
request.
"""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

pytestmark = [pytest.mark.attack, pytest.mark.integration]

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
ROUTES = {
    "/",
    "/login",
    "/logout",
    "/predict",
    "/predict/csv",
    "/health",
    "/ready",
    "/metadata",
    "/metrics",
    "/feedback",
    "/monitor",
    "/monitor.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/openapi.json",
    "/static",
    "/static-offline-docs",
    "unmatched",
}


@pytest.fixture(scope="module")
def base(trained_model, live_server) -> str:
    # An option no other test passes: this server's metrics see only this module.
    return live_server(trained_model("insurance"), "--max-records", "9999")


def series(base: str) -> list[str]:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    return [line for line in text.splitlines() if line.startswith("tabship_http_")]


def hostile_requests(base: str, n: int) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(n):
            made_up = "X" + secrets.token_hex(4).upper()
            client.request(made_up, "/predict")
            client.request(made_up, f"/{secrets.token_hex(6)}")
            client.get(f"/{secrets.token_hex(6)}/{secrets.token_hex(3)}")
            client.get(f"/static/{secrets.token_hex(6)}.css")


def test_made_up_methods_and_paths_add_a_bounded_set_of_series(base: str) -> None:
    series(base)  # /metrics counts itself from its second answer on
    hostile_requests(base, 3)  # the "other" and "unmatched" series now exist
    before = series(base)
    hostile_requests(base, 30)
    after = series(base)
    assert len(after) == len(before), sorted(set(after) - set(before))[:20]


def test_every_label_value_is_from_a_bounded_set(base: str) -> None:
    hostile_requests(base, 5)
    lines = series(base)
    methods = set(re.findall(r'method="([^"]*)"', "\n".join(lines)))
    routes = set(re.findall(r'route="([^"]*)"', "\n".join(lines)))
    statuses = set(re.findall(r'status="([^"]*)"', "\n".join(lines)))
    assert methods <= KNOWN_METHODS, methods
    assert "other" in methods
    assert routes <= ROUTES, routes
    assert "unmatched" in routes
    assert all(re.fullmatch(r"[1-5]\d\d", s) for s in statuses), statuses
