"""Which raw input columns the fitted pipeline relies on, measured by permutation.

Importance is measured on the columns the user gave (not on one-hot or encoded model
features), by shuffling one column at a time and watching the task's primary metric
drop. The result is sorted by importance, largest first; ranking by column name, as a
tutorial we replace did, says nothing about the model.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from tabship.evaluate._metrics import PRIMARY_METRIC, metric_value

__all__ = ["IMPORTANCE_MAX_SECONDS", "feature_importance"]

IMPORTANCE_MAX_SECONDS = 5.0


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
        Time allowed for the measurement: when one prediction of the sample, repeated
        for every shuffle, would take longer, fewer rows (at least 200) are used. It keeps
        a slow pipeline on wide data from eating the caller's time budget.

    Returns
    -------
    DataFrame
        Columns ``feature``, ``importance`` (mean drop of the metric, in its
        greater-is-better sign) and ``std``, sorted by importance, largest first.
    """
    from sklearn.inspection import permutation_importance

    y_series = pd.Series(np.asarray(y), index=X.index)
    X_used, y_used = _sample(X, y_series, max_rows, seed)
    if max_seconds is not None:
        rows, n_repeats = _affordable(
            pipeline, X_used, n_features=X.shape[1], n_repeats=n_repeats, max_seconds=max_seconds
        )
        X_used, y_used = _sample(X_used, y_used, rows, seed)
    result = permutation_importance(
        pipeline,
        X_used,
        y_used,
        scoring=_primary_scorer(task),
        n_repeats=n_repeats,
        random_state=seed,
        n_jobs=1,
    )
    table = pd.DataFrame(
        {
            "feature": [str(c) for c in X.columns],
            "importance": result.importances_mean.astype(float),
            "std": result.importances_std.astype(float),
        }
    )
    return table.sort_values(
        ["importance", "feature"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def _affordable(
    pipeline: Any, X: pd.DataFrame, *, n_features: int, n_repeats: int, max_seconds: float
) -> tuple[int, int]:
    """Rows and shuffles per column that fit ``max_seconds`` (one prediction timed).

    Rows go first (down to 200); when even 200 rows are too slow, as with a forest in an
    ensemble on a small holdout, fewer shuffles (down to one) keep the cap.
    """
    started = time.perf_counter()
    pipeline.predict(X)
    per_call = time.perf_counter() - started
    if per_call * (n_features * n_repeats + 1) <= max_seconds:
        return len(X), n_repeats
    rows = max(200, int(len(X) * max_seconds / (per_call * (n_features * n_repeats + 1))))
    per_call *= min(1.0, rows / len(X))
    while n_repeats > 1 and per_call * (n_features * n_repeats + 1) > max_seconds:
        n_repeats -= 1
    return min(rows, len(X)), n_repeats


def _primary_scorer(task: str) -> Any:
    """A scorer for the task's primary metric, signed so that greater is better.

    sklearn's ``neg_log_loss`` scorer fails when a sample lacks one of the classes; this
    one passes the estimator's classes explicitly.
    """
    metric = PRIMARY_METRIC[task]
    sign = -1.0 if metric == "log_loss" else 1.0

    def scorer(estimator: Any, X: pd.DataFrame, y: Any) -> float:
        if task == "regression":
            return metric_value(metric, y, estimator.predict(X))
        proba = estimator.predict_proba(X)
        return sign * metric_value(metric, y, proba, classes=list(estimator.classes_))

    return scorer


def _sample(
    X: pd.DataFrame, y: pd.Series, max_rows: int, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    if len(X) <= max_rows:
        return X, y
    rows = np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False)
    rows.sort()
    return X.iloc[rows], y.iloc[rows]
