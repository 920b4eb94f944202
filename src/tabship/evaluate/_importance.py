"""Which raw input columns the fitted pipeline relies on, measured by permutation.

Importance is measured on the columns the user gave (not on one-hot or encoded model
features), by shuffling one column at a time and watching the task's primary metric
drop. The result is sorted by importance, largest first; ranking by column name, as a
tutorial we replace did, says nothing about the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tabship.evaluate._metrics import PRIMARY_METRIC, metric_value

__all__ = ["IMPORTANCE_MAX_SECONDS", "feature_importance"]

IMPORTANCE_MAX_SECONDS = 5.0
# Shuffled copies are predicted this many rows at a time (one call pays the overhead once).
_BATCH_ROWS = 50_000
_FEWEST_ROWS = 50  # what permutation importance still ranks columns on


def feature_importance(
    pipeline: Any,
    X: pd.DataFrame,
    y: Any,
    task: str,
    *,
    seed: int = 42,
    n_repeats: int = 5,
    max_rows: int = 5000,
    max_seconds: float | None = IMPORTANCE_MAX_SECONDS,
) -> pd.DataFrame:
    """Permutation importance of every raw column of ``X`` for a fitted ``pipeline``.

    Parameters
    ----------
    pipeline : fitted estimator
        Takes the raw frame ``X`` (preprocessing included).
    X, y : DataFrame, array-like
        Held-out rows; at most ``max_rows`` of them (a seeded sample) are used, which
        keeps the cost bounded on large data.
    task : {"regression", "binary", "multiclass"}
        Chooses the primary metric (r2, roc_auc, log_loss) whose drop is measured.
    seed, n_repeats : int
        Shuffles per column and their seed.
    max_seconds : float or None
        Time allowed for the measurement: when the shuffled copies would take longer to
        predict, fewer rows (down to 200), then fewer shuffles, then fewer rows again
        (down to 50) are used. It keeps a slow pipeline on wide data from eating the
        caller's time budget.

    Returns
    -------
    DataFrame
        Columns ``feature``, ``importance`` (mean drop of the metric, in its
        greater-is-better sign) and ``std``, sorted by importance, largest first.
    """
    stop_at = time.perf_counter() + (np.inf if max_seconds is None else max_seconds)
    y_series = pd.Series(np.asarray(y), index=X.index)
    X_used, y_used = _sample(X, y_series, max_rows, seed)
    predict = _predictor(pipeline, task)
    if max_seconds is not None:
        cost = _CallCost.measure(predict, X_used)
        rows, n_repeats = _affordable(cost, len(X_used), X.shape[1], n_repeats, max_seconds)
        X_used, y_used = _sample(X_used, y_used, rows, seed)
    classes = getattr(pipeline, "classes_", None)
    drops = _permutation_drops(predict, X_used, y_used, task, classes, n_repeats, seed, stop_at)
    table = pd.DataFrame(
        {
            "feature": [str(c) for c in X.columns],
            "importance": drops.mean(axis=1).astype(float),
            "std": drops.std(axis=1).astype(float),
        }
    )
    return table.sort_values(
        ["importance", "feature"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


class _CallCost:
    """A prediction's cost as a fixed part per call plus a part per row.

    A pipeline on wide mixed data pays most of a small prediction in per-call overhead
    (80 columns: 0.4 s for 50 rows or 300 alike, measured on a loaded machine), so the
    shuffled copies are predicted in large batches and costed with both parts.
    """

    def __init__(self, per_call: float, per_row: float) -> None:
        self.per_call = per_call
        self.per_row = per_row

    @classmethod
    def measure(cls, predict: Callable[[pd.DataFrame], Any], X: pd.DataFrame) -> _CallCost:
        """From two timed predictions of slices of ``X`` (20 and 500 rows)."""
        small, large = min(len(X), 20), min(len(X), 500)
        timed = []
        for rows in (small, large):
            started = time.perf_counter()
            predict(X.iloc[:rows])
            timed.append(time.perf_counter() - started)
        per_row = max(0.0, (timed[1] - timed[0]) / max(large - small, 1))
        return cls(max(0.0, timed[0] - small * per_row), per_row)

    def seconds(self, rows: int, calls: int) -> float:
        return calls * self.per_call + rows * self.per_row


def _affordable(
    cost: _CallCost, n_rows: int, n_features: int, n_repeats: int, max_seconds: float
) -> tuple[int, int]:
    """Rows and shuffles per column that fit ``max_seconds``.

    Rows go first (down to 200); when even 200 rows are too slow, fewer shuffles (down
    to one); when one shuffle of each column is still too slow (an ensemble of twenty
    models on 64 columns took 13.7 s against a 2.4 s cap), fewer rows again, down to
    ``_FEWEST_ROWS``: a rougher ranking, but the run's budget is kept.
    """

    def seconds(rows: int, repeats: int) -> float:
        total = rows * (n_features * repeats + 1)
        return cost.seconds(total, -(-total // _BATCH_ROWS))

    rows = n_rows
    while rows > 200 and seconds(rows, n_repeats) > max_seconds:
        rows = max(200, int(rows * 0.7))
    rows = min(rows, n_rows)
    while n_repeats > 1 and seconds(rows, n_repeats) > max_seconds:
        n_repeats -= 1
    while rows > _FEWEST_ROWS and seconds(rows, n_repeats) > max_seconds:
        rows = max(_FEWEST_ROWS, int(rows * 0.7))
    return rows, n_repeats


def _permutation_drops(
    predict: Callable[[pd.DataFrame], Any],
    X: pd.DataFrame,
    y: pd.Series,
    task: str,
    classes: Any,
    n_repeats: int,
    seed: int,
    stop_at: float,
) -> np.ndarray:
    """The metric's drop for every (column, shuffle), the copies predicted in batches.

    The unshuffled rows ride in the first batch: their score is the baseline. Shuffles
    go round the columns one repeat at a time, so that when a batch ends past
    ``stop_at`` (the cost estimate was low) the repeats done so far cover every column.
    """
    score = _scorer(task, y, classes)
    rng = np.random.default_rng(seed)
    n = len(X)
    n_features = X.shape[1]
    blocks = [(-1, np.arange(n))] + [
        (j, rng.permutation(n)) for _ in range(n_repeats) for j in range(n_features)
    ]
    per_batch = max(1, _BATCH_ROWS // max(n, 1))
    scores: list[float] = []
    for start in range(0, len(blocks), per_batch):
        batch = blocks[start : start + per_batch]
        predicted = np.asarray(predict(_stacked(X, batch)))
        scores += [score(predicted[i * n : (i + 1) * n]) for i in range(len(batch))]
        if time.perf_counter() > stop_at and len(scores) > n_features:
            break
    done = (len(scores) - 1) // n_features
    drops = scores[0] - np.asarray(scores[1 : 1 + done * n_features])
    return drops.reshape(done, n_features).T


def _stacked(X: pd.DataFrame, batch: list[tuple[int, np.ndarray]]) -> pd.DataFrame:
    """Copies of ``X`` one under the other, each with its one column in shuffled order."""
    n = len(X)
    plain = np.tile(np.arange(n), len(batch))
    columns = {}
    for j, name in enumerate(X.columns):
        order = plain
        shuffled = [(i, perm) for i, (column, perm) in enumerate(batch) if column == j]
        if shuffled:
            order = plain.copy()
            for i, perm in shuffled:
                order[i * n : (i + 1) * n] = perm
        columns[name] = X[name].take(order).array
    return pd.DataFrame(columns, columns=X.columns)


def _predictor(pipeline: Any, task: str) -> Callable[[pd.DataFrame], Any]:
    if task == "regression":
        return lambda X: pipeline.predict(X)
    return lambda X: pipeline.predict_proba(X)


def _scorer(task: str, y: pd.Series, classes: Any) -> Callable[[Any], float]:
    """The task's primary metric of a prediction, signed so that greater is better.

    The classes are the pipeline's (the prediction's columns), so a sample lacking one
    of them still scores its log loss.
    """
    metric = PRIMARY_METRIC[task]
    sign = -1.0 if metric == "log_loss" else 1.0
    y_true = y.to_numpy()
    classes = None if task == "regression" else list(classes)
    return lambda prediction: sign * metric_value(metric, y_true, prediction, classes=classes)


def _sample(
    X: pd.DataFrame, y: pd.Series, max_rows: int, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    if len(X) <= max_rows:
        return X, y
    rows = np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False)
    rows.sort()
    return X.iloc[rows], y.iloc[rows]
