"""Executing the plan's preprocessing: frame steps, then column parts to a float matrix.

Each builder turns one spec dataclass into a closure, once at load; the closures run on
columns of any length. Lookups use a dict for one record and pandas (when a batch
caller already loaded it) for large batches.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tabship.data import derived_columns_used, evaluate_derived, parse_derived, word_indicators
from tabship.plan._spec_steps import (
    CodesStep,
    CoerceStep,
    ColumnPart,
    ColumnStep,
    DeriveStep,
    FloatStep,
    FrameStep,
    ImputeStep,
    OneHotStep,
    ScaleStep,
    TargetStep,
    TokensStep,
)
from tabship.plan._values import Coded, Values, as_floats, as_texts, missing_mask

__all__ = [
    "ColumnFunction",
    "Frame",
    "FrameFunction",
    "Lookup",
    "column_function",
    "frame_function",
    "matrix_function",
]

Frame = Mapping[str, Values]
FrameFunction = Callable[[Frame, int], Frame]
Columns = list[NDArray[np.generic] | Coded]
ColumnFunction = Callable[[Columns, int], Columns]


# --- frame steps: the pipeline's coercer and derived columns ------------------------------


def frame_function(step: FrameStep) -> FrameFunction:
    if isinstance(step, CoerceStep):
        return _coerce(step)
    return _derive(step)


def _coerce(step: CoerceStep) -> FrameFunction:
    fields = list(step.fields)

    def coerce(frame: Frame, n: int) -> Frame:
        return {
            name: as_floats(frame[name], n) if role == "numeric" else as_texts(frame[name], n)
            for name, role in fields
        }

    return coerce


def _derive(step: DeriveStep) -> FrameFunction:
    parsed = [parse_derived(e) for e in step.expressions]

    def derive(frame: Frame, n: int) -> Frame:
        out = dict(frame)
        for name, tree in parsed:
            used = {c: as_floats(out[c], n) for c in derived_columns_used(tree)}
            out[name] = evaluate_derived(tree, used, n)
        return out

    return derive


# --- the column transformer: frame -> float matrix ----------------------------------------


def matrix_function(parts: Sequence[ColumnPart]) -> Callable[[Frame, int], NDArray[np.float64]]:
    compiled = [(list(p.inputs), [column_function(s) for s in p.steps]) for p in parts]

    def transform(frame: Frame, n: int) -> NDArray[np.float64]:
        blocks: list[NDArray[np.float64]] = []
        for names, steps in compiled:
            arrays: Columns = [_column(frame[name]) for name in names]
            for step in steps:
                arrays = step(arrays, n)
            blocks.extend(as_floats(a, n) for a in arrays)
        return np.column_stack(blocks) if blocks else np.empty((n, 0))

    return transform


def _column(values: Values) -> NDArray[np.generic] | Coded:
    """A column as the steps take it: an array, or a coded column as it came."""
    return values if isinstance(values, Coded) else np.asarray(values)


def column_function(step: ColumnStep) -> ColumnFunction:
    if isinstance(step, FloatStep):
        return lambda arrays, n: [as_floats(a, n) for a in arrays]
    if isinstance(step, CodesStep):
        return _codes(step)
    if isinstance(step, ImputeStep):
        return _impute(step)
    if isinstance(step, ScaleStep):
        return _scale(step)
    if isinstance(step, OneHotStep):
        return _one_hot(step)
    if isinstance(step, TokensStep):
        return _tokens(step)
    return _target(step)


def _codes(step: CodesStep) -> ColumnFunction:
    """Category text to the number the model was trained on; unseen or missing: NaN."""
    tables = [Lookup(t.keys(), [[v] for v in t.values()], [math.nan]) for t in step.tables]
    return lambda arrays, n: [t.rows(a, n)[:, 0] for t, a in zip(tables, arrays, strict=True)]


class Lookup:
    """Rows of a matrix by category text, with one row for anything else.

    One record looks up in a dict; a large batch lets pandas (already loaded there)
    hash the whole column at once, about fifty times faster than a Python loop.
    """

    def __init__(
        self, keys: Iterable[str], rows: Iterable[Sequence[float]], other: Sequence[float]
    ) -> None:
        # Keyed by any value: None, NaN or a number is simply not found.
        self.index: dict[object, int] = {key: i for i, key in enumerate(keys)}
        self._keys: _Indexer | None = None  # a pandas Index of the keys, on first large batch
        self.matrix = np.asarray([*rows, other], dtype=np.float64).reshape(len(self.index) + 1, -1)
        self._lists: list[list[float]] | None = None  # the matrix's rows as floats, for rows

    def row(self, value: object) -> list[float]:
        """One value's row, as Python floats (the same numbers as ``rows``)."""
        if self._lists is None:
            self._lists = self.matrix.tolist()
        return self._lists[self.index.get(value, -1)]

    def rows(self, values: Values, n: int) -> NDArray[np.float64]:
        return self.matrix[self.positions(values, n)]

    def positions(self, values: Values, n: int) -> NDArray[np.intp]:
        """Row of each value; -1 (the last row) when it is not a key."""
        if isinstance(values, Coded):  # the distinct values only, then spread by code
            return self.positions(values.values, len(values.values))[values.codes]
        pandas = sys.modules.get("pandas")
        if pandas is not None and n >= _VECTOR_ROWS:
            if self._keys is None:
                self._keys = pandas.Index(list(self.index), dtype=object)
            # An object Index: from a bare array pandas 3 would infer its str dtype and
            # copy every value into Arrow first (ten times the lookup, measured).
            found = self._keys.get_indexer(pandas.Index(values, dtype=object))
            return np.asarray(found, np.intp)
        get = self.index.get
        return np.fromiter((get(v, -1) for v in values), dtype=np.intp, count=n)


class _Indexer(Protocol):
    """What the lookup uses of a pandas Index (pandas is never imported here)."""

    def get_indexer(self, target: NDArray[np.object_]) -> NDArray[np.intp]: ...


_VECTOR_ROWS = 256


def _impute(step: ImputeStep) -> ColumnFunction:
    statistics = list(step.statistics)
    flagged = list(step.indicator)

    def impute(arrays: Columns, n: int) -> Columns:
        masks = [missing_mask(a, n) for a in arrays]
        out: Columns = []
        for values, mask, fill in zip(arrays, masks, statistics, strict=True):
            if isinstance(fill, str):
                filled = np.asarray(values, dtype=object).copy()
                filled[mask] = fill
            else:
                filled = np.where(mask, float(fill), as_floats(values, n))
            out.append(filled)
        out.extend(masks[i].astype(np.float64) for i in flagged)
        return out

    return impute


def _scale(step: ScaleStep) -> ColumnFunction:
    mean, scale = step.mean, step.scale
    return lambda arrays, n: [
        (as_floats(a, n) - m) / s for a, m, s in zip(arrays, mean, scale, strict=True)
    ]


def _one_hot(step: OneHotStep) -> ColumnFunction:
    """Each input's output block, looked up per row; unseen values get the unseen block."""
    tables = [
        Lookup(b.keys(), b.values(), u) for b, u in zip(step.blocks, step.unknown, strict=True)
    ]

    def encode(arrays: Columns, n: int) -> Columns:
        out: Columns = []
        for table, values in zip(tables, arrays, strict=True):
            out.extend(table.rows(values, n).T)
        return out

    return encode


def _target(step: TargetStep) -> ColumnFunction:
    """Target encodings per category (one value per class for multiclass targets)."""
    fallback = step.fallback
    tables = [Lookup(t.keys(), t.values(), fallback) for t in step.tables]
    on_missing = [np.asarray(fallback if m is None else m, dtype=np.float64) for m in step.missing]

    def encode(arrays: Columns, n: int) -> Columns:
        out: Columns = []
        for table, when_missing, values in zip(tables, on_missing, arrays, strict=True):
            matrix = table.rows(values, n)
            matrix[missing_mask(values, n)] = when_missing
            out.extend(matrix.T)
        return out

    return encode


def _tokens(step: TokensStep) -> ColumnFunction:
    """Each text column's words as 0/1 columns; a missing text holds no word."""
    vocabularies = [list(v) for v in step.vocabularies]

    def indicate(arrays: Columns, n: int) -> Columns:
        out: Columns = []
        for words, values in zip(vocabularies, arrays, strict=True):
            out.extend(word_indicators(np.asarray(as_texts(values, n)), words, n))
        return out

    return indicate
