"""The target: which task it implies, its classes or range, and the rows it can train on.

Numbers are a regression target unless they are a handful of integer codes (income's
0/1, german_credit's 1/2); text is classification. Labels are compared as canonical
text so that ``" >50K"`` and ``">50K"``, or ``1`` and ``1.0``, are one class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabship.data._canonical import canonical_series, is_integer_valued
from tabship.data._schema import TASKS, Target, Task
from tabship.errors import ColumnNotFoundError, OptionError, TargetError

__all__ = ["build_target", "detect_task", "prepare_target"]

MAX_INTEGER_CLASSES = 10  # integer targets with more distinct values are regression
MAX_TEXT_CLASSES = 50  # text targets with more are refused unless task= says so


def detect_task(y: pd.Series, task: str | None = None) -> Task:
    """The task for target values ``y`` (missing values already allowed), or check ``task``."""
    name = str(y.name)
    present = y.dropna()
    if present.empty:
        raise TargetError(
            f"The target '{name}' has no values: every row is missing.",
            hint="Choose another target column or fill it in.",
        )
    numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    n_classes = canonical_series(present).nunique()
    if task is not None:
        return _check_task(name, task, numeric=numeric, n_classes=n_classes)
    if n_classes < 2:
        raise _single_class(name, present)
    if numeric and (not is_integer_valued(present) or n_classes > MAX_INTEGER_CLASSES):
        return "regression"
    if n_classes == 2:
        return "binary"
    if not numeric and n_classes > MAX_TEXT_CLASSES:
        raise TargetError(
            f"The target '{name}' has {n_classes} distinct text values; "
            f"expected at most {MAX_TEXT_CLASSES} classes or numbers.",
            hint="Pass task='multiclass' if you really mean so many classes, "
            "or choose another target.",
        )
    return "multiclass"


def build_target(y: pd.Series, task: Task) -> Target:
    """The :class:`Target` record: classes for classification, range for regression."""
    present = y.dropna()
    n_missing = int(y.isna().sum())
    if task == "regression":
        numbers = _regression_values(present)
        return Target(
            name=str(y.name),
            task=task,
            minimum=float(numbers.min()),
            maximum=float(numbers.max()),
            n_dropped_missing=n_missing,
        )
    classes = sorted(canonical_series(present).unique().tolist())
    return Target(name=str(y.name), task=task, classes=classes, n_dropped_missing=n_missing)


def prepare_target(df: pd.DataFrame, target: str, task: str) -> tuple[pd.DataFrame, pd.Series, int]:
    """``(X, y, n_dropped)``: rows with a target, the inputs, the labels as the task needs.

    Classification labels become canonical text; regression targets become float.
    """
    if target not in df.columns:
        raise ColumnNotFoundError(target, [str(c) for c in df.columns], what="target")
    if task not in TASKS:
        raise OptionError("task", "one of " + ", ".join(TASKS), task)
    keep = df[target].notna()
    rows = df.loc[keep].reset_index(drop=True)
    detect_task(df[target], task)  # raises on all-missing / unusable targets
    y = rows[target]
    y = _regression_values(y) if task == "regression" else canonical_series(y)
    if task == "regression":
        _check_finite(y, np.flatnonzero(keep.to_numpy()))
    if task != "regression" and y.nunique() < 2:
        raise _single_class(target, y)
    return rows.drop(columns=[target]), y.rename(target), int((~keep).sum())


def _check_task(name: str, task: str, *, numeric: bool, n_classes: int) -> Task:
    if task not in TASKS:
        raise OptionError("task", "one of " + ", ".join(TASKS), task)
    if task == "regression" and not numeric:
        raise TargetError(
            f"The target '{name}' must be numbers for regression. Got text values instead.",
            hint="Use task='binary' or 'multiclass', or choose a numeric target.",
        )
    if task != "regression" and n_classes < 2:
        raise _single_class(name, None)
    if task == "binary" and n_classes != 2:
        raise TargetError(
            f"The target '{name}' must have 2 classes for a binary task. Got {n_classes}.",
            hint="Use task='multiclass', or leave task unset to detect it.",
        )
    return task  # type: ignore[return-value]


def _single_class(name: str, present: pd.Series | None) -> TargetError:
    only = "" if present is None else f" ('{canonical_series(present).iloc[0]}')"
    return TargetError(
        f"The target '{name}' has a single class{only}; expected at least 2 distinct values.",
        hint="A model needs examples of more than one outcome; choose another target.",
    )


def _regression_values(y: pd.Series) -> pd.Series:
    try:
        return pd.to_numeric(y, errors="raise").astype("float64")
    except (ValueError, TypeError):
        raise TargetError(
            f"The target '{y.name}' must be numbers for regression. Got text values instead.",
            hint="Use task='binary' or 'multiclass', or choose a numeric target.",
        ) from None


def _check_finite(y: pd.Series, rows: np.ndarray) -> None:
    """Refuse an infinite target up front: every family would otherwise fail deep in the search.

    ``rows`` maps each kept value back to its data row, so the message points into the file.
    """
    infinite = np.isinf(y.to_numpy())
    if infinite.any():
        first = int(np.flatnonzero(infinite)[0])
        raise TargetError(
            f"The target '{y.name}' must be finite numbers for regression. Got "
            f"{int(infinite.sum())} infinite value(s), the first ({y.iloc[first]}) in data row "
            f"{int(rows[first]) + 1}.",
            hint="Replace or drop the infinite values (a row with a missing target is dropped).",
        )
