"""Metrics and feature importance, shared by the search, the holdout and the report."""

from tabship.evaluate._importance import feature_importance
from tabship.evaluate._metrics import PRIMARY_METRIC, greater_is_better, metric_value, score

__all__ = ["PRIMARY_METRIC", "feature_importance", "greater_is_better", "metric_value", "score"]
