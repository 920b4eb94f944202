"""How the user's time budget is shared between the search and the work after it.

``--time-budget`` is a promise about the whole ``train`` call, not only the search: the
report, the holdout evaluation and the final refit must fit inside it too. The search is
therefore given what is left minus a reserve for those steps, sized from the budget (they
grow with the data, and so does the budget a user picks for larger data).

The clock itself is the search's ``Deadline`` (one clock for the whole package); this
module owns only the rules that share it out.
"""

from __future__ import annotations

from tabship.search import Deadline

__all__ = ["importance_seconds", "search_seconds"]

# After the search: a fit on the training split, permutation importance (capped at
# _IMPORTANCE_FRACTION of the budget), the refit on every row, the summary and the report.
_RESERVE_FRACTION = 0.12
_RESERVE_FLOOR_SECONDS = 2.0
_IMPORTANCE_FRACTION = 0.04


def search_seconds(deadline: Deadline) -> float:
    """Seconds the search may use, keeping a reserve for evaluation, refit and report."""
    reserve = max(_RESERVE_FLOOR_SECONDS, _RESERVE_FRACTION * deadline.seconds)
    return max(0.5, deadline.remaining() - reserve)


def importance_seconds(deadline: Deadline) -> float:
    """Seconds permutation importance may take (it subsamples rows to fit)."""
    return max(0.5, _IMPORTANCE_FRACTION * deadline.seconds)
