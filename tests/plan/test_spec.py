"""The plan's spec is data: it reads and writes ``plan.json`` byte for byte, and a file
this version cannot run fails at load with ``PlanError``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tabship.plan import (
    PLAN_FILE,
    CodesStep,
    CoerceStep,
    ColumnPart,
    DeriveStep,
    FloatStep,
    ImputeStep,
    LinearModel,
    LogTargetModel,
    OneHotStep,
    PipelineNode,
    Plan,
    PlanError,
    PlanSpec,
    ScaleStep,
    TargetStep,
    TreesModel,
    VotingNode,
    plan_files,
)
from tabship.runtime import pipeline_probe
from tests.plan._fitted import fitted_candidates


def every_step_spec() -> PlanSpec:
    """One of each step, model and node, with a linear model that is easy to check."""
    columns = [
        ColumnPart(
            ["x", "ratio"],
            [ImputeStep([1.5, 0.5], [0]), ScaleStep([1.0, 0.0, 0.0], [2.0, 1.0, 1.0])],
        ),
        ColumnPart(["colour"], [OneHotStep([{"red": [1.0, 0.0]}], [[0.0, 1.0]])]),
        ColumnPart(["colour"], [CodesStep([{"red": 3.0}])]),
        ColumnPart(["colour"], [TargetStep([{"red": [7.0]}], [None], [5.0])]),
        ColumnPart(["x"], [FloatStep()]),
    ]
    n_columns = 2 + 1 + 2 + 1 + 1 + 1  # scaled, indicator, one-hot, code, target, float
    linear = LinearModel(coef=[1.0] * n_columns, intercept=0.25, link="identity")
    pipeline = PipelineNode(
        steps=[
            CoerceStep([("x", "numeric"), ("colour", "categorical")]),
            DeriveStep(["ratio = x / 2"]),
        ],
        columns=columns,
        model=LogTargetModel(linear, clip=(-1.0, 50.0), shift=0.0),
    )
    trees = TreesModel("none", "plan-0.treelite", float32=True)
    other = PipelineNode([], [ColumnPart(["x"], [FloatStep()])], LogTargetModel(trees))
    voting = VotingNode([pipeline, other], weights=[1.0, 0.0])
    return PlanSpec("regression", None, ["x", "colour"], voting)


def test_spec_round_trips_through_json():
    spec = every_step_spec()
    data = spec.to_bytes()
    again = PlanSpec.from_files({PLAN_FILE: data})
    assert again == spec
    assert again.to_bytes() == data
    assert json.loads(data)["format"] == 2


def test_plan_executes_a_hand_written_spec():
    spec = every_step_spec()
    only_linear = PlanSpec(spec.task, spec.classes, spec.inputs, spec.root.members[0])
    plan = Plan(only_linear, {})
    got = plan.predict({"x": [3.0, None], "colour": ["red", "blue"]}, 2)
    # x=3: scaled (3-1)/2=1, ratio 1.5/1=1.5, not missing 0, one-hot red 1+0, code 3,
    # target 7, float 3; the missing x: imputed 1.5 -> 0.25, ratio NaN -> 0.5, flag 1,
    # unseen colour 0+1, code NaN.
    first = 1.0 + 1.5 + 0.0 + 1.0 + 0.0 + 3.0 + 7.0 + 3.0 + 0.25
    assert got[0] == pytest.approx(np.expm1(first))
    assert np.isnan(got[1])  # an unseen category's code is NaN, as in the pipeline


@pytest.mark.slow  # fits every candidate family on penguins
def test_spec_of_every_compiled_pipeline_round_trips_byte_for_byte():
    schema, pipelines, _ = fitted_candidates("penguins")
    for label, pipeline in pipelines.items():
        files = plan_files(pipeline, schema, probe=pipeline_probe)
        assert files, label
        assert PlanSpec.from_files(files).to_bytes() == files[PLAN_FILE], label


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(format=1), "plan format 1 is not 2"),
        (lambda d: d["root"].update(kind="stacking"), "unknown node 'stacking'"),
        (lambda d: d["root"]["members"][0]["steps"][0].update(op="sql"), "unknown frame step"),
        (lambda d: d["root"]["members"][0]["model"]["inner"].update(link="tanh"), "unknown link"),
        (lambda d: d["root"]["members"][0]["columns"][0].update(steps=[{"op": "pca"}]), "pca"),
        (lambda d: d["root"].update(weights=["heavy", 1.0]), "not a number"),
        (lambda d: d.pop("inputs"), "malformed"),
    ],
)
def test_a_plan_this_version_cannot_run_fails_at_load(change, match):
    data = every_step_spec().to_json()
    change(data)
    with pytest.raises(PlanError, match=match):
        Plan.from_files({PLAN_FILE: json.dumps(data).encode()})


def test_a_missing_or_unreadable_model_file_is_a_plan_error():
    data = every_step_spec().to_bytes()
    with pytest.raises(PlanError, match="plan-0.treelite"):
        Plan.from_files({PLAN_FILE: data})
    with pytest.raises(PlanError, match="cannot be executed"):
        Plan.from_files({PLAN_FILE: b"not json"})
