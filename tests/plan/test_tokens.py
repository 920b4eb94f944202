"""The plan's tokens step: text fields as word indicators, without scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tabship.data import TOKEN_PATTERN
from tabship.plan import (
    PLAN_FILE,
    CoerceStep,
    ColumnPart,
    FloatStep,
    LinearModel,
    PipelineNode,
    Plan,
    PlanError,
    PlanSpec,
    TokensStep,
)


def words_spec() -> PlanSpec:
    """A linear model on the words of two text fields (and one number)."""
    columns = [
        ColumnPart(["name", "ticket"], [TokensStep([["mr", "mrs"], ["pc"]])]),
        ColumnPart(["age"], [FloatStep()]),
    ]
    node = PipelineNode(
        steps=[CoerceStep([("name", "text"), ("ticket", "text"), ("age", "numeric")])],
        columns=columns,
        model=LinearModel(coef=[1.0, 10.0, 100.0, 1000.0], intercept=0.0, link="identity"),
    )
    return PlanSpec("regression", None, ["name", "ticket", "age"], node)


def test_tokens_step_round_trips_and_names_its_pattern():
    spec = words_spec()
    data = spec.to_bytes()
    step = json.loads(data)["root"]["columns"][0]["steps"][0]
    assert step == {
        "op": "tokens",
        "pattern": TOKEN_PATTERN,
        "vocabularies": [["mr", "mrs"], ["pc"]],
    }
    again = PlanSpec.from_files({PLAN_FILE: data})
    assert again == spec and again.to_bytes() == data


def test_words_are_lowercased_whole_tokens_and_missing_text_has_none():
    plan = Plan(words_spec(), {})
    columns = {
        "name": ["Smith, Mr. John", "MRS. Mr-Smith", "Mrsmith", None, "mr"],
        "ticket": ["PC 17599", None, "STON/O2. 3101282", "pc/5", "P C"],
        "age": [0.0, 0.0, 0.0, 0.0, 0.0],
    }
    got = plan.predict(columns, 5)
    np.testing.assert_array_equal(got, [101.0, 11.0, 0.0, 100.0, 1.0])
    one = [plan.predict({k: [v[i]] for k, v in columns.items()}, 1)[0] for i in range(5)]
    np.testing.assert_array_equal(one, got)


def test_a_plan_with_another_token_pattern_is_refused():
    data = words_spec().to_json()
    data["root"]["columns"][0]["steps"][0]["pattern"] = r"\S+"
    with pytest.raises(PlanError, match="token pattern"):
        Plan.from_files({PLAN_FILE: json.dumps(data).encode()})
