"""How ``train`` shares its budget: the rules, on the search's clock (a fake one here)."""

from __future__ import annotations

import pytest

from tabship.search import Deadline
from tabship.training._budget import importance_seconds, search_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("budget", "spent", "search", "importance"),
    [
        (60.0, 0.0, 60.0 - 7.2, 2.4),  # the reserve is 12 % of the budget
        (60.0, 10.0, 50.0 - 7.2, 2.4),  # ... of what is left after reading the data
        (10.0, 1.0, 9.0 - 2.0, 0.5),  # the reserve's floor is 2 s, importance's 0.5 s
        (5.0, 4.0, 0.5, 0.5),  # the search always gets half a second
        (300.0, 0.0, 264.0, 12.0),
    ],
)
def test_search_and_importance_shares(budget, spent, search, importance):
    clock = FakeClock()
    deadline = Deadline(budget, clock=clock)
    clock.now += spent
    assert search_seconds(deadline) == pytest.approx(search)
    assert importance_seconds(deadline) == pytest.approx(importance)
