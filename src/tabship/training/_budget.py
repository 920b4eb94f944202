"""How the user's time budget is shared between the search and the work after it.

``--time-budget`` is a promise about the whole ``train`` call, not only the search: the
report, the holdout evaluation and the final refit must fit inside it too. The search is
therefore given what is left minus a reserve for those steps, sized from the budget (they
grow with the data, and so does the budget a user picks for larger data).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Clock"]

# After the search: a fit on the training split, permutation importance (capped at
# _IMPORTANCE_FRACTION of the budget), the refit on every row, the summary and the report.
_RESERVE_FRACTION = 0.12
_RESERVE_FLOOR_SECONDS = 2.0
_IMPORTANCE_FRACTION = 0.04


@dataclass
class Clock:
    """Wall-clock time since ``train`` started, against the user's budget."""

    budget: float
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def remaining(self) -> float:
        return self.budget - self.elapsed

    def search_share(self) -> float:
        """Seconds the search may use, keeping a reserve for evaluation, refit and report."""
        reserve = max(_RESERVE_FLOOR_SECONDS, _RESERVE_FRACTION * self.budget)
        return max(0.5, self.remaining - reserve)

    def importance_share(self) -> float:
        """Seconds permutation importance may take (it subsamples rows to fit)."""
        return max(0.5, _IMPORTANCE_FRACTION * self.budget)
