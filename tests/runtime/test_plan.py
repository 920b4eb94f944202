"""The scoring plan agrees with the fitted Pipeline, on every reference dataset.

Each dataset gets every model family the search builds (with the preprocessing kind it
uses), plus a log-target regressor and a soft-voting ensemble, fitted on a sample; the
plan, written to its files and read back, must reproduce ``Pipeline.predict`` /
``predict_proba`` to 1e-9 (1e-12 relative for huge values) on records it never saw,
including missing values, unseen categories and numbers far outside the training range,
one record at a time and all at once, with Treelite and with LightGBM.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import VotingClassifier, VotingRegressor

from tabship.data import infer_schema, prepare_target, read_table
from tabship.errors import TabshipWarning
from tabship.runtime._compile import compile_plan, plan_files
from tabship.runtime._plan import Plan
from tabship.runtime._validate import RecordValidator, validate_records
from tabship.search._candidates import baseline_candidates, log_target, make_pipeline
from tests.conftest import dataset_path

AUTO_MPG_NAMES = ["MPG", "Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration",
                  "Model Year", "Origin", "Car Name"]  # fmt: skip
DATASETS = {
    "insurance": ("insurance.csv", "charges", {}),
    "adult": ("adult.csv", "income", {}),
    "auto-mpg": ("auto-mpg.csv", "MPG", {}),
    "auto-mpg.data": (
        "auto-mpg.data",
        "MPG",
        {"sep": r"\s+", "header": False, "names": AUTO_MPG_NAMES},
    ),  # fmt: skip
    "college_scorecard": ("college_scorecard.csv", "EARN_MDN_5YR", {}),
    "drug200": ("drug200.csv", "Drug", {}),
    "diamonds": ("diamonds.csv", "price", {}),
    "penguins": ("penguins.csv", "species", {}),
    "german_credit": ("german_credit.csv", "default", {}),
    "income": ("income.csv", "income >50K", {}),
}
TRAIN_ROWS, CHECK_ROWS = 600, 30


def fitted_candidates(name: str):
    file, target, kwargs = DATASETS[name]
    frame = read_table(dataset_path(file), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TabshipWarning)  # dropped constant columns
        schema = infer_schema(frame, target)
    if name == "auto-mpg":
        schema.derived = ["power_to_weight = Horsepower / Weight"]
    X, y, _ = prepare_target(frame, target, schema.task)
    n_fit = min(TRAIN_ROWS, len(y) - CHECK_ROWS)
    X_fit, y_fit = X.iloc[:n_fit], y.iloc[:n_fit]
    pipelines = {}
    for c in baseline_candidates(
        schema.task, y_fit.to_numpy(), seed=0, n_jobs=1, n_rows=len(y_fit)
    ):
        model = c.build()
        if c.family in ("random_forest", "extra_trees"):
            model.set_params(n_estimators=10)  # agreement, not accuracy, is tested
        elif c.family == "hist_gradient_boosting":
            model.set_params(max_iter=20)
        pipelines[c.name] = make_pipeline(schema, c.kind, model).fit(X_fit, y_fit)
    if schema.task == "regression" and (y_fit > 0).all():
        from sklearn.linear_model import Ridge

        pipelines["log target"] = make_pipeline(schema, "linear", log_target(Ridge())).fit(
            X_fit, y_fit
        )
    voting = VotingRegressor if schema.task == "regression" else VotingClassifier
    members = [(k, pipelines[k]) for k in ("LightGBM", "HistGradientBoosting", "DecisionTree")]
    extra = {} if schema.task == "regression" else {"voting": "soft"}
    pipelines["ensemble"] = voting(members, weights=[3, 1, 1], **extra).fit(X_fit, y_fit)
    return schema, pipelines, X.iloc[n_fit : n_fit + CHECK_ROWS]


def with_surprises(X: pd.DataFrame, schema) -> pd.DataFrame:
    """Check rows plus a missing value and an unseen category in optional fields, and
    numbers far outside the training range (where a log-target model must stay bounded)."""
    X = X.copy()
    for field in schema.feature_fields:
        if field.role == "numeric":
            X[field.name] = X[field.name].astype("float64")
            X.iloc[2, X.columns.get_loc(field.name)] = 1e12
        if field.required:
            continue
        if field.role == "numeric":
            X.iloc[0, X.columns.get_loc(field.name)] = np.nan
        elif field.role == "categorical":
            X.iloc[1, X.columns.get_loc(field.name)] = "never seen before"
    return X


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_plan_agrees_with_the_pipeline(name):
    schema, pipelines, X = fitted_candidates(name)
    X = with_surprises(X, schema)
    validator = RecordValidator(schema)
    # As a JSON client sends them: a missing value is null, not NaN.
    records = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in X.to_dict(orient="records")
    ]
    checked = validate_records(records, schema)
    assert not checked.errors, checked.errors[:3]
    frame = checked.frame
    compiled = 0
    for label, pipeline in pipelines.items():
        files = plan_files(pipeline, schema)
        if not files:
            continue
        compiled += 1
        if schema.task == "regression":
            expected = pipeline.predict(frame)
        else:
            expected = pipeline.predict_proba(frame)
        for native in (False, True):
            plan = Plan.from_files(files, native_lightgbm=native, pipeline=pipeline)
            one_by_one = [
                plan.predict({k: [v] for k, v in validator.validate_one(r).values.items()}, 1)
                for r in records
            ]
            got = np.asarray(one_by_one, dtype=float).reshape(expected.shape)
            message = f"{name}: {label}, native={native}"
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9, err_msg=message)
            at_once = plan.predict(checked.columns, len(records))
            np.testing.assert_allclose(at_once, expected, rtol=1e-12, atol=1e-9, err_msg=message)
            # Large batches look categories up column-wise (pandas) and predict on all cores.
            big = {k: list(v) * 40 for k, v in checked.columns.items()}
            tiled = np.concatenate([expected] * 40)
            got_big = plan.predict(big, 40 * len(records))
            np.testing.assert_allclose(got_big, tiled, rtol=1e-12, atol=1e-9, err_msg=message)
    has_dates = any(f.role == "datetime" for f in schema.feature_fields)
    assert has_dates or compiled == len(pipelines), f"{name}: only {compiled} compiled"


def test_plan_refuses_what_it_cannot_compile():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeRegressor

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    odd = Pipeline([("f", FunctionTransformer(np.log1p)), ("m", DecisionTreeRegressor())])
    odd.fit(X, [1, 2, 3, 4])
    schema = infer_schema(X.assign(y=[1.0, 2.5, 3.1, 4.7]), "y", task="regression")
    assert compile_plan(odd, schema) is None
    assert math.isfinite(odd.predict(X)[0])


def test_a_plan_that_disagrees_with_its_pipeline_is_caught():
    """The save-time probe check: a plan standing in for another pipeline is refused."""
    from tabship.runtime._compile import _disagreement, _probe_records

    schema, pipelines, _ = fitted_candidates("insurance")
    plan = Plan.from_files(plan_files(pipelines["LightGBM"], schema))
    assert len(_probe_records(schema)) > len(schema.feature_fields)
    assert _disagreement(plan, pipelines["LightGBM"], schema) is None
    reason = _disagreement(plan, pipelines["Ridge"], schema)
    assert reason is not None and "disagrees with the pipeline" in reason
