"""Writing a fitted pipeline down as a scoring plan, checked before it is kept.

This walks the *fitted* scikit-learn objects once, when a model is saved (or loaded from
an artifact that has no plan yet), and records what each step does at prediction time
(``tabship.plan._compile_models`` and ``_compile_columns``). Only what tabship's own
pipelines contain is compiled; anything else (datetime parts, an unknown estimator)
gives no plan, and the runtime keeps using the pipeline.

A plan is only kept after it predicted what the pipeline predicts on probe records. The
plan cannot run the pipeline on validated records itself (validation belongs to the
runtime, a layer above), so the caller passes a ``Prober``; the runtime's is
``tabship.runtime.pipeline_probe``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tabship.data import Schema
from tabship.errors import TabshipWarning
from tabship.plan._compile_models import Estimator, ModelCompiler, Unsupported
from tabship.plan._execute import Plan
from tabship.plan._format import PLAN_FILE
from tabship.plan._spec import PlanSpec

__all__ = ["Probe", "Prober", "compile_plan", "plan_files", "probe_records"]


@dataclass(frozen=True)
class Probe:
    """Probe records as the runtime validated them, and the pipeline's outputs on them."""

    columns: Mapping[str, Sequence[object]]
    n: int
    expected: NDArray[np.float64]


# (pipeline, schema) -> the probe, or None when no probe record is valid.
Prober = Callable[[Estimator, Schema], Probe | None]


def plan_files(pipeline: Estimator, schema: Schema, *, probe: Prober) -> dict[str, bytes]:
    """``plan.json`` and its model files for ``pipeline``; empty when it has no plan.

    A plan is only returned after it predicted what the pipeline predicts on probe
    records built from the schema (``probe_records``: every category, the range ends,
    missing values): a converter bug must cost speed, never a wrong answer. Nothing here
    can fail a save.
    """
    compiler = ModelCompiler()
    try:
        root = compiler.estimator(pipeline)
        task = schema.task
        classes = None if task == "regression" else [str(c) for c in pipeline.classes_]
        spec = PlanSpec(task, classes, [f.name for f in schema.feature_fields], root)
        files = {PLAN_FILE: spec.to_bytes(), **compiler.blobs}
        problem = _disagreement(Plan.from_files(files), probe(pipeline, schema))
    except Unsupported:
        return {}
    except Exception as error:  # a converter failing in its own way
        problem = f"it could not be compiled ({type(error).__name__}: {error})"
    if problem:
        warnings.warn(
            f"The model has no scoring plan: {problem}. It predicts with its scikit-learn "
            "pipeline instead, which is slower to load and to serve.",
            TabshipWarning,
            stacklevel=2,
        )
        return {}
    return files


def compile_plan(pipeline: Estimator, schema: Schema, *, probe: Prober) -> Plan | None:
    """A ``Plan`` for ``pipeline`` built in memory, or None when it has no plan."""
    files = plan_files(pipeline, schema, probe=probe)
    return Plan.from_files(files) if files else None


def _disagreement(plan: Plan, probe: Probe | None) -> str | None:
    """Why ``plan`` cannot stand in for the pipeline on the probe records, or None."""
    if probe is None:
        return None  # nothing valid to compare on (a schema without an example)
    expected = probe.expected
    got = plan.predict(probe.columns, probe.n)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
        worst = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else None
        return f"it disagrees with the pipeline on probe records (largest difference {worst})"
    return None


def probe_records(schema: Schema) -> list[dict[str, object]]:
    """The example record, then one change at a time: every category (up to 50 per
    field), the ends of every numeric range, and a missing value where one is allowed."""
    base = dict(schema.example)
    records: list[dict[str, object]] = [base]
    for f in schema.feature_fields:
        values: list[object]
        if f.role in ("categorical", "boolean"):
            values = [*(f.categories or [])[:50]]
        elif f.role == "numeric":
            values = [v for v in (f.minimum, f.maximum) if v is not None]
        else:
            values = []
        if not f.required:
            values.append(None)
        records.extend({**base, f.name: v} for v in values)
    return records
