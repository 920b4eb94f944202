"""The checks of the options ``search`` and ``train`` share, in one place.

Errors name an option by its Python parameter name (``folds``, ``time_budget``); the
command line maps those names to its flags when it reports the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship.errors import OptionError, TooFewRowsError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["check_folds", "check_time_budget", "fold_count", "repeat_count"]

# (most rows, least budget in seconds, repeats) for a classification search, first match.
_REPEATS = ((1000, 45.0, 3), (2000, 45.0, 2), (1000, 25.0, 2))


def check_folds(folds: int) -> None:
    """Cross-validation needs a whole number of at least two folds."""
    if int(folds) != folds or folds < 2:
        raise OptionError("folds", "a whole number of at least 2", folds)


def check_time_budget(time_budget: float) -> None:
    """A budget must leave some time to work in."""
    if not time_budget > 0:
        raise OptionError("time_budget", "a positive number of seconds", time_budget)


def fold_count(y: np.ndarray, task: str, folds: int, time_budget: float) -> int:
    """Fewer folds for big data on a short budget, and never more than a class allows."""
    import pandas as pd

    n = len(y)
    if n > 20_000 and time_budget < 180:
        folds = min(folds, 3)
    if task != "regression":
        smallest = int(pd.Series(y).value_counts().min())
        if smallest < 2:
            raise TooFewRowsError(
                f"The target has a class with {smallest} row; cross-validation needs at "
                "least 2 rows of every class.",
                hint="Remove or merge the rare classes.",
            )
        folds = min(folds, smallest)
    if n < 2 * folds:
        raise TooFewRowsError(
            f"The search got {n} rows, too few for {folds} folds (at least {2 * folds}).",
            hint="Add rows or pass fewer folds.",
        )
    return folds


def repeat_count(n_rows: int, task: str, time_budget: float) -> int:
    """How many times to repeat the folds with other shuffles: on a classification table
    of up to 1,000 rows 3 times from a 45 s budget (2 from 25 s), up to 2,000 rows twice
    from 45 s; otherwise once.

    A single split's luck (a 40-row fold holds 3 rows of a rare class, or 1) can outweigh
    the difference between two models and pick the wrong one. Every candidate pays each
    repeat in full, so a short budget keeps one split: on a busy 2-core machine a
    multiclass LightGBM fit of 200 rows takes 0.3 s, 15 splits 4.5 s of a 20 s run.
    Regression tables keep one split: their scores do not move a row at a time as
    accuracy does. The rule reads only the rows and the budget, so one seed gives one
    set of folds whatever the machine's speed.
    """
    if task == "regression":
        return 1
    matches = (r for rows, budget, r in _REPEATS if n_rows <= rows and time_budget >= budget)
    return next(matches, 1)
