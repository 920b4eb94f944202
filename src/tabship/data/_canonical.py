"""Canonical category text: one spelling for each category value, wherever it comes from.

A category read from a CSV is text ("1"), the same category typed in a form may arrive
as a number (``1`` or ``1.0``) and pandas may hold it as ``1.0`` after a missing value
forced the column to float. Training, validation and serving must all see the same
string, so every layer converts categories through :func:`canonical_text`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["canonical_series", "canonical_text", "is_integer_valued"]


def canonical_text(value: Any) -> str:
    """The canonical string of one non-missing category value.

    Integer-valued numbers lose their decimal point (``1.0 -> "1"``), other numbers use
    Python's shortest round-trip form, text is stripped of surrounding whitespace.
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer():
            return str(int(number))
        return repr(number)
    return str(value).strip()


def canonical_series(series: pd.Series) -> pd.Series:
    """``series`` as canonical text (``str`` dtype), missing values kept missing."""
    present = series.dropna()
    spelled = {value: canonical_text(value) for value in pd.unique(present)}
    return series.map(spelled).astype("str")


def is_integer_valued(present: pd.Series) -> bool:
    """True when every (non-missing) number is a whole number, e.g. ``3504.0``."""
    if pd.api.types.is_integer_dtype(present):
        return True
    values = present.to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
