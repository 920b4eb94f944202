"""Optuna tuning inside a deadline, and the candidate list it starts from."""

from __future__ import annotations

import time

import numpy as np

from tabship.data import infer_schema, prepare_target, read_table
from tabship.features import build_preprocessor
from tabship.search import Deadline
from tabship.search._candidates import baseline_candidates
from tabship.search._cv import CVData
from tabship.search._tuning import lightgbm_family, tune
from tests.conftest import dataset_path


def test_tune_lightgbm_returns_a_refittable_best_within_the_deadline():
    frame = read_table(dataset_path("insurance.csv"))
    schema = infer_schema(frame, "charges")
    X, y, _ = prepare_target(frame, "charges", "regression")
    y = y.to_numpy(dtype=float)
    cv = CVData(X, y, "regression", lambda k: build_preprocessor(schema, k), folds=3, seed=0)
    fam = lightgbm_family("regression", len(y), classes=None, skewed=True, seed=0, n_jobs=1)
    started = time.monotonic()
    result = tune(fam, cv, Deadline(2.5), seed=0, first_trial_estimate=0.1)
    assert time.monotonic() - started < 2.5 * 1.15 + 0.5
    assert result is not None and result.n_trials >= 1
    assert result.name == "LightGBM (tuned)"
    assert result.params["n_estimators"] >= 10
    model = result.build()
    inner = getattr(model, "regressor", model)  # log-target variants wrap the booster
    assert inner.get_params()["n_estimators"] == result.params["n_estimators"]
    assert inner.get_params()["n_jobs"] == 1
    assert not np.isnan(result.cv.oof).any()


def test_baseline_candidates_add_a_log_target_ridge_only_for_skewed_targets():
    skewed = np.exp(np.random.default_rng(0).normal(size=300))
    symmetric = np.random.default_rng(0).normal(size=300)
    names = [
        c.name for c in baseline_candidates("regression", skewed, seed=0, n_jobs=1, n_rows=300)
    ]
    assert names[0] == "LightGBM"
    assert "Ridge (log target)" in names
    plain = baseline_candidates("regression", symmetric, seed=0, n_jobs=1, n_rows=300)
    assert "Ridge (log target)" not in [c.name for c in plain]
    labels = np.array(["a", "b"] * 150, dtype=object)
    families = {
        c.family for c in baseline_candidates("binary", labels, seed=0, n_jobs=1, n_rows=300)
    }
    assert families == {
        "lightgbm", "linear", "decision_tree", "hist_gradient_boosting", "extra_trees",
        "random_forest",
    }  # fmt: skip
