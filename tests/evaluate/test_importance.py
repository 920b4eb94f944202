"""Permutation importance on raw columns, sorted by importance."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.pipeline import Pipeline

from tabship.data import infer_schema, prepare_target, read_table
from tabship.evaluate import feature_importance
from tabship.features import build_preprocessor
from tests.conftest import dataset_path


def fitted(name: str, target: str, model) -> tuple[Pipeline, pd.DataFrame, pd.Series, str]:
    frame = read_table(dataset_path(f"{name}.csv"))
    schema = infer_schema(frame, target)
    X, y, _ = prepare_target(frame, target, schema.task)
    pipe = Pipeline([("prep", build_preprocessor(schema, "tree")), ("model", model)])
    return pipe.fit(X, y), X, y, schema.task


def test_feature_importance_ranks_raw_columns_by_importance():
    model = RandomForestRegressor(n_estimators=30, random_state=0, n_jobs=1)
    pipe, X, y, task = fitted("insurance", "charges", model)
    table = feature_importance(pipe, X, y, task, n_repeats=3, max_rows=400)
    assert list(table.columns) == ["feature", "importance", "std"]
    assert sorted(table["feature"]) == sorted(X.columns)
    assert table["importance"].is_monotonic_decreasing
    assert table["feature"].iloc[0] == "smoker"  # not the alphabetically first column
    assert (table["std"] >= 0).all()


def test_feature_importance_multiclass_sample_missing_a_class():
    model = RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=1)
    pipe, X, y, task = fitted("drug200", "Drug", model)
    assert task == "multiclass"
    rows = (y != "drugC").to_numpy()  # log loss must still know the model's five classes
    table = feature_importance(pipe, X[rows], y[rows], task, n_repeats=2, seed=3)
    # drugA/B split on BP, drugX/Y on Na_to_K: the two carry the signal, near-equally
    assert set(table["feature"].iloc[:2]) == {"Na_to_K", "BP"}


def test_feature_importance_is_reproducible_with_a_seed():
    model = RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1)
    pipe, X, y, task = fitted("insurance", "charges", model)
    first = feature_importance(pipe, X, y, task, n_repeats=2, max_rows=200, seed=5)
    second = feature_importance(pipe, X, y, task, n_repeats=2, max_rows=200, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert first["importance"].iloc[0] == pytest.approx(second["importance"].iloc[0])


def test_feature_importance_uses_fewer_rows_when_time_is_short():
    class CountingPipeline:
        """A fitted pipeline stand-in that records how many rows each prediction saw."""

        def __init__(self, pipe: Pipeline) -> None:
            self.pipe = pipe
            self.rows: list[int] = []

        def fit(self, X, y):  # permutation_importance never refits; sklearn checks it exists
            return self

        def predict(self, X):
            self.rows.append(len(X))
            return self.pipe.predict(X)

    model = RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1)
    pipe, X, y, task = fitted("insurance", "charges", model)
    counting = CountingPipeline(pipe)
    table = feature_importance(counting, X, y, task, n_repeats=2, max_seconds=1e-6)
    assert len(table) == X.shape[1]
    assert counting.rows[:2] == [20, 500]  # the timing calls
    # then one batch: the fewest rows (one shuffle of 200 is still too slow) as they
    # are, and one shuffled copy of them per column
    assert counting.rows[2:] == [50 * (X.shape[1] + 1)]


def test_feature_importance_predicts_shuffled_copies_in_few_calls():
    """Per-call overhead dominates a wide pipeline's small predictions (80 columns: 0.4 s
    a call whatever the rows): one call per column and shuffle took 40 s, capped at 2.4."""
    model = RandomForestRegressor(n_estimators=10, random_state=0, n_jobs=1)
    pipe, X, y, task = fitted("insurance", "charges", model)
    calls: list[int] = []
    predict = pipe.predict
    pipe.predict = lambda X_: calls.append(len(X_)) or predict(X_)  # type: ignore[method-assign]
    feature_importance(pipe, X, y, task, n_repeats=3, max_seconds=None)
    assert calls == [len(X) * (X.shape[1] * 3 + 1)]  # no timing calls without a cap
