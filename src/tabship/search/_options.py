"""The checks of the options ``search`` and ``train`` share, in one place.

Errors name an option by its Python parameter name (``folds``, ``time_budget``); the
command line maps those names to its flags when it reports the error.
"""

from __future__ import annotations

from tabship.errors import OptionError

__all__ = ["check_folds", "check_time_budget"]


def check_folds(folds: int) -> None:
    """Cross-validation needs a whole number of at least two folds."""
    if int(folds) != folds or folds < 2:
        raise OptionError("folds", "a whole number of at least 2", folds)


def check_time_budget(time_budget: float) -> None:
    """A budget must leave some time to work in."""
    if not time_budget > 0:
        raise OptionError("time_budget", "a positive number of seconds", time_budget)
