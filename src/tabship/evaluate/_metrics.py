"""Metrics for every task, computed one way for the search, the holdout and the report.

The search ranks candidates by one *primary* metric per task and the report shows a
wider set; both come from here so that a CV score and a holdout score of the same name
always mean the same computation. Classification metrics take class probabilities in the
column order of ``classes`` (the fitted estimator's ``classes_``), so a class missing from
a fold or a test split neither shifts the columns nor breaks the metric.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, TypedDict, cast

import numpy as np
from sklearn import metrics as skm

__all__ = ["PRIMARY_METRIC", "Scores", "greater_is_better", "metric_value", "score"]

PRIMARY_METRIC: dict[str, str] = {
    "regression": "r2",
    "binary": "roc_auc",
    "multiclass": "log_loss",
}
_LOWER_IS_BETTER = frozenset({"rmse", "mae", "mape", "log_loss"})


class Scores(TypedDict, total=False):
    """What ``score`` returns (the ``holdout`` entry of ``metrics.json``). A metric is
    None where it is undefined, since JSON has no NaN."""

    r2: float | None  # regression
    rmse: float | None
    mae: float | None
    mape: float | None  # only when no true value is zero
    accuracy: float | None  # classification
    balanced_accuracy: float | None
    f1_macro: float | None
    log_loss: float | None  # only with probabilities
    roc_auc: float | None
    confusion_matrix: list[list[int]]  # rows are true labels, in ``labels`` order
    labels: list[str]


def greater_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is better (False for errors and losses)."""
    return metric not in _LOWER_IS_BETTER


def metric_value(
    metric: str,
    y_true: Any,
    prediction: Any,
    classes: Sequence[Any] | None = None,
) -> float:
    """One metric from a prediction: values for regression, probabilities otherwise.

    ``prediction`` holds predicted values for a regression metric and class
    probabilities (columns in ``classes`` order) for a classification metric; labels are
    taken as the most probable class. This is what the search scores out-of-fold
    predictions with.
    """
    y = np.asarray(y_true)
    pred = np.asarray(prediction)
    if metric in _REGRESSION:
        return float(_REGRESSION[metric](y, pred))
    if classes is None:
        raise ValueError(f"The metric '{metric}' needs the classes of the probabilities.")
    labels = np.asarray(list(classes))
    if metric == "log_loss":
        return float(skm.log_loss(y, pred, labels=list(labels)))
    if metric == "roc_auc":
        return _roc_auc(y, pred, labels)
    y_pred = labels[np.argmax(pred, axis=1)]
    return float(_LABEL[metric](y, y_pred))


def score(
    task: str,
    y_true: Any,
    y_pred: Any,
    proba: Any = None,
    classes: Sequence[Any] | None = None,
) -> Scores:
    """Every metric the report shows for ``task``, as plain JSON-able values.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}
    y_true, y_pred : array-like
        True and predicted values (labels for classification).
    proba : array-like of shape (n, n_classes), optional
        Class probabilities in the order of ``classes``; without them the probability
        metrics (log_loss, roc_auc) are left out.
    classes : sequence, optional
        The class labels (``estimator.classes_``); for binary tasks ``classes[1]`` is the
        positive class. Defaults to the sorted labels seen in ``y_true`` and ``y_pred``.

    Returns
    -------
    dict
        Regression: r2, rmse, mae and mape (when no true value is zero).
        Classification: accuracy, balanced_accuracy, f1_macro, log_loss, roc_auc,
        ``confusion_matrix`` (rows are true labels) and its ``labels``.
    """
    if task == "regression":
        return _regression_scores(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))
    y = _as_labels(y_true)
    pred = _as_labels(y_pred)
    labels = (
        [str(c) for c in classes]
        if classes is not None
        else sorted(set(y.tolist()) | set(pred.tolist()))
    )
    result = cast(Scores, {name: _finite(func(y, pred)) for name, func in _LABEL.items()})
    if proba is not None:
        p = np.asarray(proba, dtype=float)
        result["log_loss"] = _finite(skm.log_loss(y, p, labels=labels))
        result["roc_auc"] = _finite(_roc_auc(y, p, np.asarray(labels)))
    matrix = skm.confusion_matrix(y, pred, labels=labels)
    result["confusion_matrix"] = matrix.tolist()
    result["labels"] = list(labels)
    return result


def _regression_scores(y: np.ndarray, pred: np.ndarray) -> Scores:
    result = cast(Scores, {name: _finite(func(y, pred)) for name, func in _REGRESSION.items()})
    if len(y) and not np.any(y == 0):
        result["mape"] = _finite(skm.mean_absolute_percentage_error(y, pred))
    return result


def _roc_auc(y: np.ndarray, proba: np.ndarray, labels: np.ndarray) -> float:
    """Binary AUC of ``labels[1]``, or the one-vs-rest macro AUC over the classes present.

    sklearn's multiclass AUC refuses a ``y_true`` lacking one of the classes (common for
    a rare class in a small test split); averaging the per-class AUC of the classes that
    have both positives and negatives gives the same number when all are present.
    """
    if len(labels) == 2:
        positive = y == labels[1]
        if positive.all() or not positive.any():
            return float("nan")
        column = proba[:, 1] if proba.ndim == 2 else proba
        return _binary_auc(positive, column)
    per_class = [
        _binary_auc(y == label, proba[:, i])
        for i, label in enumerate(labels)
        if 0 < np.sum(y == label) < len(y)
    ]
    return float(np.mean(per_class)) if per_class else float("nan")


def _binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half), as sklearn computes it.

    The search scores thousands of blends while ensembling; this is several times faster
    than ``roc_auc_score`` and gives the same number.
    """
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _as_labels(values: Any) -> np.ndarray:
    """Labels as text, so '1' from a schema and 1 from a frame compare equal."""
    return np.asarray([str(v) for v in np.asarray(values, dtype=object)], dtype=object)


def _finite(value: Any) -> float | None:
    """A plain float, or None where the metric is undefined (JSON has no NaN)."""
    number = float(value)
    return number if math.isfinite(number) else None


def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(skm.mean_squared_error(y, pred)))


_REGRESSION = {
    "r2": skm.r2_score,
    "rmse": _rmse,
    "mae": skm.mean_absolute_error,
}


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Balanced accuracy without sklearn's warning for a predicted class absent from y."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        return float(skm.balanced_accuracy_score(y, pred))


_LABEL = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": _balanced_accuracy,
    "f1_macro": lambda y, pred: skm.f1_score(y, pred, average="macro", zero_division=0),
}
