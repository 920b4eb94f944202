"""Metrics and feature importance, shared by the search, the holdout and the report."""

from tabship.evaluate._importance import IMPORTANCE_MAX_SECONDS, feature_importance
from tabship.evaluate._metrics import (
    PRIMARY_METRIC,
    Scores,
    greater_is_better,
    metric_value,
    score,
)

__all__ = [
    "IMPORTANCE_MAX_SECONDS",
    "PRIMARY_METRIC",
    "Scores",
    "feature_importance",
    "greater_is_better",
    "metric_value",
    "score",
]
