"""Reference pipelines fitted on a sample of every reference dataset, for the plan tests.

Each dataset gets every model family the search builds (with the preprocessing kind it
uses), plus a log-target regressor and a soft-voting ensemble.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import VotingClassifier, VotingRegressor

from tabship.data import infer_schema, prepare_target, read_table
from tabship.errors import TabshipWarning
from tabship.search._candidates import baseline_candidates, log_target, make_pipeline
from tests._titled import titled_people
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
    "titled": ("", "survived", {}),  # synthetic: text fields (tests/_titled.py)
}
TRAIN_ROWS, CHECK_ROWS = 600, 30


def fitted_candidates(name: str):
    file, target, kwargs = DATASETS[name]
    frame = read_table(dataset_path(file), **kwargs) if file else titled_people(TRAIN_ROWS + 40)
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
    for field in schema.columns("text"):  # unseen words, none, and the words in another case
        X.iloc[1, X.columns.get_loc(field)] = "Never-Seen, SIR. Before"
        X.iloc[3, X.columns.get_loc(field)] = "--"
        X.iloc[4, X.columns.get_loc(field)] = str(X.iloc[4][field]).upper()
        if not schema.field(field).required:
            X.iloc[0, X.columns.get_loc(field)] = np.nan
    return X
