"""Pieces of the result page that need no server."""

from __future__ import annotations

import pytest

from tabship.views import share_below


@pytest.mark.parametrize(
    ("value", "share"),
    [(-5.0, 0.0), (0.0, 0.0), (10.0, 0.25), (15.0, 0.5), (20.0, 0.75), (99.0, 1.0)],
)
def test_share_below_reads_the_histogram(value: float, share: float) -> None:
    assert share_below([0, 10, 20, 30], [1, 2, 1], value) == pytest.approx(share)


def test_share_below_of_an_empty_histogram_is_zero() -> None:
    assert share_below([0, 1], [0], 0.5) == 0.0
