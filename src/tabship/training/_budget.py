"""How the user's time budget is shared between the search and the work after it.

``--time-budget`` is a promise about the whole ``train`` call, not only the search: the
holdout fit, the importance, the final refit, the summary, the report and the save that
follows must fit inside it too. The work that grows with the chosen model (the two fits
and the importance) is held by the search itself, from the fit times it measured (see
``search(keep_for_refits=True)``); what is kept here is the reserve for the rest (report,
summary, explanation background, the save with its scoring plan), sized from the budget.

After the search the shares come from measured times: the final refit is expected to
cost the holdout fit scaled to all rows, and the importance gets what is left of its cap.

The clock itself is the search's ``Deadline`` (one clock for the whole package); this
module owns only the rules that share it out.
"""

from __future__ import annotations

from tabship.search import Deadline

__all__ = [
    "importance_cap",
    "importance_seconds",
    "refit_fits",
    "reserve_seconds",
    "search_seconds",
]

# The report, the summary and the save (plan compile, pipeline dump; in a fresh process
# they import plotting and skops): 2-5 s measured on a busy 2-core machine.
_RESERVE_FRACTION = 0.08
_RESERVE_FLOOR_SECONDS = 3.0
_IMPORTANCE_FRACTION = 0.04
_IMPORTANCE_FLOOR_SECONDS = 0.2
_REFIT_SLACK_FRACTION = 0.05


def reserve_seconds(deadline: Deadline) -> float:
    """Seconds kept for the report, the summary and the save."""
    return max(_RESERVE_FLOOR_SECONDS, _RESERVE_FRACTION * deadline.seconds)


def search_seconds(deadline: Deadline) -> float:
    """Seconds the search may use (its refits and importance held inside it)."""
    return max(0.5, deadline.remaining() - reserve_seconds(deadline))


def importance_cap(deadline: Deadline) -> float:
    """The most permutation importance may take (it subsamples rows to fit)."""
    return max(0.5, _IMPORTANCE_FRACTION * deadline.seconds)


def importance_seconds(deadline: Deadline, refit_seconds: float) -> float:
    """Seconds for the importance now: its cap, or what the refit and reserve leave."""
    left = deadline.remaining() - refit_seconds - reserve_seconds(deadline)
    return max(_IMPORTANCE_FLOOR_SECONDS, min(importance_cap(deadline), left))


def refit_fits(deadline: Deadline, refit_seconds: float) -> bool:
    """Whether the refit on all rows still fits, eating at most half the 10 % tolerance
    into the reserve (a budget is kept when the run ends within 110 % of it)."""
    slack = _REFIT_SLACK_FRACTION * deadline.seconds
    return deadline.allows(refit_seconds + reserve_seconds(deadline) - slack)
