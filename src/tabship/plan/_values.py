"""Input values as the plan's steps need them: float64 with NaN, or text with None."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Coded", "Values", "as_floats", "as_texts", "is_missing", "missing_mask"]


class Coded:
    """A column as codes into its distinct values: how validation hands over a batch's
    category and text columns.

    Validating a batch already finds each column's distinct values; kept with their
    codes, the plan looks up a few distinct values instead of hashing every row again
    (that second lookup was a quarter of a batch chunk's scoring, measured on adult).
    Read as a sequence or through ``numpy.asarray`` it is the plain column.
    """

    __slots__ = ("codes", "values")

    def __init__(self, codes: NDArray[np.intp], values: NDArray[np.object_]) -> None:
        self.codes = codes  # per row: a position in ``values``
        self.values = values  # the distinct values, as validated

    def __len__(self) -> int:
        return len(self.codes)

    def __array__(self, dtype: object = None, copy: object = None) -> NDArray[np.generic]:
        plain = self.values[self.codes]
        return plain if dtype is None else plain.astype(dtype)  # type: ignore[call-overload]

    def __getitem__(self, key: int | slice | NDArray[np.intp]) -> object:
        if isinstance(key, int | np.integer):
            return self.values[self.codes[key]]
        return Coded(self.codes[key], self.values)

    def __iter__(self) -> Iterator[object]:
        return iter(self.tolist())

    def tolist(self) -> list[object]:
        plain: list[object] = self.values[self.codes].tolist()
        return plain

    def __repr__(self) -> str:
        return f"Coded({len(self)} rows, {len(self.values)} distinct values)"


# One input column: a Python sequence (validated records), a numpy array (batches) or
# a coded column (validated batches).
Values = Sequence[object] | NDArray[np.generic] | Coded


def is_missing(value: object) -> bool:
    """None or NaN: the two ways a missing value reaches the plan."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def missing_mask(values: Values, n: int) -> NDArray[np.bool_]:
    if isinstance(values, Coded):
        return missing_mask(values.values, len(values.values))[values.codes]
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


def as_texts(values: Values, n: int) -> NDArray[np.object_] | Coded:
    """An object array of str with None for missing; a coded column stays coded."""
    if isinstance(values, Coded):
        return Coded(values.codes, as_texts(values.values, len(values.values)))  # type: ignore[arg-type]
    array = np.asarray(values, dtype=object).reshape(n)
    is_nan = array != array  # NaN is the only value that differs from itself
    if is_nan.any():
        array = array.copy()
        array[is_nan] = None
    return array
