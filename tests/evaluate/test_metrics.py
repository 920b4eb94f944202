"""Metrics against scikit-learn on known inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from tabship.evaluate import PRIMARY_METRIC, greater_is_better, metric_value, score


def test_primary_metrics_and_their_direction():
    assert PRIMARY_METRIC == {"regression": "r2", "binary": "roc_auc", "multiclass": "log_loss"}
    assert greater_is_better("r2") and greater_is_better("roc_auc")
    assert not greater_is_better("log_loss") and not greater_is_better("rmse")


def test_score_regression_matches_sklearn():
    y = np.array([3.0, 10.0, 250.0, 4000.0])
    pred = np.array([2.5, 12.0, 240.0, 4100.0])
    result = score("regression", y, pred)
    assert result["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert result["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert result["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert result["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred))
    json.dumps(result)


def test_score_regression_leaves_out_mape_when_a_target_is_zero():
    assert "mape" not in score("regression", [0.0, 1.0, 2.0], [0.1, 1.0, 2.1])


def test_score_binary_uses_the_second_class_as_positive():
    y = np.array(["no", "yes", "yes", "no", "yes"])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    pred = np.array(["no", "yes", "no", "yes", "yes"])
    result = score("binary", y, pred, proba=proba, classes=["no", "yes"])
    assert result["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "yes", proba[:, 1]))
    assert result["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=["no", "yes"]))
    assert result["accuracy"] == pytest.approx(0.6)
    assert result["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert result["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert result["labels"] == ["no", "yes"]
    assert result["confusion_matrix"] == [[1, 1], [1, 2]]
    json.dumps(result)


def test_score_multiclass_auc_survives_a_class_missing_from_y_true():
    y = np.array(["a", "a", "b", "b"])
    proba = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.4, 0.5, 0.1]])
    result = score("multiclass", y, ["a", "a", "b", "b"], proba=proba, classes=["a", "b", "c"])
    # one-vs-rest AUC of the two present classes, both perfect here
    assert result["roc_auc"] == pytest.approx(1.0)
    assert result["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=["a", "b", "c"]))
    assert result["confusion_matrix"][2] == [0, 0, 0]


def test_score_multiclass_auc_equals_sklearn_ovr_macro_when_all_classes_present():
    rng = np.random.default_rng(0)
    y = np.array(["a", "b", "c"] * 20)
    proba = rng.dirichlet([1, 1, 1], size=60)
    expected = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    assert metric_value("roc_auc", y, proba, classes=["a", "b", "c"]) == pytest.approx(expected)


def test_score_binary_auc_is_none_with_one_class():
    result = score(
        "binary", ["a", "a"], ["a", "a"], proba=[[0.9, 0.1], [0.8, 0.2]], classes=["a", "b"]
    )
    assert result["roc_auc"] is None


def test_score_without_proba_leaves_out_probability_metrics():
    result = score("multiclass", [1, 2, 3], [1, 2, 2])
    assert "log_loss" not in result and "roc_auc" not in result
    assert result["labels"] == ["1", "2", "3"]


def test_metric_value_needs_classes_for_probabilities():
    with pytest.raises(ValueError, match="needs the classes"):
        metric_value("log_loss", ["a", "b"], [[0.5, 0.5], [0.5, 0.5]])
