"""How numbers, metric names and labels are written in the report.

One place for it so that a metric reads the same in the cards, the leaderboard and the
plot titles: four significant digits, thousands separators for large values, and a dash
for what is missing.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["format_number", "format_range", "format_value", "metric_label"]

_METRIC_LABELS = {
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
    "mape": "MAPE",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "f1": "F1",
    "f1_macro": "F1 (macro)",
    "precision": "Precision",
    "recall": "Recall",
}

MISSING = "—"


def metric_label(name: str) -> str:
    """A metric's display name: ``"roc_auc" -> "ROC AUC"``, unknown names de-underscored."""
    return _METRIC_LABELS.get(name, name.replace("_", " "))


def format_number(value: float | int | None, digits: int = 4) -> str:
    """``digits`` significant digits, without scientific notation for ordinary magnitudes.

    Regression errors are often in the thousands (insurance charges): ``4,567`` reads
    better than ``4.567e+03``. A float that happens to be whole keeps a decimal
    (an accuracy of ``1.0``), so that scores never read like counts.
    """
    if value is None or isinstance(value, bool):
        return MISSING if value is None else str(value)
    number = float(value)
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    magnitude = abs(number)
    if isinstance(value, int | np.integer) or (number.is_integer() and magnitude >= 1000):
        return f"{number:,.0f}"
    if number.is_integer():
        return f"{number:.1f}"
    if magnitude >= 10 ** (digits - 1):
        return f"{number:,.0f}"
    if magnitude >= 1e-4:
        return f"{number:.{digits}g}"
    return f"{number:.{max(digits - 1, 1)}e}"


def format_range(minimum: float, maximum: float) -> str:
    """An observed range; whole-number bounds (ages, counts) read without decimals."""
    bounds = [int(v) if float(v).is_integer() else v for v in (minimum, maximum)]
    return " – ".join(format_number(v) for v in bounds)


def format_value(value: Any) -> str:
    """Any parameter value as short text: numbers formatted, containers as compact JSON."""
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        value = value.item()  # numpy scalars
    if value is None:
        return MISSING
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | float):
        return format_number(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)
