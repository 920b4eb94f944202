"""The scoring plan: a fitted pipeline as plain data, predicted with numpy and Treelite.

A served model must start in well under two seconds and stay small, but scikit-learn's
import alone pulls in scipy.stats, pandas and pyarrow (about 170 MB and over a second
here), and rebuilding the pipeline with skops imports every estimator module on top.
What the fitted pipeline *does* at prediction time is small: category lookups, imputing,
scaling, one-hot blocks, target encodings, a linear model or tree ensembles. So at save
time ``tabship.runtime._compile`` writes that down as data: ``plan.json`` (the steps and
their tables) and one Treelite file per tree model. This module executes it, on columns
of any length, importing only numpy and Treelite (LightGBM optionally, for batch speed).

The plan is data, not code: nothing in it is imported or called by name, so loading it
needs no type audit; its files are covered by the manifest's hashes like every other.
Agreement with the pipeline to 1e-9 is tested on every reference dataset.
"""

from __future__ import annotations

import json
import math
import os
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["PLAN_FILE", "Plan"]

PLAN_FILE = "plan.json"
PLAN_FORMAT = 2  # 2: model files deflated with zlib

Frame = dict[str, np.ndarray]
Columns = list[np.ndarray]


class PlanError(ValueError):
    """A plan file that this version cannot execute (the pipeline is used instead)."""


class Plan:
    """``predict(columns)``: regression values ``(n,)`` or class probabilities ``(n, k)``.

    Parameters
    ----------
    spec : dict
        The parsed ``plan.json``.
    blobs : mapping of str to bytes
        The files it names (Treelite models, LightGBM model text).
    native_lightgbm : bool
        Predict LightGBM models with LightGBM itself (multi-threaded, about four times
        faster on large batches) instead of Treelite's reference predictor. Both give the
        same numbers; serving keeps Treelite so that a worker never imports LightGBM's
        scikit-learn layer.
    pipeline : fitted pipeline, optional
        The pipeline the plan was compiled from. With ``native_lightgbm``, its
        HistGradientBoosting models predict through scikit-learn's own (private,
        multi-threaded) predictor, about four times faster than Treelite's on a batch;
        the plan still does all the preprocessing.
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        blobs: Mapping[str, bytes],
        *,
        native_lightgbm: bool = False,
        pipeline: Any = None,
    ) -> None:
        if spec.get("format") != PLAN_FORMAT:
            raise PlanError(f"plan format {spec.get('format')!r} is not {PLAN_FORMAT}")
        self.spec = dict(spec)
        self.task: str = spec["task"]
        self.classes: list[str] | None = spec.get("classes")
        self.inputs: list[str] = list(spec["inputs"])
        native = pipeline if native_lightgbm and pipeline is not None else None
        self._predict = _node(spec["root"], blobs, native_lightgbm, native)

    @classmethod
    def from_files(
        cls, files: Mapping[str, bytes], *, native_lightgbm: bool = False, pipeline: Any = None
    ) -> Plan:
        """The plan stored in an artifact's files; ``PlanError`` when it cannot be run."""
        try:
            spec = json.loads(files[PLAN_FILE])
            return cls(spec, files, native_lightgbm=native_lightgbm, pipeline=pipeline)
        except (KeyError, TypeError, ValueError) as error:
            raise PlanError(f"{PLAN_FILE} cannot be executed: {error}") from error

    @property
    def classifier(self) -> bool:
        return self.task != "regression"

    def predict(self, columns: Mapping[str, Sequence[Any] | np.ndarray], n: int) -> np.ndarray:
        """Outputs for ``n`` rows given as one sequence per input field (missing: None)."""
        frame = {name: columns[name] for name in self.inputs}
        with np.errstate(all="ignore"):
            out = self._predict(frame, n)
        return out.reshape(n, -1) if self.classifier else out.reshape(n)


# --- nodes: frame -> outputs ------------------------------------------------------------


Node = Callable[[Mapping[str, Any], int], np.ndarray]


def _node(spec: Mapping[str, Any], blobs: Mapping[str, bytes], native: bool, est: Any) -> Node:
    """``est``: the fitted estimator this node was compiled from, when given (else None)."""
    kind = spec["kind"]
    if kind == "voting":
        parts = list(est.estimators_) if est is not None else [None] * len(spec["members"])
        members = [_node(m, blobs, native, e) for m, e in zip(spec["members"], parts, strict=True)]
        weights = spec.get("weights")

        def voting(frame: Mapping[str, Any], n: int) -> np.ndarray:
            outputs = [member(frame, n) for member in members]
            return np.average(outputs, axis=0, weights=weights)

        return voting
    if kind == "pipeline":
        steps = [_frame_step(s) for s in spec["steps"]]
        columns = _columns(spec["columns"])
        model = _model(spec["model"], blobs, native, est.steps[-1][1] if est is not None else None)

        def pipeline(frame: Mapping[str, Any], n: int) -> np.ndarray:
            current: Mapping[str, Any] = frame
            for step in steps:
                current = step(current, n)
            return model(columns(current, n))

        return pipeline
    raise PlanError(f"unknown node {kind!r}")


# --- frame steps: the pipeline's coercer and derived columns ------------------------------


def _frame_step(spec: Mapping[str, Any]) -> Callable[[Mapping[str, Any], int], Frame]:
    if spec["op"] == "coerce":
        fields = [(name, role) for name, role in spec["fields"]]

        def coerce(frame: Mapping[str, Any], n: int) -> Frame:
            return {
                name: as_floats(frame[name], n) if role == "numeric" else as_texts(frame[name], n)
                for name, role in fields
            }

        return coerce
    if spec["op"] == "derive":
        from tabship.data._expressions import (
            derived_columns_used,
            evaluate_derived,
            parse_derived,
        )

        parsed = [parse_derived(e) for e in spec["expressions"]]

        def derive(frame: Mapping[str, Any], n: int) -> Frame:
            out = dict(frame)
            for name, tree in parsed:
                used = {c: as_floats(out[c], n) for c in derived_columns_used(tree)}
                out[name] = evaluate_derived(tree, used, n)
            return out

        return derive
    raise PlanError(f"unknown frame step {spec['op']!r}")


# --- the column transformer: frame -> float matrix ------------------------------------------


def _columns(parts: list[Mapping[str, Any]]) -> Callable[[Mapping[str, Any], int], np.ndarray]:
    compiled = [(list(p["inputs"]), [_column_step(s) for s in p["steps"]]) for p in parts]

    def transform(frame: Mapping[str, Any], n: int) -> np.ndarray:
        blocks: Columns = []
        for names, steps in compiled:
            arrays: Columns = [np.asarray(frame[name]) for name in names]
            for step in steps:
                arrays = step(arrays, n)
            blocks.extend(as_floats(a, n) for a in arrays)
        return np.column_stack(blocks) if blocks else np.empty((n, 0))

    return transform


ColumnStep = Callable[[Columns, int], Columns]


def _column_step(spec: Mapping[str, Any]) -> ColumnStep:
    builders: dict[str, Callable[[Mapping[str, Any]], ColumnStep]] = {
        "float": lambda _: lambda arrays, n: [as_floats(a, n) for a in arrays],
        "codes": _codes,
        "impute": _impute,
        "scale": _scale,
        "onehot": _one_hot,
        "target": _target,
    }
    if spec["op"] not in builders:
        raise PlanError(f"unknown column step {spec['op']!r}")
    return builders[spec["op"]](spec)


def _codes(spec: Mapping[str, Any]) -> ColumnStep:
    """Category text to the number the model was trained on; unseen or missing: NaN."""
    tables = [_Lookup(t.keys(), [[v] for v in t.values()], [math.nan]) for t in spec["tables"]]
    return lambda arrays, n: [t.rows(a, n)[:, 0] for t, a in zip(tables, arrays, strict=True)]


class _Lookup:
    """Rows of a matrix by category text, with one row for anything else.

    One record looks up in a dict; a large batch lets pandas (already loaded there)
    hash the whole column at once, about fifty times faster than a Python loop.
    """

    def __init__(self, keys: Any, rows: Any, other: Any) -> None:
        self.index = {key: i for i, key in enumerate(keys)}
        self._keys: Any = None  # a pandas Index of the keys, built on first large batch
        self.matrix = np.asarray([*rows, other], dtype=np.float64).reshape(len(self.index) + 1, -1)

    def rows(self, values: np.ndarray, n: int) -> np.ndarray:
        return self.matrix[self.positions(values, n)]

    def positions(self, values: np.ndarray, n: int) -> np.ndarray:
        """Row of each value; -1 (the last row) when it is not a key."""
        pandas = sys.modules.get("pandas")
        if pandas is not None and n >= _VECTOR_ROWS:
            if self._keys is None:
                self._keys = pandas.Index(list(self.index), dtype=object)
            return np.asarray(self._keys.get_indexer(np.asarray(values, dtype=object)), np.intp)
        get = self.index.get
        return np.fromiter((get(v, -1) for v in values), dtype=np.intp, count=n)


_VECTOR_ROWS = 256


def _impute(spec: Mapping[str, Any]) -> ColumnStep:
    statistics = list(spec["statistics"])
    flagged = list(spec["indicator"])

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


def _scale(spec: Mapping[str, Any]) -> ColumnStep:
    mean, scale = spec["mean"], spec["scale"]
    return lambda arrays, n: [
        (as_floats(a, n) - m) / s for a, m, s in zip(arrays, mean, scale, strict=True)
    ]


def _one_hot(spec: Mapping[str, Any]) -> ColumnStep:
    """Each input's output block, looked up per row; unseen values get the unseen block."""
    tables = [
        _Lookup(b.keys(), b.values(), u)
        for b, u in zip(spec["blocks"], spec["unknown"], strict=True)
    ]

    def encode(arrays: Columns, n: int) -> Columns:
        out: Columns = []
        for table, values in zip(tables, arrays, strict=True):
            out.extend(table.rows(values, n).T)
        return out

    return encode


def _target(spec: Mapping[str, Any]) -> ColumnStep:
    """Target encodings per category (one value per class for multiclass targets)."""
    fallback = spec["fallback"]
    tables = [_Lookup(t.keys(), t.values(), fallback) for t in spec["tables"]]
    on_missing = [
        np.asarray(fallback if m is None else m, dtype=np.float64) for m in spec["missing"]
    ]

    def encode(arrays: Columns, n: int) -> Columns:
        out: Columns = []
        for table, when_missing, values in zip(tables, on_missing, arrays, strict=True):
            matrix = table.rows(values, n)
            matrix[missing_mask(values, n)] = when_missing
            out.extend(matrix.T)
        return out

    return encode


# --- models: float matrix -> outputs ----------------------------------------------------


def _model(
    spec: Mapping[str, Any], blobs: Mapping[str, bytes], native: bool, est: Any
) -> Callable[[np.ndarray], np.ndarray]:
    kind = spec["kind"]
    if kind == "log_target":
        inner = _model(spec["inner"], blobs, native, getattr(est, "regressor_", None))
        low, high = spec.get("clip") or (-math.inf, math.inf)
        shift = float(spec.get("shift", 0.0))
        return lambda X: np.expm1(np.clip(inner(X), low, high)) - shift
    if kind == "linear":
        return _linear(spec)
    if kind == "trees":
        if est is not None and type(est).__name__.startswith("HistGradientBoosting"):
            return _hist_gradient_boosting(spec, est)
        return _trees(spec, blobs, native)
    raise PlanError(f"unknown model {kind!r}")


def _linear(spec: Mapping[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    coef = np.asarray(spec["coef"], dtype=np.float64)
    intercept = np.asarray(spec["intercept"], dtype=np.float64)
    link = spec["link"]
    return lambda X: _apply_link(X @ coef.T + intercept, link)


def _trees(
    spec: Mapping[str, Any], blobs: Mapping[str, bytes], native: bool
) -> Callable[[np.ndarray], np.ndarray]:
    """A Treelite model; LightGBM itself when ``native`` and the plan kept its text.

    Classifier margins go through the link here, in float64 (Treelite's own
    post-processing of softmax runs in float32: 6e-8 off, measured). scikit-learn trees
    compare float32 inputs, so those inputs are rounded to float32 first.
    """
    link, float32 = spec["link"], spec.get("float32", False)
    order = spec.get("order")
    margin = link != "none"
    if native and spec.get("lightgbm"):
        import lightgbm

        booster = lightgbm.Booster(model_str=_blob(blobs, spec["lightgbm"]).decode("utf-8"))

        def predict_native(X: np.ndarray) -> np.ndarray:
            if order is not None:
                X = X[:, order]
            raw = booster.predict(X, raw_score=margin)
            return _apply_link(np.asarray(raw, dtype=np.float64).reshape(len(X), -1), link)

        return predict_native
    import treelite
    import treelite.gtil

    model = treelite.Model.deserialize_bytes(_blob(blobs, spec["treelite"]))

    def predict(X: np.ndarray) -> np.ndarray:
        if order is not None:
            X = X[:, order]
        if float32:
            X = X.astype(np.float32).astype(np.float64)
        threads = 1 if len(X) < 1000 else -1
        raw = treelite.gtil.predict(model, X, nthread=threads, pred_margin=margin)
        return _apply_link(np.asarray(raw, dtype=np.float64).reshape(len(X), -1), link)

    return predict


def _blob(blobs: Mapping[str, bytes], name: str) -> bytes:
    """A model file of the plan; stored deflated (Treelite files shrink about five-fold)."""
    return zlib.decompress(blobs[name])


def _hist_gradient_boosting(
    spec: Mapping[str, Any], model: Any
) -> Callable[[np.ndarray], np.ndarray]:
    """scikit-learn's own predictor on the plan's encoded columns (private API: the plan
    agreement tests run this path on every reference dataset)."""
    order = spec.get("order")
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1

    def predict(X: np.ndarray) -> np.ndarray:
        if order is not None:
            X = X[:, order]
        X = np.ascontiguousarray(X, dtype=np.float64)
        raw = np.zeros((len(X), model.n_trees_per_iteration_), dtype=np.float64)
        raw += model._baseline_prediction
        model._predict_iterations(X, model._predictors, raw, False, threads)
        return _apply_link(raw, spec["link"])

    return predict


def _apply_link(raw: np.ndarray, link: str) -> np.ndarray:
    """Raw scores to outputs the way the estimator does it (``none``: already outputs)."""
    if link in ("none", "identity"):
        return raw[:, 0] if raw.ndim == 2 and raw.shape[1] == 1 else raw
    if link == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-raw.reshape(-1)))
        return np.column_stack([1.0 - p, p])
    if link == "softmax":
        shifted = raw - raw.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)
    raise PlanError(f"unknown link {link!r}")


# --- values -------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def missing_mask(values: Any, n: int) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return np.isnan(array)
    # None, or NaN: the only value that differs from itself.
    return np.asarray((array == None) | (array != array), dtype=bool).reshape(n)  # noqa: E711


def as_floats(values: Any, n: int) -> np.ndarray:
    """float64 values with NaN for missing (None, NaN)."""
    array = np.asarray(values)
    if array.dtype.kind in "fiub":
        return array.astype(np.float64, copy=False).reshape(n)
    return np.fromiter(
        (math.nan if _is_missing(v) else float(v) for v in array), dtype=np.float64, count=n
    )


def as_texts(values: Any, n: int) -> np.ndarray:
    """An object array of str with None for missing."""
    array = np.asarray(values, dtype=object).reshape(n)
    is_nan = array != array  # NaN is the only value that differs from itself
    if is_nan.any():
        array = array.copy()
        array[is_nan] = None
    return array
