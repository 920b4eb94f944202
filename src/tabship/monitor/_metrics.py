"""Live metrics: how the model does on the records whose true outcome came back.

The names and definitions are those of the holdout metrics in ``metrics.json``
(``tabship.evaluate``), so a live figure sits next to its holdout figure and means the
same thing; but the monitor runs in a server worker, so they are computed here with
numpy alone (the tests check every one against scikit-learn on the same pairs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

from tabship.data import canonical_text

__all__ = [
    "DailyMetrics",
    "ErrorSums",
    "daily_metrics",
    "holdout_figures",
    "live_metrics",
    "regression_metrics",
]

Floats = npt.NDArray[np.float64]


class DailyMetrics(TypedDict):
    """The live metrics of the records predicted on one UTC day."""

    day: str  # ISO date
    records: int
    metrics: dict[str, float]


def live_metrics(
    task: str,
    predictions: Sequence[float | str],
    actuals: Sequence[float | str],
    probabilities: Sequence[Mapping[str, float] | None] | None = None,
    classes: Sequence[str] | None = None,
) -> dict[str, float]:
    """The holdout's metrics on live pairs; undefined ones (no pairs, one class) are left
    out. Regression: r2, rmse, mae (and mape when no true value is zero).
    Classification: accuracy, balanced_accuracy, f1_macro, and log_loss and roc_auc
    when every pair has its class probabilities."""
    if not predictions:
        return {}
    if task == "regression":
        found = _regression(_floats(actuals), _floats(predictions))
    else:
        found = _classification(predictions, actuals, probabilities, classes)
    return {name: value for name, value in found.items() if math.isfinite(value)}


def daily_metrics(
    task: str,
    predictions: Sequence[float | str],
    actuals: Sequence[float | str],
    timestamps: Sequence[datetime],
    probabilities: Sequence[Mapping[str, float] | None] | None = None,
    classes: Sequence[str] | None = None,
) -> list[DailyMetrics]:
    """:func:`live_metrics` per UTC day of prediction, oldest day first."""
    days: dict[str, list[int]] = {}
    for i, ts in enumerate(timestamps):
        days.setdefault(ts.date().isoformat(), []).append(i)
    result: list[DailyMetrics] = []
    for day in sorted(days):
        rows = days[day]
        probs = None if probabilities is None else [probabilities[i] for i in rows]
        metrics = live_metrics(
            task, [predictions[i] for i in rows], [actuals[i] for i in rows], probs, classes
        )
        result.append({"day": day, "records": len(rows), "metrics": metrics})
    return result


def holdout_figures(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The numeric holdout metrics of ``metrics.json`` (its confusion matrix left out)."""
    holdout = metrics.get("holdout", metrics)
    if not isinstance(holdout, Mapping):
        return {}
    return {
        str(name): float(value)
        for name, value in holdout.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


# -- regression ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorSums:
    """The sums every regression metric is made of, so that a database can add them up
    (``SUM(...) GROUP BY day``) instead of handing over every pair."""

    n: int
    actual: float  # sum of y
    actual_sq: float  # sum of y^2
    error_sq: float  # sum of (y - p)^2
    error_abs: float  # sum of |y - p|
    zeros: int  # pairs with y == 0 (no MAPE then)
    relative_abs: float  # sum of |y - p| / |y| over y != 0

    def __add__(self, other: ErrorSums) -> ErrorSums:
        return ErrorSums(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @classmethod
    def of(cls, y: Floats, pred: Floats) -> ErrorSums:
        error = y - pred
        nonzero = y != 0
        return cls(
            n=len(y),
            actual=float(y.sum()),
            actual_sq=float(np.sum(y**2)),
            error_sq=float(np.sum(error**2)),
            error_abs=float(np.sum(np.abs(error))),
            zeros=int(np.sum(~nonzero)),
            relative_abs=float(np.sum(np.abs(error[nonzero]) / np.abs(y[nonzero]))),
        )


def regression_metrics(sums: ErrorSums) -> dict[str, float]:
    """r2, rmse, mae (and mape when no true value is zero) from the sums; as
    scikit-learn, r2 needs two pairs and is 1.0 (perfect) or 0.0 for a constant y."""
    if sums.n == 0:
        return {}
    result = {
        "rmse": math.sqrt(sums.error_sq / sums.n),
        "mae": sums.error_abs / sums.n,
    }
    if sums.n >= 2:
        total = max(sums.actual_sq - sums.actual**2 / sums.n, 0.0)
        if total > 1e-12 * max(sums.actual_sq, 1.0):
            result["r2"] = 1.0 - sums.error_sq / total
        else:
            result["r2"] = 1.0 if sums.error_sq == 0.0 else 0.0
    if sums.zeros == 0:
        result["mape"] = sums.relative_abs / sums.n
    return {name: result[name] for name in ("r2", "rmse", "mae", "mape") if name in result}


def _regression(y: Floats, pred: Floats) -> dict[str, float]:
    return regression_metrics(ErrorSums.of(y, pred))


def _floats(values: Sequence[float | str]) -> Floats:
    return np.asarray([float(v) for v in values], dtype=np.float64)


# -- classification -----------------------------------------------------------------------


def _classification(
    predictions: Sequence[float | str],
    actuals: Sequence[float | str],
    probabilities: Sequence[Mapping[str, float] | None] | None,
    classes: Sequence[str] | None,
) -> dict[str, float]:
    y = _labels(actuals)
    pred = _labels(predictions)
    result = {
        "accuracy": float(np.mean(y == pred)),
        "balanced_accuracy": _balanced_accuracy(y, pred),
        "f1_macro": _f1_macro(y, pred),
    }
    matrix, labels = _probability_matrix(probabilities, classes)
    if matrix is not None and len(matrix) == len(y):
        result["log_loss"] = _log_loss(y, matrix, labels)
        result["roc_auc"] = _roc_auc(y, matrix, labels)
    return result


def _labels(values: Sequence[float | str]) -> npt.NDArray[np.str_]:
    return np.asarray([canonical_text(v) for v in values], dtype=str)


def _balanced_accuracy(y: npt.NDArray[np.str_], pred: npt.NDArray[np.str_]) -> float:
    """The mean recall of the classes present in ``y``."""
    return float(np.mean([np.mean(pred[y == label] == label) for label in np.unique(y)]))


def _f1_macro(y: npt.NDArray[np.str_], pred: npt.NDArray[np.str_]) -> float:
    """The unweighted mean F1 over every label seen in ``y`` or ``pred`` (0 when undefined)."""
    scores = []
    for label in np.union1d(y, pred):
        true_positive = float(np.sum((y == label) & (pred == label)))
        denominator = float(np.sum(y == label) + np.sum(pred == label))
        scores.append(2 * true_positive / denominator if denominator else 0.0)
    return float(np.mean(scores))


def _probability_matrix(
    probabilities: Sequence[Mapping[str, float] | None] | None, classes: Sequence[str] | None
) -> tuple[Floats | None, list[str]]:
    """Rows of class probabilities in ``classes`` order (the first row's keys when not
    given); None unless every pair has them."""
    if not probabilities or any(p is None for p in probabilities):
        return None, []
    rows = [p for p in probabilities if p is not None]
    labels = [str(c) for c in classes] if classes else [str(k) for k in rows[0]]
    try:
        matrix = np.asarray([[float(p[c]) for c in labels] for p in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        return None, []
    return matrix, labels


def _log_loss(y: npt.NDArray[np.str_], matrix: Floats, labels: list[str]) -> float:
    """Mean negative log probability of the true class, clipped to [eps, 1 - eps]."""
    column = {label: i for i, label in enumerate(labels)}
    if any(label not in column for label in y.tolist()):
        return math.nan
    eps = float(np.finfo(np.float64).eps)
    picked = matrix[np.arange(len(y)), [column[label] for label in y.tolist()]]
    return float(-np.mean(np.log(np.clip(picked, eps, 1 - eps))))


def _roc_auc(y: npt.NDArray[np.str_], matrix: Floats, labels: list[str]) -> float:
    """Binary: the AUC of ``labels[1]``; multiclass: the mean one-vs-rest AUC of the
    classes with both positives and negatives (as the holdout figure)."""
    if len(labels) == 2:
        return _binary_auc(y == labels[1], matrix[:, 1])
    per_class = [
        _binary_auc(y == label, matrix[:, i])
        for i, label in enumerate(labels)
        if 0 < np.sum(y == label) < len(y)
    ]
    return float(np.mean(per_class)) if per_class else math.nan


def _binary_auc(positive: npt.NDArray[np.bool_], scores: Floats) -> float:
    """The Mann-Whitney statistic with tied scores sharing their mean rank."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = _average_ranks(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(scores: Floats) -> Floats:
    """Ranks 1..n, ties given the mean of the ranks they span (scipy's ``rankdata``)."""
    order = np.argsort(scores, kind="mergesort")
    ordered = scores[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(scores)] - 1
    mean_rank = (first + last) / 2.0 + 1.0
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = mean_rank[group]
    return ranks
