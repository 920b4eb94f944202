"""One record's preprocessing in plain Python values: the plan's steps for ``n == 1``.

A numpy call costs about a microsecond whatever the length of its arrays, and the
vector steps make several per column; for one record, the request a server sees most,
that overhead was nearly all of the plan's time (adult's two-LightGBM ensemble: 210 µs
a record, of which the two models took about 20). These functions do what the vector
steps of ``plan._steps`` do, value by value, with the same float64 operations in the
same order, so a record scored alone gets the same bits as in a batch
(tests/plan/test_execute.py checks it for every step on every reference dataset).
A step without a row version here (word tokens, derived columns, a scale of zero)
runs its vector function on a one-row column instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from tabship.plan import _spec_steps as spec
from tabship.plan._steps import Frame, Lookup, column_function, frame_function
from tabship.plan._values import is_missing

__all__ = ["Row", "first_row", "row_frame_function", "row_matrix_function"]

Row = dict[str, object]  # field name -> its one value
RowFunction = Callable[[Row], Row]
ValuesFunction = Callable[[list[object]], list[object]]


def first_row(frame: Frame) -> Row:
    """The one record of a one-row frame (validated lists, or arrays from a batch)."""
    return {
        name: values[0] if isinstance(values, list | tuple) else np.asarray(values)[0]
        for name, values in frame.items()
    }


def to_float(value: object) -> float:
    """``as_floats`` of one value: float, NaN for missing (a float as it is, as a
    float64 column keeps its values)."""
    if type(value) is float:
        return value
    return math.nan if is_missing(value) else float(value)  # type: ignore[arg-type]


def to_text(value: object) -> object:
    """``as_texts`` of one value: NaN (the only value unequal to itself) becomes None."""
    return None if value != value else value


# --- frame steps -------------------------------------------------------------------------


def row_frame_function(step: spec.FrameStep) -> RowFunction:
    if isinstance(step, spec.CoerceStep):
        fields = list(step.fields)

        def coerce(row: Row) -> Row:
            return {
                name: to_float(row[name]) if role == "numeric" else to_text(row[name])
                for name, role in fields
            }

        return coerce
    vector = frame_function(step)
    return lambda row: {
        name: values[0]
        for name, values in vector({k: _column(v) for k, v in row.items()}, 1).items()
    }


# --- the column transformer: one record -> a (1, k) float matrix -------------------------


def row_matrix_function(parts: Sequence[spec.ColumnPart]) -> Callable[[Row], NDArray[np.float64]]:
    compiled = [(list(p.inputs), [_values_function(s) for s in p.steps]) for p in parts]

    def matrix(row: Row) -> NDArray[np.float64]:
        out: list[float] = []
        for names, steps in compiled:
            values = [row[name] for name in names]
            for step in steps:
                values = step(values)
            out.extend(map(to_float, values))
        return np.array([out], dtype=np.float64).reshape(1, len(out))

    return matrix


def _values_function(step: spec.ColumnStep) -> ValuesFunction:
    if isinstance(step, spec.FloatStep):
        return lambda values: [to_float(v) for v in values]
    if isinstance(step, spec.CodesStep):
        codes = [Lookup(t.keys(), [[v] for v in t.values()], [math.nan]) for t in step.tables]
        return lambda values: [t.row(v)[0] for t, v in zip(codes, values, strict=True)]
    if isinstance(step, spec.ImputeStep):
        return _impute(step)
    if isinstance(step, spec.ScaleStep) and all(s != 0 for s in step.scale):
        return _scale(step)
    if isinstance(step, spec.OneHotStep):
        return _one_hot(step)
    if isinstance(step, spec.TargetStep):
        return _target(step) or _on_one_row(step)
    return _on_one_row(step)


def _impute(step: spec.ImputeStep) -> ValuesFunction:
    statistics = list(step.statistics)
    flagged = list(step.indicator)

    def impute(values: list[object]) -> list[object]:
        missing = [is_missing(v) for v in values]
        out: list[object] = [
            (fill if gone else v) if isinstance(fill, str) else float(fill) if gone else to_float(v)
            for v, gone, fill in zip(values, missing, statistics, strict=True)
        ]
        out.extend(1.0 if missing[i] else 0.0 for i in flagged)
        return out

    return impute


def _scale(step: spec.ScaleStep) -> ValuesFunction:
    mean, scale = step.mean, step.scale
    return lambda values: [
        (to_float(v) - m) / s for v, m, s in zip(values, mean, scale, strict=True)
    ]


def _one_hot(step: spec.OneHotStep) -> ValuesFunction:
    tables = [
        Lookup(b.keys(), b.values(), u) for b, u in zip(step.blocks, step.unknown, strict=True)
    ]

    def encode(values: list[object]) -> list[object]:
        out: list[object] = []
        for table, value in zip(tables, values, strict=True):
            out.extend(table.row(value))
        return out

    return encode


def _target(step: spec.TargetStep) -> ValuesFunction | None:
    """None when a missing value's encoding does not fit the table's rows (the vector
    step then fails as it always did)."""
    tables = [Lookup(t.keys(), t.values(), step.fallback) for t in step.tables]
    try:
        on_missing = [
            np.broadcast_to(
                np.asarray(step.fallback if m is None else m, dtype=np.float64),
                t.matrix.shape[1:],
            ).tolist()
            for t, m in zip(tables, step.missing, strict=True)
        ]
    except ValueError:
        return None

    def encode(values: list[object]) -> list[object]:
        out: list[object] = []
        for table, when_missing, value in zip(tables, on_missing, values, strict=True):
            out.extend(when_missing if is_missing(value) else table.row(value))
        return out

    return encode


def _on_one_row(step: spec.ColumnStep) -> ValuesFunction:
    """The vector step on a one-row column of each value."""
    vector = column_function(step)
    return lambda values: [array[0] for array in vector([_column(v) for v in values], 1)]


def _column(value: object) -> NDArray[np.generic]:
    """One value as the vector steps get it: a float64 column for a number, else an
    object column (as the coercer's text columns are)."""
    if isinstance(value, float):
        return np.asarray([value], dtype=np.float64)
    return np.asarray([value], dtype=object)
