"""How the user's time budget is shared between the search and the work after it.

``--time-budget`` is a promise about the whole ``train`` call, not only the search: the
holdout fit, the importance, the final refit, the summary, the report and the save that
follows must fit inside it too. The work that grows with the chosen model (the two fits
and the importance) is held by the search itself, from the fit times it measured (see
``search(keep_for_refits=True)``); what is kept here is the reserve for the rest (report,
summary, explanation background, the save with its scoring plan).

That rest is mostly serialisation and drawing time, which scales with the machine's
speed as the reading of the data did: the reserve is sized from the time spent before
the search as well as from the budget. The libraries the save and the report import
(skops, matplotlib: 1-2 s in a fresh process on a busy 2-core machine) are imported
before the search, after the reserve is sized, so their import comes out of the
search's share.

After the search the shares come from measured times: the final refit is expected to
cost the holdout fit scaled to all rows, and the importance gets what is left of its cap.

The clock itself is the search's ``Deadline`` (one clock for the whole package); this
module owns only the rules that share it out.
"""

from __future__ import annotations

from tabship.search import Deadline

__all__ = ["BudgetShares"]

_RESERVE_FRACTION = 0.08
# Report + summary + save took 0.2-2.6 s on the nine reference tables at 20 s (the most
# for an ensemble with a forest, whose save is slow); a 3 s floor ended those runs 2-5 s
# early, and an overrun of the reserve is still inside the 10 % tolerance.
_RESERVE_FLOOR_SECONDS = 2.0
# Report + summary + save against reading + importing, measured in fresh processes:
# 7.1 s / 3.3 s (insurance, 20 s), 7.6 s / 5.7 s (1,460 x 80 columns, 60 s).
_RESERVE_PER_PREPARE_SECOND = 1.5
_IMPORTANCE_FRACTION = 0.04
_IMPORTANCE_FLOOR_SECONDS = 0.2
_REFIT_SLACK_FRACTION = 0.05


class BudgetShares:
    """The rules sharing ``deadline``, made once the data is read (before the search)."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.reserve = max(
            _RESERVE_FLOOR_SECONDS,
            _RESERVE_FRACTION * deadline.seconds,
            _RESERVE_PER_PREPARE_SECOND * deadline.elapsed,
        )

    def search_seconds(self) -> float:
        """Seconds the search may use (its refits and importance held inside it)."""
        return max(0.5, self.deadline.remaining() - self.reserve)

    def importance_cap(self) -> float:
        """The most permutation importance may take (it subsamples rows to fit)."""
        return max(0.5, _IMPORTANCE_FRACTION * self.deadline.seconds)

    def importance_seconds(self, refit_seconds: float) -> float:
        """Seconds for the importance now: its cap, or what the refit and reserve leave."""
        left = self.deadline.remaining() - refit_seconds - self.reserve
        return max(_IMPORTANCE_FLOOR_SECONDS, min(self.importance_cap(), left))

    def refit_fits(self, refit_seconds: float) -> bool:
        """Whether the refit on all rows still fits, eating at most half the 10 % tolerance
        into the reserve (a budget is kept when the run ends within 110 % of it)."""
        slack = _REFIT_SLACK_FRACTION * self.deadline.seconds
        return self.deadline.allows(refit_seconds + self.reserve - slack)
