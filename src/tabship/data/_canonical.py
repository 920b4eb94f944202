"""Canonical category text: one spelling for each category value, wherever it comes from.

A category read from a CSV is text ("1"), the same category typed in a form may arrive
as a number (``1`` or ``1.0``) and pandas may hold it as ``1.0`` after a missing value
forced the column to float. Training, validation and serving must all see the same
string, so every layer converts categories through :func:`canonical_text`:

- :func:`canonical_text` spells one present value (schema inference, validation, reports);
- :func:`canonical_text_or_nan` is the same for one cell that may be missing (NaN then);
- :func:`canonical_series` spells a column as pandas ``str``, missing values kept missing;
- :func:`canonical_object_series` spells a column as ``object`` with NaN for missing and
  blank cells, which is what scikit-learn's encoders take (the pipeline's transformers).

pandas is imported inside the column functions only: the serving runtime validates
categories with :func:`canonical_text` and never loads pandas.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import TYPE_CHECKING, SupportsFloat, cast

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "canonical_object_series",
    "canonical_series",
    "canonical_text",
    "canonical_text_or_nan",
    "is_integer_valued",
]


def canonical_text(value: object) -> str:
    """The canonical string of one non-missing category value.

    Integer-valued numbers lose their decimal point (``1.0 -> "1"``, ``np.int64(1) ->
    "1"``), other numbers use Python's shortest round-trip form, booleans are ``"True"``
    and ``"False"``, text is stripped of surrounding whitespace.
    """
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        number = float(cast(SupportsFloat, value))  # Decimal and Fraction too
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip()


def canonical_text_or_nan(value: object) -> str | float:
    """:func:`canonical_text` of one cell, or NaN when it is missing (None, NaN, NA, NaT,
    blank text), so that a column of them keeps its missing values for the imputers."""
    if _is_missing_cell(value):
        return math.nan
    return canonical_text(value)


def canonical_series(series: pd.Series) -> pd.Series:
    """``series`` as canonical text (``str`` dtype), missing values kept missing."""
    import pandas as pd

    present = series.dropna()
    spelled = {value: canonical_text(value) for value in pd.unique(present)}
    return series.map(spelled).astype("str")


def canonical_object_series(values: pd.Series) -> pd.Series:
    """Canonical category text of a whole column, as object dtype with NaN for missing
    and blank cells.

    Object dtype (not pandas' "str" dtype) because it is what every scikit-learn encoder
    accepts without conversion surprises.
    """
    import pandas as pd

    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
        values.dtype
    ):
        stripped = values.str.strip()
        return stripped.astype(object).where(stripped.notna() & (stripped != ""), np.nan)
    # Convert each distinct value once: a column has far fewer categories than rows.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = np.asarray([canonical_text_or_nan(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object, name=values.name)


def is_integer_valued(present: pd.Series) -> bool:
    """True when every (non-missing) number is a whole number, e.g. ``3504.0``."""
    import pandas as pd

    if pd.api.types.is_integer_dtype(present):
        return True
    values = present.to_numpy(dtype="float64")
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def _is_missing_cell(value: object) -> bool:
    """None, NaN, pandas' NA and NaT, or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return _is_pandas_missing(value)


def _is_pandas_missing(value: object) -> bool:
    pandas = sys.modules.get("pandas")  # a value cannot be NA or NaT unless pandas is loaded
    return pandas is not None and (value is pandas.NA or value is pandas.NaT)
