"""Input values as the plan's steps need them: float64 with NaN, or text with None."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Values", "as_floats", "as_texts", "is_missing", "missing_mask"]

# One input column: a Python sequence (validated records) or a numpy array (batches).
Values = Sequence[object] | NDArray[np.generic]


def is_missing(value: object) -> bool:
    """None or NaN: the two ways a missing value reaches the plan."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def missing_mask(values: Values, n: int) -> NDArray[np.bool_]:
    array = np.asarray(values)
    if array.dtype.kind == "f":
        nan: NDArray[np.bool_] = np.isnan(array)
        return nan
    # None, or NaN: the only value that differs from itself.
    return np.asarray((array == None) | (array != array), dtype=bool).reshape(n)  # noqa: E711


def as_floats(values: Values, n: int) -> NDArray[np.float64]:
    """float64 values with NaN for missing (None, NaN)."""
    array = np.asarray(values)
    if array.dtype.kind in "fiub":
        return array.astype(np.float64, copy=False).reshape(n)
    return np.fromiter(
        (math.nan if is_missing(v) else float(v) for v in array), dtype=np.float64, count=n
    )


def as_texts(values: Values, n: int) -> NDArray[np.object_]:
    """An object array of str with None for missing."""
    array = np.asarray(values, dtype=object).reshape(n)
    is_nan = array != array  # NaN is the only value that differs from itself
    if is_nan.any():
        array = array.copy()
        array[is_nan] = None
    return array
