"""Report contexts built from small real models fitted on the bundled datasets.

The schema is written out by hand from the frame (not inferred), so these tests depend on
the report layer only, and an extra column named like an HTML script probes escaping.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tabship.data import Field, Schema, Target
from tabship.report import ReportContext
from tests.conftest import dataset_path

SCRIPT_NAME = "<script>alert(1)</script>"


def hand_schema(frame: pd.DataFrame, target: str, task: str) -> Schema:
    fields = []
    for name in frame.columns.drop(target):
        column = frame[name]
        missing = float(column.isna().mean())
        if pd.api.types.is_numeric_dtype(column):
            fields.append(
                Field(
                    name,
                    "numeric",
                    minimum=float(column.min()),
                    maximum=float(column.max()),
                    missing_fraction=missing,
                    n_unique=int(column.nunique()),
                )
            )
        else:
            counts = column.value_counts()
            fields.append(
                Field(
                    name,
                    "categorical",
                    dtype="str",
                    categories=[str(c) for c in counts.index],
                    missing_fraction=missing,
                    n_unique=len(counts),
                )
            )
    fields.append(Field(SCRIPT_NAME, "identifier", dtype="str", n_unique=len(frame)))
    y = frame[target]
    if task == "regression":
        spec = Target(target, "regression", minimum=float(y.min()), maximum=float(y.max()))
    else:
        spec = Target(target, task, classes=[str(c) for c in y.value_counts().index])
    return Schema(fields=fields, target=spec)


def preprocessor(frame: pd.DataFrame) -> ColumnTransformer:
    categorical = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    numeric = [c for c in frame.columns if c not in categorical]
    return ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )


def leaderboard(models: dict, X, y, metrics: dict[str, str]) -> tuple[pd.DataFrame, object]:
    """CV every model (3 folds), best first by the first metric, like search's leaderboard."""
    rows = []
    for name, model in models.items():
        cv = cross_validate(model, X, y, cv=3, scoring=metrics)
        row = {"model": name}
        for metric, scorer in metrics.items():
            sign = -1 if scorer.startswith("neg_") else 1
            row[f"cv_{metric}_mean"] = sign * cv[f"test_{metric}"].mean()
            row[f"cv_{metric}_std"] = cv[f"test_{metric}"].std()
        row["fit_seconds"] = cv["fit_time"].mean()
        start = time.perf_counter()
        model.fit(X, y).predict(X)
        row["predict_us_per_row"] = 1e6 * (time.perf_counter() - start) / len(X)
        row["params"] = model[-1].get_params()
        rows.append(row)
    first = f"cv_{next(iter(metrics))}_mean"
    board = pd.DataFrame(rows).sort_values(first, ascending=False, ignore_index=True)
    return board, models[board["model"].iloc[0]]


def importance_frame(model, X, y) -> pd.DataFrame:
    result = permutation_importance(model, X, y, n_repeats=3, random_state=0, n_jobs=1)
    frame = pd.DataFrame(
        {"feature": X.columns, "importance": result.importances_mean, "std": result.importances_std}
    )
    return frame.sort_values("importance", ascending=False, ignore_index=True)


def fitted_context(
    dataset: str,
    target: str,
    task: str,
    estimators: dict,
    scorers: dict[str, str],
    holdout,
    **extra,
) -> ReportContext:
    """Fit ``estimators`` on a real dataset and gather what ``train`` would hand the report."""
    frame = pd.read_csv(dataset_path(dataset))
    X, y = frame.drop(columns=target), frame[target]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=None if task == "regression" else y
    )
    models = {name: make_pipeline(preprocessor(X), est) for name, est in estimators.items()}
    board, best = leaderboard(models, X_train, y_train, scorers)
    y_pred = best.fit(X_train, y_train).predict(X_test)
    return ReportContext(
        title=f"{target} — {task}",
        created="2025-01-02T03:04:05+00:00",
        tabship_version="0.1.0",
        dataset={
            "source": dataset,
            "n_rows": len(frame),
            "n_columns": frame.shape[1],
            "n_dropped_target_rows": 0,
        },
        task=task,
        target=target,
        metric=next(iter(scorers)),
        schema=hand_schema(frame, target, task),
        leaderboard=board,
        holdout_metrics=holdout(y_test, y_pred),
        y_true=y_test.to_numpy(),
        y_pred=y_pred,
        y_train=y_train.to_numpy(),
        importance=importance_frame(best, X_test, y_test),
        params={"model": board["model"].iloc[0], **board["params"].iloc[0], "time_budget": 60},
        **extra,
    )


def regression_metrics(y_true, y_pred) -> dict:
    return {
        "r2": r2_score(y_true, y_pred),
        "rmse": root_mean_squared_error(y_true, y_pred),
        "mae": mean_absolute_error(y_true, y_pred),
    }


def classification_metrics(y_true, y_pred) -> dict:
    labels = sorted(set(y_true) | set(y_pred))
    return {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "f1_macro": f1_score(y_true, y_pred, average="macro"),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "labels": labels,
    }


@pytest.fixture(scope="session")
def regression_context() -> ReportContext:
    return fitted_context(
        "insurance.csv",
        "charges",
        "regression",
        {"ridge": Ridge(), "decision_tree": DecisionTreeRegressor(max_depth=4, random_state=0)},
        {"r2": "r2", "rmse": "neg_root_mean_squared_error"},
        regression_metrics,
        warnings=[f"Column '{SCRIPT_NAME}' looks like an identifier and is not used."],
    )


@pytest.fixture(scope="session")
def multiclass_context() -> ReportContext:
    return fitted_context(
        "drug200.csv",
        "Drug",
        "multiclass",
        {
            "logistic_regression": LogisticRegression(max_iter=500),
            "decision_tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        },
        {"accuracy": "accuracy", "f1_macro": "f1_macro"},
        classification_metrics,
    )


def random_regression_context(base: ReportContext, n: int) -> ReportContext:
    """``base`` with ``n`` synthetic holdout points, for the size of big scatters."""
    rng = np.random.default_rng(1)
    y_true = rng.normal(10_000, 3_000, n)
    return replace(base, y_true=y_true, y_pred=y_true + rng.normal(0, 500, n))
