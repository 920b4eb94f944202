"""The caller's work after the search (two refits, importance, a forest's save): its
cost and its hold.

``train`` refits the winner twice, measures permutation importance with it and saves it
inside the same budget. The search estimates that work from each row's measured fold
fits, keeps it free of tuning while it runs, and at the end picks the best row whose
work still fits.
"""

from __future__ import annotations

import numpy as np

from tabship.evaluate import greater_is_better
from tabship.search._budget import Deadline
from tabship.search._cv import CVData, CVResult, summed_costs
from tabship.search._rows import Row

__all__ = ["AfterSearch", "affordable", "allowed_seconds"]

# Saving a forest (skops' state of every node, then deflated) cost 6.4 us a node here:
# 3.5 s for insurance's 200 ExtraTrees of 534,000 nodes, 15 times their fit. Unbounded
# trees grow a leaf per few rows, so without this a forest member could win on its fit
# time and then overrun the budget in the save (30 MB, 3.7 s of a 20 s run).
_SAVE_SECONDS_PER_TREE_NODE = 6.5e-6
# The final model sees the caller's held-out rows too (a fifth more by default; the
# same 1.25 as the refit's share of ``2.25``); a forest's nodes grow with its rows.
_FINAL_ROWS = 1.25


class AfterSearch:
    """The caller's work after the search (two refits, importance, a forest's save) and
    the time it holds.

    A row's cost is estimated from its measured fold fits; while the search runs, the
    cost of the two best rows so far (the winner, or an ensemble of the two) is held on
    ``deadline`` so that no tuning trial eats into it. Without a deadline nothing is held.
    """

    def __init__(
        self,
        cv: CVData,
        n_features: int,
        importance_seconds: float | None,
        deadline: Deadline | None,
    ) -> None:
        self.cv = cv
        self.n_features = n_features
        self.importance_seconds = importance_seconds
        self.deadline = deadline

    def seconds(self, result: CVResult) -> float:
        """Two refits on all rows, 5-repeat permutation importance on the test rows, and
        the save of the trees a forest grows."""
        cv = self.cv
        grown = cv.n_folds / (cv.n_folds - 1)  # a fold's training rows -> all rows
        refit = result.fit_seconds * grown
        save = _SAVE_SECONDS_PER_TREE_NODE * _FINAL_ROWS * grown * result.tree_nodes
        if self.importance_seconds is None:
            return 2.25 * refit + save
        n_test = min(5000, len(cv.y) / 4)
        importance = self.n_features * 5 * n_test * result.predict_us_per_row / 1e6
        return 2.25 * refit + min(importance, self.importance_seconds) + save

    def keep(self, rows: list[Row], candidate: CVResult | None = None) -> None:
        """Hold the cost of the two best of ``rows`` (and of a tuning ``candidate``), as
        that of their ensemble: both are refitted, the importance is measured once under
        its cap (holding each row's capped importance held the cap twice: 0.8 s of a
        20 s adult run)."""
        if self.deadline is None:
            return
        sign = -1.0 if greater_is_better(self.cv.metric) else 1.0
        scored = [(sign * r.mean(), r.cv) for r in rows]
        if candidate is not None:
            value = float(np.mean(self.cv.fold_scores(self.cv.metric, candidate.oof)))
            scored.append((sign * value, candidate))
        scored.sort(key=lambda pair: pair[0])
        best = [result for _, result in scored[:2]]
        self.deadline.hold(self.seconds(summed_costs(best, best[0].oof)))

    def left(self, time_budget: float) -> float:
        """Seconds the caller will have for this work once the search returns."""
        if self.deadline is None:
            return max(2.0, 0.3 * time_budget)
        unheld = self.deadline.remaining() + self.deadline.held
        return unheld + time_budget - self.deadline.seconds


def affordable(ranked: list[Row], after: AfterSearch, allowed: float) -> Row:
    """The best row whose work after the search (two refits, importance) fits in
    ``allowed`` seconds (``allowed_seconds``)."""
    return next(row for row in ranked if after.seconds(row.cv) <= allowed)


def allowed_seconds(rows: list[Row], after: AfterSearch, time_budget: float) -> float:
    """What the chosen row's work after the search may cost.

    When even the cheapest row does not fit (the preprocessing dominates on wide or big
    data), rows costing up to twice the cheapest stay eligible: the caller pays that
    cost whichever row wins, so only the extra matters.
    """
    cheapest = min(after.seconds(row.cv) for row in rows)
    return max(after.left(time_budget), 2.0 * cheapest)
