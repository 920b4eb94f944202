"""Shared folds: cached preprocessing, class-aligned probabilities, deadline stops."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tabship.search import Deadline
from tabship.search._cv import CVData, cross_validate


def small_cv(task: str = "multiclass") -> CVData:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = np.array(["x", "y", "z"] * 20, dtype=object)
    return CVData(X, y, task, lambda kind: StandardScaler(), folds=3, seed=0)


def test_cv_prediction_aligns_probabilities_to_every_class():
    cv = small_cv()
    model = LogisticRegression().fit(cv.X.iloc[:40], np.array(["x", "z"] * 20, dtype=object))
    proba = cv.prediction(model, cv.X.iloc[:5])
    assert proba.shape == (5, 3)
    assert np.all(proba[:, 1] == 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_cv_caches_each_folds_preprocessing_once():
    cv = small_cv()
    first = cv.fold("linear", 0)
    assert cv.is_cached("linear", 0) and not cv.is_cached("linear", 1)
    assert cv.fold("linear", 0) is first


def test_cross_validate_fills_every_oof_row():
    cv = small_cv()
    result = cross_validate(cv, "linear", LogisticRegression, Deadline(60), first_fold_estimate=0)
    assert result is not None
    assert not np.isnan(result.oof).any()
    assert result.fit_seconds > 0 and result.predict_us_per_row > 0
    assert len(cv.fold_scores("log_loss", result.oof)) == 3


def test_cross_validate_gives_up_when_a_fold_cannot_fit():
    cv = small_cv()
    assert (
        cross_validate(cv, "linear", LogisticRegression, Deadline(1), first_fold_estimate=5) is None
    )
