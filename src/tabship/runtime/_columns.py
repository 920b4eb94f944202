"""One field's column checked at once, by the cheapest of three ways that agree exactly.

- any column: cell by cell, each distinct cell resolved once (:func:`check_cells`);
- a pandas column of one kind: once per distinct value, spread back with numpy
  (:func:`_check_distinct`);
- a numeric pandas column: only missing, non-finite or out-of-range cells looked at
  (:func:`_check_numbers`).

All three give the same values, problems and defaulted rows; a
:class:`ColumnCheck` keeps that bookkeeping for each of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import NDArray

from tabship.plan import Coded
from tabship.runtime._rules import (
    INVALID,
    LARGEST_MODEL_NUMBER,
    Cell,
    NumberRule,
    Problem,
    Rule,
    loaded_pandas,
    resolve,
)

if TYPE_CHECKING:
    import pandas as pd

    from tabship.runtime._table import Cells

__all__ = ["ColumnCheck", "ColumnValues", "Finding", "check_column", "take"]

# One field's values for the model: a list of Python values; when a pandas column was
# checked as a whole, a float64 array for numbers, else codes into its distinct values.
ColumnValues = list[object] | NDArray[Any] | Coded


class Finding(NamedTuple):
    """A problem found in one cell: ``invalid`` for an error, else a warning."""

    row: int
    problem: Problem
    raw: object
    invalid: bool


class ColumnCheck:
    """What checking one column found: its values, its problems and the rows whose
    missing value was let through for the pipeline (``filled``)."""

    def __init__(self, values: ColumnValues) -> None:
        self.values = values
        self.findings: list[Finding] = []
        self.filled: list[int] = []

    def note(self, rows: Iterable[int], cell: Cell, raw: object) -> None:
        """Record what resolving ``raw`` gave for ``rows`` (all holding that cell)."""
        value, problem, defaulted = cell
        if problem is not None:
            invalid = value is INVALID
            self.findings.extend(Finding(i, problem, raw, invalid) for i in rows)
        if defaulted:
            self.filled.extend(rows)


def check_column(
    rule: Rule, cells: Cells, nan_is_missing: bool, skip: Mapping[int, object]
) -> ColumnCheck:
    """One field's cells checked, rows in ``skip`` left out; a whole pandas column takes
    a faster way when nothing is skipped and NaN means missing (a DataFrame)."""
    if not isinstance(cells, list):
        if not skip and nan_is_missing:
            checked = _check_series(rule, cells)
            if checked is not None:
                return checked
        cells = _as_cells(cells)
    return check_cells(rule, cells, nan_is_missing, skip)


def check_cells(
    rule: Rule, cells: list[object], nan_is_missing: bool, skip: Mapping[int, object]
) -> ColumnCheck:
    """Cell by cell; repeated cells are looked up once.

    A CSV column holds few distinct categories, so the memo turns most cells into one
    dict lookup. The key carries the type: ``1``, ``1.0`` and ``True`` are equal in Python.
    """
    values: list[object] = [None] * len(cells)
    check = ColumnCheck(values)
    memo: dict[tuple[type, object], Cell] = {}
    for i, raw in enumerate(cells):
        if i in skip:
            continue
        key = (raw.__class__, raw)
        try:
            cell = memo.get(key)
        except TypeError:  # unhashable: a list or an object
            cell = resolve(rule, raw, nan_is_missing)
        else:
            if cell is None:
                cell = memo[key] = resolve(rule, raw, nan_is_missing)
        value, problem, defaulted = cell
        values[i] = value
        if problem is not None or defaulted:
            check.note((i,), cell, raw)
    return check


# Columns whose distinct values pandas can tell apart exactly as the per-cell memo does.
_ONE_KIND = frozenset({"string", "floating", "integer", "mixed-integer-float", "empty"})


def _check_series(rule: Rule, column: object) -> ColumnCheck | None:
    """A pandas column checked as a whole, or None when it is not one (or mixes kinds)."""
    pandas = loaded_pandas()
    if pandas is None or not isinstance(column, pandas.Series):
        return None
    if isinstance(rule, NumberRule) and column.dtype.kind in "fiu":
        return _check_numbers(rule, column)
    if column.dtype == object and pandas.api.types.infer_dtype(column) not in _ONE_KIND:
        return None
    return _check_distinct(rule, column)


def _check_distinct(rule: Rule, column: pd.Series[Any]) -> ColumnCheck:
    """Each distinct value resolved once, then spread back by pandas' factorized codes.

    Batch scoring validates millions of cells; this gives the same values and problems
    as the per-cell loop at a fraction of its cost. Object columns mixing kinds (``1``,
    ``1.0`` and ``True`` hash alike) take the loop instead (see ``_check_series``).
    """
    pandas = loaded_pandas()
    assert pandas is not None  # the column is a pandas Series
    codes, uniques = pandas.factorize(column, use_na_sentinel=True)
    raws: list[object] = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
    missing_rows = np.flatnonzero(codes < 0)
    if len(missing_rows):
        raws.append(column.iloc[int(missing_rows[0])])  # NaN or None: what the cell held
        codes = np.where(codes < 0, len(raws) - 1, codes)
    resolved = [resolve(rule, raw, True) for raw in raws]
    table = np.empty(len(resolved), dtype=object)
    table[:] = [value for value, _, _ in resolved]
    values: ColumnValues = (
        _as_float_values(table[codes])
        if isinstance(rule, NumberRule)
        else Coded(np.asarray(codes, dtype=np.intp), table)  # the plan looks up the table
    )
    check = ColumnCheck(values)
    for k, cell in enumerate(resolved):
        if cell[1] is not None or cell[2]:  # a problem, or defaulted
            check.note(np.flatnonzero(codes == k).tolist(), cell, raws[k])
    check.filled.sort()
    return check


def _check_numbers(rule: NumberRule, column: pd.Series[Any]) -> ColumnCheck:
    """A numeric column: only missing, non-finite or out-of-range cells need a look."""
    values: NDArray[np.float64] = column.to_numpy(dtype=np.float64, na_value=math.nan)
    with np.errstate(invalid="ignore"):
        special = ~np.isfinite(values) | (np.abs(values) > LARGEST_MODEL_NUMBER)
        if rule.low is not None:
            special |= values < rule.low
        if rule.high is not None:
            special |= values > rule.high
    rows = np.flatnonzero(special)
    if len(rows) == 0:
        return ColumnCheck(values)
    fixed = values.copy()
    check = ColumnCheck(fixed)
    raws = column.iloc[rows].tolist()
    for i, raw in zip(rows.tolist(), raws, strict=True):
        cell = resolve(rule, raw, True)
        fixed[i] = math.nan if cell[0] is INVALID else cast(float, cell[0])
        check.note((i,), cell, raw)
    return check


def _as_float_values(values: NDArray[Any]) -> NDArray[np.float64]:
    """Numbers as float64; an invalid cell (its row is dropped anyway) becomes NaN."""
    invalid = np.fromiter((v is INVALID for v in values), dtype=bool, count=len(values))
    if invalid.any():
        values = values.copy()
        values[invalid] = math.nan
    return values.astype(np.float64)


def _as_cells(cells: Cells) -> list[object]:
    """A column's cells as a list: a Series through ``tolist`` (Python scalars)."""
    pandas = loaded_pandas()
    if pandas is not None and isinstance(cells, pandas.Series):
        listed: list[object] = cells.tolist()
        return listed
    return list(cells)


def take(values: ColumnValues, keep: list[int]) -> ColumnValues:
    """The values of the rows in ``keep``, in that order."""
    if isinstance(values, np.ndarray | Coded):
        return values[np.asarray(keep, dtype=np.intp)]  # type: ignore[return-value]
    return [values[i] for i in keep]
