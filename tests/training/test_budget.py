"""How ``train`` shares its budget: the rules, on the search's clock (a fake one here)."""

from __future__ import annotations

import pytest

from tabship.search import Deadline
from tabship.training._budget import BudgetShares


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("budget", "spent", "search", "cap"),
    [
        (60.0, 0.0, 60.0 - 4.8, 2.4),  # the reserve is 8 % of the budget
        (60.0, 2.0, 58.0 - 4.8, 2.4),  # ... of what is left after reading the data
        (60.0, 10.0, 50.0 - 15.0, 2.4),  # or 1.5 x the time reading and importing took
        (10.0, 1.0, 9.0 - 2.0, 0.5),  # the reserve's floor is 2 s, the importance cap's 0.5 s
        (5.0, 4.0, 0.5, 0.5),  # the search always gets half a second
        (300.0, 0.0, 276.0, 12.0),
    ],
)
def test_search_share_and_importance_cap(budget, spent, search, cap):
    clock = FakeClock()
    deadline = Deadline(budget, clock=clock)
    clock.now += spent
    shares = BudgetShares(deadline)
    assert shares.search_seconds() == pytest.approx(search)
    assert shares.importance_cap() == pytest.approx(cap)


@pytest.mark.parametrize(
    ("spent", "refit", "importance", "refits"),
    [
        (40.0, 5.0, 2.4, True),  # 20 s left: the cap
        (50.0, 4.0, 1.2, True),  # 10 s left - 4 s refit - 4.8 s reserve
        (51.0, 4.0, 0.2, True),  # the importance's floor; the refit takes 3 s of 10 % slack
        (55.0, 4.0, 0.2, False),  # 5 s left < 4 s + 4.8 s - 3 s: no refit
        (61.0, 0.0, 0.2, False),  # past the budget
    ],
)
def test_after_the_search_the_shares_come_from_the_measured_refit(spent, refit, importance, refits):
    clock = FakeClock()
    deadline = Deadline(60.0, clock=clock)
    shares = BudgetShares(deadline)  # made at 0 s: the reserve is 8 % of the budget
    clock.now += spent
    assert shares.importance_seconds(refit) == pytest.approx(importance)
    assert shares.refit_fits(refit) is refits


IMPORTED_AT_THE_SEARCH = r"""
import sys, tabship
seen = []

def progress(line):
    if line.startswith("searching ") and not seen:  # the search's first line
        seen.append([name for name in ("skops.io", "matplotlib.figure") if name in sys.modules])

tabship.train(sys.argv[1], target="charges", time_budget=3, progress=progress)
print(seen[0] if seen else "no progress")
"""


@pytest.mark.slow
def test_the_save_and_report_libraries_are_imported_before_the_search():
    """Their import (1-4 s on a busy machine) must come out of the search's share, which
    the deadline bounds, not run after it and overrun the budget (ensembles on small
    tables took 24.7-25.4 s at 20 s). A fresh interpreter: nothing imported yet."""
    import subprocess
    import sys

    from tests.conftest import dataset_path

    done = subprocess.run(
        [sys.executable, "-c", IMPORTED_AT_THE_SEARCH, str(dataset_path("insurance.csv"))],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "['skops.io', 'matplotlib.figure']"
