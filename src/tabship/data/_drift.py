"""Drift references and the one rule that puts a value in a drift bin.

Training stores, per feature, how its rows fall into a few bins (deciles for numbers,
the frequent categories plus "other" for categories); a serving worker bins every
logged record the same way, and the monitor compares the two distributions. The bin
rule runs in serving workers, so this module needs numpy only — never pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from tabship.data._canonical import _is_missing_cell, canonical_text
from tabship.data._summary_types import DriftReference, DriftReferences

__all__ = [
    "DECILES",
    "MISSING_BIN",
    "categorical_reference",
    "drift_bin_indices",
    "drift_references",
    "numeric_reference",
]

DECILES = (10, 20, 30, 40, 50, 60, 70, 80, 90)
MISSING_BIN = -1


def drift_bin_indices(
    ref: DriftReference, values: Sequence[object] | npt.NDArray[Any]
) -> npt.NDArray[np.int64]:
    """The drift bin of every value: ``searchsorted(edges, v, side="right")`` for a
    number, the index of its canonical text in ``categories`` for a category (else the
    last bin, "other or unseen"), and ``MISSING_BIN`` (-1) for a missing value.

    A numeric value that is not a finite number (text, NaN, infinity) counts as missing,
    as it did when the training summary was made.
    """
    if ref["kind"] == "numeric":
        numbers = _as_numbers(values)
        edges = np.asarray(ref["edges"], dtype=np.float64)
        bins = np.searchsorted(edges, numbers, side="right").astype(np.int64)
        bins[~np.isfinite(numbers)] = MISSING_BIN
        return bins
    position = {category: i for i, category in enumerate(ref["categories"])}
    other = len(ref["categories"])
    return np.fromiter(
        (
            MISSING_BIN if _is_missing_cell(v) else position.get(canonical_text(v), other)
            for v in values
        ),
        dtype=np.int64,
        count=len(values),
    )


def numeric_reference(numbers: npt.NDArray[Any]) -> DriftReference:
    """The decile bins of ``numbers`` (non-finite ones count as missing)."""
    values = np.asarray(numbers, dtype=np.float64)
    finite = values[np.isfinite(values)]
    missing = int(values.size - finite.size)
    if finite.size == 0:
        return _reference("numeric", [], [], [0], missing)
    edges = np.unique(np.percentile(finite, DECILES))
    counts = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=edges.size + 1)
    return _reference("numeric", edges.tolist(), [], counts.tolist(), missing)


def categorical_reference(
    counts: Mapping[str, int], other: int = 0, missing: int = 0
) -> DriftReference:
    """Bins for the categories of ``counts`` (in its order) and one for every other."""
    return _reference(
        "categorical",
        [],
        [str(c) for c in counts],
        [int(n) for n in counts.values()] + [int(other)],
        int(missing),
    )


def drift_references(summary: Mapping[str, Any]) -> DriftReferences:
    """The drift references of a training summary, whatever its version.

    A version 2 summary carries them (``summary["drift"]``). A version 1 summary is
    read as well as it can be: a number's 20-bin histogram stands in for its deciles, a
    category's counts are used as they are, and the target's distribution stands in for
    the predictions; such references are marked ``approximate``.
    """
    stored = summary.get("drift")
    if isinstance(stored, Mapping):
        return cast(DriftReferences, dict(stored))
    features = summary.get("features")
    derived: DriftReferences = {
        "features": {
            str(name): ref
            for name, described in (features.items() if isinstance(features, Mapping) else ())
            if (ref := _from_v1(described)) is not None
        },
        "approximate": True,
    }
    prediction = _from_v1(summary.get("target"))
    if prediction is not None:
        derived["prediction"] = prediction
    return derived


def _from_v1(described: object) -> DriftReference | None:
    """A reference from one version 1 feature (or target) summary; None for dates."""
    if not isinstance(described, Mapping):
        return None
    missing = int(described.get("missing", 0))
    if described.get("kind") == "numeric":
        histogram = described.get("histogram")
        if not isinstance(histogram, Mapping):
            return _reference("numeric", [], [], [0], missing)
        edges = [float(e) for e in histogram["edges"]][1:-1]
        return _reference("numeric", edges, [], [int(n) for n in histogram["counts"]], missing)
    if described.get("kind") == "categorical":
        return categorical_reference(
            described.get("counts", {}), int(described.get("other", 0)), missing
        )
    return None


def _reference(
    kind: str, edges: list[float], categories: list[str], counts: list[int], missing: int
) -> DriftReference:
    return {
        "kind": "numeric" if kind == "numeric" else "categorical",
        "edges": edges,
        "categories": categories,
        "counts": counts,
        "missing": missing,
    }


def _as_numbers(values: Sequence[object] | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """``values`` as floats, NaN where a value is missing or not a number."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype(np.float64)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.fromiter((_number(v) for v in values), dtype=np.float64, count=len(values))


def _number(value: object) -> float:
    if value is None or isinstance(value, bool | np.bool_):
        return float(value) if value is not None else math.nan
    try:
        return float(cast(Any, value))
    except (TypeError, ValueError):
        return math.nan
