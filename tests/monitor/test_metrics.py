"""Live metrics (numpy only) equal scikit-learn's on the same pairs, under the holdout's names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn import metrics as skm

from tabship.evaluate import score
from tabship.monitor import live_metrics
from tabship.monitor._metrics import daily_metrics, holdout_figures


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_regression_metrics_match_sklearn(rng):
    y = rng.normal(13000, 9000, 300)
    pred = y + rng.normal(0, 4000, 300)
    found = live_metrics("regression", pred.tolist(), y.tolist())
    assert found["r2"] == pytest.approx(skm.r2_score(y, pred), rel=1e-12)
    assert found["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), rel=1e-12)
    assert found["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert found["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred), rel=1e-12)
    holdout = score("regression", y, pred)
    assert set(found) == {k for k, v in holdout.items() if isinstance(v, float)}


def test_regression_without_mape_when_a_true_value_is_zero():
    found = live_metrics("regression", [1.0, 2.0, 2.5], [0.0, 2.0, 3.0])
    assert "mape" not in found and found["mae"] == pytest.approx(0.5)
    assert live_metrics("regression", [], []) == {}
    assert live_metrics("regression", [3.0, 3.0], [3.0, 3.0])["r2"] == skm.r2_score([3, 3], [3, 3])


def test_binary_metrics_match_sklearn_with_tied_scores(rng):
    classes = ["no", "yes"]
    y = rng.choice(classes, 400, p=[0.7, 0.3])
    p_yes = np.round(np.clip(np.where(y == "yes", 0.65, 0.35) + rng.normal(0, 0.2, 400), 0, 1), 1)
    pred = np.where(p_yes >= 0.5, "yes", "no")
    probabilities = [{"no": 1 - p, "yes": p} for p in p_yes]
    found = live_metrics("binary", pred.tolist(), y.tolist(), probabilities, classes)
    proba = np.column_stack([1 - p_yes, p_yes])
    assert found["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert found["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert found["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert found["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "yes", p_yes), rel=1e-12)
    assert found["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=classes), rel=1e-9)
    holdout = score("binary", y, pred, proba=proba, classes=classes)
    assert set(found) == {k for k, v in holdout.items() if isinstance(v, float)}


def test_multiclass_metrics_match_sklearn(rng):
    classes = ["drugA", "drugB", "drugC", "drugX", "drugY"]
    y = rng.choice(classes, 250)
    raw = rng.dirichlet(np.ones(5), 250) + np.eye(5)[[classes.index(c) for c in y]] * 0.5
    proba = raw / raw.sum(axis=1, keepdims=True)
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    probabilities = [dict(zip(classes, row.tolist(), strict=True)) for row in proba]
    found = live_metrics("multiclass", pred.tolist(), y.tolist(), probabilities, classes)
    assert found["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert found["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert found["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert found["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=classes), rel=1e-9)
    auc = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    assert found["roc_auc"] == pytest.approx(auc, rel=1e-12)


def test_probability_metrics_need_every_pair_to_have_probabilities():
    found = live_metrics("binary", ["a", "b"], ["a", "a"], [{"a": 0.9, "b": 0.1}, None])
    assert set(found) == {"accuracy", "balanced_accuracy", "f1_macro"}
    assert found["f1_macro"] == pytest.approx(skm.f1_score(["a", "a"], ["a", "b"], average="macro"))


def test_labels_compare_as_canonical_text():
    assert live_metrics("binary", [1, 0, 1.0], ["1", "0", "0"])["accuracy"] == pytest.approx(2 / 3)


def test_daily_metrics_group_by_utc_day():
    day = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    stamps = [day, day + timedelta(minutes=20), day + timedelta(minutes=40)]
    found = daily_metrics("regression", [1.0, 2.0, 4.0], [1.0, 3.0, 5.0], stamps)
    assert [(d["day"], d["records"]) for d in found] == [("2026-11-28", 2), ("2026-11-29", 1)]
    assert found[0]["metrics"]["mae"] == pytest.approx(0.5)


def test_holdout_figures_keep_numbers_only():
    metrics = {"holdout": {"accuracy": 0.9, "confusion_matrix": [[1]], "labels": ["a"], "x": None}}
    assert holdout_figures(metrics) == {"accuracy": 0.9}
