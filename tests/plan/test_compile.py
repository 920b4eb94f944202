"""The plan compiler keeps a plan only when it is sure of it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tabship.data import infer_schema
from tabship.plan import Plan, compile_plan, plan_files, probe_records
from tabship.runtime import pipeline_probe
from tests.plan._fitted import fitted_candidates


def test_plan_refuses_what_it_cannot_compile():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeRegressor

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    odd = Pipeline([("f", FunctionTransformer(np.log1p)), ("m", DecisionTreeRegressor())])
    odd.fit(X, [1, 2, 3, 4])
    schema = infer_schema(X.assign(y=[1.0, 2.5, 3.1, 4.7]), "y", task="regression")
    assert compile_plan(odd, schema, probe=pipeline_probe) is None
    assert math.isfinite(odd.predict(X)[0])


@pytest.mark.slow  # fits every candidate family on insurance
def test_a_plan_that_disagrees_with_its_pipeline_is_caught():
    """The save-time probe check: a plan standing in for another pipeline is refused."""
    from tabship.plan._compile import _disagreement

    schema, pipelines, _ = fitted_candidates("insurance")
    plan = Plan.from_files(plan_files(pipelines["LightGBM"], schema, probe=pipeline_probe))
    assert len(probe_records(schema)) > len(schema.feature_fields)
    assert _disagreement(plan, pipeline_probe(pipelines["LightGBM"], schema)) is None
    reason = _disagreement(plan, pipeline_probe(pipelines["Ridge"], schema))
    assert reason is not None and "disagrees with the pipeline" in reason
