"""The runtime's side of the scoring plan: which plan a model runs, and the pipeline's
part in it.

The plan itself (``tabship.plan``) is data and never sees the pipeline. Three things
here need the pipeline, so they stay in the runtime: checking a freshly compiled plan
against it (``pipeline_probe``), compiling a plan at load for a model saved without one
(``plan_for``), and, in batch mode, letting HistGradientBoosting models predict through
scikit-learn's own threaded predictor (``open_plan``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tabship.artifact import Artifact
from tabship.data import Schema
from tabship.plan import (
    PLAN_FILE,
    LogTargetModel,
    PipelineNode,
    Plan,
    PlanError,
    PlanModel,
    PlanNode,
    PlanSpec,
    TreePredictor,
    TreesModel,
    VotingNode,
)
from tabship.runtime._scoring import frame_predictor
from tabship.runtime._validate import validate_records

if TYPE_CHECKING:
    from tabship.plan import Probe

__all__ = ["open_plan", "pipeline_probe", "plan_for", "plan_needs_pipeline"]

# A fitted scikit-learn estimator (an untyped library, read by duck typing).
Estimator = Any


def plan_for(artifact: Artifact, native_lightgbm: bool) -> Plan | None:
    """The stored plan; for a model saved without one (or with a plan this version
    cannot run), a plan compiled from the pipeline, which then loads in full."""
    # Native predictors serve large batches; HistGradientBoosting's needs the pipeline.
    if PLAN_FILE in artifact.extra_files:
        try:
            return _opened(artifact.extra_files, artifact, native_lightgbm)
        except PlanError:
            pass  # compiled afresh below; only startup time is lost
    from tabship.plan import plan_files

    files = plan_files(artifact.pipeline, artifact.schema, probe=pipeline_probe)
    return _opened(files, artifact, native_lightgbm) if files else None


def _opened(files: Mapping[str, bytes], artifact: Artifact, native_lightgbm: bool) -> Plan:
    spec = PlanSpec.from_files(files)
    # Only HistGradientBoosting's own predictor needs the pipeline: LightGBM's C library
    # needs nothing of it, so a LightGBM model scores a file without scikit-learn.
    wanted = native_lightgbm and any(_hist_gradient_boosting_models(spec.root))
    return _plan(spec, files, native_lightgbm, artifact.pipeline if wanted else None)


def open_plan(
    files: Mapping[str, bytes], *, native_lightgbm: bool = False, pipeline: Estimator = None
) -> Plan:
    """The plan in ``files``, ready to predict; ``PlanError`` when it cannot be run.

    With ``native_lightgbm`` (batch scoring) and the ``pipeline`` the plan was compiled
    from, its HistGradientBoosting models predict with scikit-learn's own (private,
    multi-threaded) predictor, about four times faster than Treelite's on a batch; the
    plan still does all the preprocessing. LightGBM models always predict with
    LightGBM's C library when it is installed (on every core from a thousand rows on),
    never through LightGBM's Python package, whose import loads scikit-learn.
    """
    return _plan(PlanSpec.from_files(files), files, native_lightgbm, pipeline)


def plan_needs_pipeline(plan: Plan) -> bool:
    """Whether ``plan`` holds HistGradientBoosting models, which batch scoring predicts
    faster through the pipeline's own predictor (``open_plan``) once a file is large."""
    return any(_hist_gradient_boosting_models(plan.spec.root))


def _plan(
    spec: PlanSpec, files: Mapping[str, bytes], native_lightgbm: bool, pipeline: Estimator
) -> Plan:
    native: dict[str, TreePredictor] = {}
    if native_lightgbm and pipeline is not None:
        native = dict(_hist_gradient_boosting_predictors(spec.root, pipeline))
    return Plan(spec, files, tree_predictors=native)


def _hist_gradient_boosting_models(node: PlanNode) -> Iterator[TreesModel]:
    """The tree models of ``node`` that only Treelite runs from the plan's files: those
    compiled from HistGradientBoosting (LightGBM's keep their text, scikit-learn's
    forests compare float32)."""
    if isinstance(node, VotingNode):
        for member in node.members:
            yield from _hist_gradient_boosting_models(member)
        return
    model = node.model
    while isinstance(model, LogTargetModel):
        model = model.inner
    if isinstance(model, TreesModel) and model.lightgbm is None and not model.float32:
        yield model


def pipeline_probe(pipeline: Estimator, schema: Schema) -> Probe | None:
    """The plan's probe records as the runtime validates them, and what ``pipeline``
    predicts on them (``tabship.plan.plan_files`` compares its plan with this); None
    when no probe record is valid (a schema without an example)."""
    from tabship.plan import Probe, probe_records

    checked = validate_records(probe_records(schema), schema)
    if checked.errors or not checked.valid_index:
        return None
    n = len(checked.valid_index)
    expected = frame_predictor(pipeline, schema)(checked.columns, n)
    return Probe(checked.columns, n, np.asarray(expected, dtype=np.float64))


def _hist_gradient_boosting_predictors(
    node: PlanNode, est: Estimator
) -> Iterator[tuple[str, TreePredictor]]:
    """The tree models of ``node`` that ``est`` (the estimator it was compiled from)
    fitted with HistGradientBoosting, each with scikit-learn's own predictor."""
    if isinstance(node, PipelineNode):
        yield from _model_predictors(node.model, est.steps[-1][1])
        return
    parts = list(est.estimators_)
    if len(parts) != len(node.members):
        raise PlanError("the plan's voting members do not match the pipeline's")
    for member, part in zip(node.members, parts, strict=True):
        yield from _hist_gradient_boosting_predictors(member, part)


def _model_predictors(model: PlanModel, est: Estimator) -> Iterator[tuple[str, TreePredictor]]:
    if isinstance(model, LogTargetModel):
        yield from _model_predictors(model.inner, getattr(est, "regressor_", None))
    elif isinstance(model, TreesModel) and type(est).__name__.startswith("HistGradientBoosting"):
        yield model.treelite, _hist_gradient_boosting(est)


def _hist_gradient_boosting(model: Estimator) -> TreePredictor:
    """scikit-learn's own predictor on the plan's encoded columns (private API: the plan
    agreement tests run this path on every reference dataset)."""
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1

    def predict(X: NDArray[np.float64]) -> NDArray[np.float64]:
        X = np.ascontiguousarray(X, dtype=np.float64)
        raw = np.zeros((len(X), model.n_trees_per_iteration_), dtype=np.float64)
        raw += model._baseline_prediction
        model._predict_iterations(X, model._predictors, raw, False, threads)
        return raw

    return predict
