"""The held-out test split, and the row counts that make folds possible at all.

The split is scikit-learn's ``train_test_split(..., test_size=0.2, random_state=42)`` on
the rows left after dropping a missing target, stratified on the target for
classification (or on ``--stratify COL``), so our test numbers compare with any other
tool run on the same split.
"""

from __future__ import annotations

import pandas as pd

from tabship.data import Schema
from tabship.errors import ColumnNotFoundError, OptionError, TooFewRowsError
from tabship.search import check_folds

__all__ = ["check_enough_rows", "split_holdout"]


def check_enough_rows(y: pd.Series, schema: Schema, *, folds: int, test_size: float) -> None:
    """Refuse data that cannot give ``folds`` folds after the test split, before any work."""
    if not 0.0 < test_size < 1.0:
        raise OptionError("test_size", "a fraction between 0 and 1 (e.g. 0.2)", test_size)
    check_folds(folds)
    n_train = int(len(y) * (1.0 - test_size))
    needed = max(2 * folds, 10)
    if n_train < needed:
        raise TooFewRowsError(
            f"The data has {len(y)} usable rows, too few for a test split of {test_size:g} "
            f"and {folds} folds (at least {int(needed / (1 - test_size)) + 1} rows are needed).",
            hint="Add rows, or pass fewer --folds or a smaller --test-size.",
        )
    if schema.task == "regression":
        return
    counts = y.value_counts()
    rare = counts[counts < max(2, folds)]
    if not rare.empty:
        shown = ", ".join(f"'{label}' ({n} rows)" for label, n in rare.items())
        raise TooFewRowsError(
            f"The target '{schema.target.name}' has classes with too few rows for "
            f"{folds} stratified folds: {shown}; each class needs at least {max(2, folds)}.",
            hint="Remove or merge the rare classes, or pass fewer --folds.",
        )


def split_holdout(
    X: pd.DataFrame,
    y: pd.Series,
    schema: Schema,
    *,
    test_size: float,
    seed: int,
    stratify: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Split off the test rows, stratified where the task or the user asks for it."""
    from sklearn.model_selection import train_test_split

    strata = _strata(X, y, schema, stratify)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=strata
    )
    return X_train, X_test, y_train, y_test


def _strata(
    X: pd.DataFrame, y: pd.Series, schema: Schema, stratify: str | None
) -> pd.Series | None:
    if stratify is None:
        return y if schema.task != "regression" else None
    if stratify == schema.target.name:
        column = y
    elif stratify in X.columns:
        column = X[stratify]
    else:
        raise ColumnNotFoundError(
            stratify, [*X.columns, schema.target.name], what="--stratify column"
        )
    strata = column.astype("string").fillna("<missing>")
    counts = strata.value_counts()
    if (counts < 2).any():
        lonely = ", ".join(repr(v) for v in counts[counts < 2].index[:5])
        raise OptionError(
            "stratify",
            f"a column whose every value occurs at least twice (values seen once: {lonely})",
            stratify,
        )
    return strata
