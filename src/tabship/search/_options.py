"""The checks of the options ``search`` and ``train`` share, in one place.

Errors name an option by its Python parameter name (``folds``, ``time_budget``); the
command line maps those names to its flags when it reports the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship.errors import OptionError, TooFewRowsError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["check_folds", "check_time_budget", "fold_count"]


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
