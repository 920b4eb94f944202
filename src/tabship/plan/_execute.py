"""Executing a scoring plan with numpy and Treelite (LightGBM optionally, for batch speed).

A served model must start in well under two seconds and stay small, but scikit-learn's
import alone pulls in scipy.stats, pandas and pyarrow (about 170 MB and over a second
here), and rebuilding the pipeline with skops imports every estimator module on top.
What the fitted pipeline *does* at prediction time is small, and ``tabship.plan``
writes it down at save time as data (``PlanSpec``). This module runs that spec on
columns of any length. It never sees the pipeline: the only way in for other code is
``tree_predictors``, replacements for named tree models (the runtime's batch mode uses
it for HistGradientBoosting's own threaded predictor).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tabship.artifact import inflation_limit
from tabship.plan._format import PLAN_FILE, PlanError
from tabship.plan._gtil import GTILError, TreeliteModel
from tabship.plan._lightgbm import LightGBMError, LightGBMModel, lightgbm_library
from tabship.plan._rows import first_row, row_frame_function, row_matrix_function
from tabship.plan._spec import (
    LinearModel,
    Link,
    LogTargetModel,
    PipelineNode,
    PlanModel,
    PlanNode,
    PlanSpec,
    TreesModel,
    VotingNode,
)
from tabship.plan._steps import Frame, frame_function, matrix_function

if TYPE_CHECKING:
    from tabship.plan._compiled import CompiledForest

__all__ = ["Plan", "TreePredictor", "apply_link"]

Floats = NDArray[np.float64]
# Replaces a tree model's Treelite prediction: the model's input matrix (columns already
# in the model's order) -> what Treelite gives, margins ``(n, k)`` for classifiers.
TreePredictor = Callable[[Floats], Floats]
_NodeFunction = Callable[[Frame, int], Floats]
_ModelFunction = Callable[[Floats], Floats]
_Prepare = Callable[[Frame, int], Floats]  # a pipeline's preprocessing: the model's matrix


class Plan:
    """``predict(columns, n)``: regression values ``(n,)`` or class probabilities ``(n, k)``.

    Parameters
    ----------
    spec : PlanSpec
        What ``plan.json`` holds (``PlanSpec.from_files``).
    blobs : mapping of str to bytes
        The files it names (deflated Treelite models, LightGBM model text).
    native_lightgbm : bool
        Predict LightGBM models with LightGBM itself (multi-threaded, about four times
        faster on large batches) instead of Treelite's reference predictor. Both give the
        same numbers; serving keeps Treelite so that a worker never imports LightGBM's
        scikit-learn layer.
    lightgbm_library : bool
        Otherwise, predict LightGBM models with LightGBM's C library when it is
        installed (loaded with ctypes, the Python package stays out; one record in a few
        µs where Treelite takes 60-330), else with Treelite. False: Treelite always.
    tree_predictors : mapping of str to callable, optional
        Predictors standing in for tree models, by the name of the model's Treelite file
        (see ``TreePredictor``); the plan still does all the preprocessing and the link.

    Raises
    ------
    PlanError
        A file the spec names is missing or cannot be read.
    """

    def __init__(
        self,
        spec: PlanSpec,
        blobs: Mapping[str, bytes],
        *,
        native_lightgbm: bool = False,
        tree_predictors: Mapping[str, TreePredictor] | None = None,
        lightgbm_library: bool = True,
    ) -> None:
        self.spec = spec
        self.task = spec.task
        self.classes = spec.classes
        self.inputs = list(spec.inputs)
        models = _Models(blobs, native_lightgbm, dict(tree_predictors or {}), lightgbm_library)
        self._models = models
        try:
            self._predict = _node_function(spec.root, models)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, PlanError):
                raise
            raise PlanError(f"{PLAN_FILE} cannot be executed: {error!r}") from error

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, bytes],
        *,
        native_lightgbm: bool = False,
        tree_predictors: Mapping[str, TreePredictor] | None = None,
        lightgbm_library: bool = True,
    ) -> Plan:
        """The plan stored in an artifact's files; ``PlanError`` when it cannot be run."""
        spec = PlanSpec.from_files(files)
        return cls(
            spec,
            files,
            native_lightgbm=native_lightgbm,
            tree_predictors=tree_predictors,
            lightgbm_library=lightgbm_library,
        )

    @property
    def classifier(self) -> bool:
        return self.spec.classifier

    def compiled_trees(self) -> list[CompiledForest]:
        """The compiled forms of the LightGBM models that LightGBM's C library scores
        (each is built on its model's first big batch; ``CompiledForest.wait``)."""
        return [model.compiled(margin) for model, margin in self._models.libraries]

    def predict(self, columns: Frame, n: int) -> Floats:
        """Outputs for ``n`` rows given as one sequence per input field (missing: None)."""
        frame = {name: columns[name] for name in self.inputs}
        with np.errstate(all="ignore"):
            out = self._predict(frame, n)
        return out.reshape(n, -1) if self.classifier else out.reshape(n)


# --- nodes: frame -> outputs --------------------------------------------------------------


def _node_function(node: PlanNode, models: _Models) -> _NodeFunction:
    if isinstance(node, VotingNode):
        return _voting_function(node, models)
    prepare = _prepare_function(node)
    model = models.function(node.model)
    return lambda frame, n: model(prepare(frame, n))


def _voting_function(node: VotingNode, models: _Models) -> _NodeFunction:
    """The members' weighted average. Members with the same preprocessing (a search's
    ensemble of models trained on one) share its matrix, made once per call: the model
    functions only read it. Half of a one-record prediction of adult's two LightGBMs
    was preprocessing, made twice."""
    average = _weighted_average(node.weights)
    prepared: list[tuple[object, _Prepare]] = []
    members: list[tuple[int, _ModelFunction] | _NodeFunction] = []
    for member in node.members:
        if isinstance(member, VotingNode):
            members.append(_voting_function(member, models))
            continue
        key = (member.steps, member.columns)
        index = next((i for i, (seen, _) in enumerate(prepared) if seen == key), None)
        if index is None:
            index = len(prepared)
            prepared.append((key, _prepare_function(member)))
        members.append((index, models.function(member.model)))
    prepares = [prepare for _, prepare in prepared]

    def voting(frame: Frame, n: int) -> Floats:
        matrices = [prepare(frame, n) for prepare in prepares]
        return average(
            [m[1](matrices[m[0]]) if isinstance(m, tuple) else m(frame, n) for m in members]
        )

    return voting


def _weighted_average(weights: list[float] | None) -> Callable[[list[Floats]], Floats]:
    """``np.average(outputs, axis=0, weights=weights)``, with the weights' checks and
    sum made once: the same operations (products summed over the members, divided by
    the weights' sum), about 10 µs less per call. Weights summing to zero are left to
    ``np.average``, which refuses them."""
    if weights is None:
        return lambda outputs: np.average(outputs, axis=0)
    column = np.asarray(weights, dtype=np.float64)
    total = column.sum()
    if column.ndim != 1 or total == 0.0:
        return lambda outputs: np.average(outputs, axis=0, weights=weights)

    def average(outputs: list[Floats]) -> Floats:
        stacked = np.asarray(outputs)
        if len(stacked) != len(column):  # np.average says what is wrong
            return np.average(outputs, axis=0, weights=weights)
        shaped = column.reshape((len(column),) + (1,) * (stacked.ndim - 1))
        result: Floats = np.multiply(stacked, shaped, dtype=np.float64).sum(axis=0) / total
        return result

    return average


def _prepare_function(node: PipelineNode) -> _Prepare:
    """A pipeline's preprocessing: its frame steps, then its column parts' matrix."""
    steps = [frame_function(s) for s in node.steps]
    matrix = matrix_function(node.columns)
    # One record goes through plain Python values: numpy's per-call cost was most of
    # its time (see plan._rows); the numbers are the same to the bit.
    row_steps = [row_frame_function(s) for s in node.steps]
    row_matrix = row_matrix_function(node.columns)

    def prepare(frame: Frame, n: int) -> Floats:
        if n == 1:
            row = first_row(frame)
            for row_step in row_steps:
                row = row_step(row)
            return row_matrix(row)
        current = frame
        for step in steps:
            current = step(current, n)
        return matrix(current, n)

    return prepare


# --- models: float matrix -> outputs ------------------------------------------------------


class _Models:
    """Model functions, with the plan's files and the ways tree models may predict."""

    def __init__(
        self,
        blobs: Mapping[str, bytes],
        native: bool,
        replacements: dict[str, TreePredictor],
        library: bool = True,
    ) -> None:
        self.blobs = blobs
        self.native = native
        self.replacements = replacements
        self.library = library
        self.libraries: list[tuple[LightGBMModel, bool]] = []  # C library models, margin

    def function(self, model: PlanModel) -> _ModelFunction:
        if isinstance(model, LogTargetModel):
            inner = self.function(model.inner)
            low, high = model.clip or (-np.inf, np.inf)
            shift = float(model.shift or 0.0)
            return lambda X: np.expm1(np.clip(inner(X), low, high)) - shift
        if isinstance(model, LinearModel):
            return _linear(model)
        return self.trees(model)

    def trees(self, model: TreesModel) -> _ModelFunction:
        """A Treelite model; LightGBM when the plan kept its text: its Python package
        when native (batch scoring), else its C library when installed.

        Classifier margins go through the link here, in float64 (Treelite's own
        post-processing of softmax runs in float32: 6e-8 off, measured). scikit-learn
        trees compare float32 inputs, so those inputs are rounded to float32 first.
        """
        order, link = model.order, model.link
        replacement = self.replacements.get(model.treelite)
        if replacement is not None:
            raw_of: TreePredictor = replacement
        elif self.native and model.lightgbm:
            raw_of = _lightgbm(self.blob(model.lightgbm), margin=link != "none")
        elif (library := self.lightgbm_library(model)) is not None:
            raw_of = library
        else:
            raw_of = _treelite(
                model.treelite, self.blob(model.treelite), model.float32, margin=link != "none"
            )

        def predict(X: Floats) -> Floats:
            if order is not None:
                X = X[:, order]
            raw = np.asarray(raw_of(X), dtype=np.float64).reshape(len(X), -1)
            return apply_link(raw, link)

        return predict

    def lightgbm_library(self, model: TreesModel) -> TreePredictor | None:
        """The model through LightGBM's C library, when it and the model's text are
        there (None: Treelite predicts; a text LightGBM refuses falls back to it too)."""
        if not self.library or not model.lightgbm or model.float32:
            return None
        library = lightgbm_library()  # loaded on the first LightGBM model only
        if library is None:
            return None
        margin = model.link != "none"
        try:
            loaded = LightGBMModel(library, self.blob(model.lightgbm))
        except LightGBMError:
            return None
        self.libraries.append((loaded, margin))
        return lambda X: loaded.predict(X, margin=margin)

    def blob(self, name: str) -> bytes:
        """A model file of the plan; stored deflated (Treelite files shrink about five-fold).

        Inflated only up to ``tabship.artifact.inflation_limit`` of its deflated size: a
        crafted file (a zlib bomb with its sha256 updated) is refused, not inflated whole.
        """
        deflated = self.blobs[name]
        limit = inflation_limit(len(deflated))
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(deflated, limit)
        except zlib.error as error:
            raise PlanError(f"{name} is not a deflated model file ({error})") from None
        if inflater.eof:
            return data
        if len(data) >= limit:
            raise PlanError(
                f"{name} would inflate past {limit:,} bytes (from {len(deflated):,}): "
                "a damaged file or a decompression bomb"
            )
        raise PlanError(f"{name} is cut short (its deflated stream does not end)")


def _linear(model: LinearModel) -> _ModelFunction:
    coef = np.atleast_2d(np.asarray(model.coef, dtype=np.float64))
    intercept = np.asarray(model.intercept, dtype=np.float64)
    link = model.link
    # einsum, not ``@``: BLAS picks a different kernel (and summation order) for one row
    # than for many, so a record scored alone could differ in the last bit from the same
    # record scored in a batch.
    return lambda X: apply_link(np.einsum("ij,kj->ik", X, coef) + intercept, link)


def _treelite(name: str, data: bytes, float32: bool, *, margin: bool) -> TreePredictor:
    try:
        loaded = TreeliteModel(data)
    except GTILError as error:
        raise PlanError(f"{name} is not a Treelite model this version reads: {error}") from None

    def predict(X: Floats) -> Floats:
        if float32:
            X = X.astype(np.float32).astype(np.float64)
        threads = 1 if len(X) < 1000 else -1
        return np.asarray(loaded.predict(X, nthread=threads, margin=margin))

    return predict


def _lightgbm(text: bytes, *, margin: bool) -> TreePredictor:
    import lightgbm

    booster = lightgbm.Booster(model_str=text.decode("utf-8"))
    return lambda X: np.asarray(booster.predict(X, raw_score=margin), dtype=np.float64)


def apply_link(raw: Floats, link: Link) -> Floats:
    """Raw scores to outputs the way the estimator does it (``none``: already outputs)."""
    if link in ("none", "identity"):
        return raw[:, 0] if raw.ndim == 2 and raw.shape[1] == 1 else raw
    if link == "sigmoid":
        p = 1.0 / (1.0 + np.exp(-raw.reshape(-1)))
        both = np.empty((len(p), 2))  # column_stack's values, without its checks
        both[:, 0] = 1.0 - p
        both[:, 1] = p
        return both
    shifted = raw - raw.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probabilities: Floats = exp / exp.sum(axis=1, keepdims=True)
    return probabilities
