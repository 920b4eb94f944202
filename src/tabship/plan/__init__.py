"""The scoring plan: a fitted pipeline written down as data, run with numpy and Treelite.

Two sides share the spec (``PlanSpec`` and its steps, models and nodes: frozen
dataclasses that read and write ``plan.json``):

- training (and a runtime loading a model saved without a plan) *compiles* a fitted
  scikit-learn pipeline: ``plan_files(pipeline, schema, probe=...)`` gives ``plan.json``
  and its ``plan-N.treelite`` / ``plan-N.lightgbm`` files, checked against the
  pipeline on probe records;
- the serving runtime *executes* them: ``Plan.from_files(files).predict(columns, n)``.

``import tabship.plan`` loads numpy only (Treelite when a plan is built, LightGBM only
for ``native_lightgbm``, lleaves on a LightGBM model's first big batch); the compile
side loads on first use, so a server worker never imports scikit-learn, pandas or
LightGBM through this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes
from tabship.plan._execute import Plan, TreePredictor
from tabship.plan._format import PLAN_FILE, PLAN_FORMAT, PlanError
from tabship.plan._spec import (
    LINKS,
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
from tabship.plan._values import Coded

if TYPE_CHECKING:
    from tabship.plan._compile import Probe, Prober, compile_plan, plan_files, probe_records
    from tabship.plan._compiled import CompiledForest, cache_folder

__all__ = [
    "LINKS",
    "PLAN_FILE",
    "PLAN_FORMAT",
    "Coded",
    "CodesStep",
    "CoerceStep",
    "CompiledForest",
    "ColumnPart",
    "ColumnStep",
    "DeriveStep",
    "FloatStep",
    "FrameStep",
    "ImputeStep",
    "LinearModel",
    "Link",
    "LogTargetModel",
    "OneHotStep",
    "PipelineNode",
    "Plan",
    "PlanError",
    "PlanModel",
    "PlanNode",
    "PlanSpec",
    "Probe",
    "Prober",
    "ScaleStep",
    "TargetStep",
    "TokensStep",
    "TreePredictor",
    "TreesModel",
    "VotingNode",
    "cache_folder",
    "compile_plan",
    "plan_files",
    "probe_records",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "CompiledForest": "tabship.plan._compiled",
        "cache_folder": "tabship.plan._compiled",
        "Probe": "tabship.plan._compile",
        "Prober": "tabship.plan._compile",
        "compile_plan": "tabship.plan._compile",
        "plan_files": "tabship.plan._compile",
        "probe_records": "tabship.plan._compile",
    },
)
