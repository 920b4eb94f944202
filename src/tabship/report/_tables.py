"""The report's tables as plain rows of text, ready for the template to lay out.

Formatting happens here rather than in Jinja so that the template stays a layout and the
choices (which leaderboard columns, how a range reads) are testable Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tabship.data import Field, Schema
from tabship.report._format import (
    MISSING,
    format_number,
    format_range,
    format_value,
    metric_label,
)

__all__ = [
    "Table",
    "column_rows",
    "leaderboard_table",
    "metric_cards",
    "param_rows",
]

TOP_CATEGORIES = 5
# Leaderboard columns that hold structures or repeat the model name; the chosen model's
# parameters have their own table.
_HIDDEN_LEADERBOARD_COLUMNS = {"params", "family"}
_COLUMN_LABELS = {
    "model": "Model",
    "fit_seconds": "Fit time (s)",
    "predict_us_per_row": "Predict (µs/row)",
    "n_trials": "Trials",
}
_CV_COLUMN = re.compile(r"^cv_(?P<metric>.+)_(?P<stat>mean|std)$")


@dataclass
class Table:
    """A header and rows of text cells.

    ``key`` is the primary metric's column and ``chosen`` the row of the model that was
    kept, which is not always the top row (search may prefer a simpler runner-up).
    """

    header: list[str]
    rows: list[list[str]]
    key: int | None = None
    chosen: int = 0


def column_rows(schema: Schema) -> list[dict[str, str]]:
    """One row per input column: role, whether the model uses it, missing share, values."""
    return [
        {
            "name": f.name,
            "role": f.role,
            "used": "yes" if f.used else "no",
            "missing": _percent(f.missing_fraction),
            "observed": describe_values(f),
        }
        for f in schema.fields
    ]


def describe_values(f: Field) -> str:
    """The observed range of a numeric column, or its most frequent categories."""
    if f.categories:
        shown = ", ".join(f.categories[:TOP_CATEGORIES])
        rest = len(f.categories) - TOP_CATEGORIES
        return f"{shown}, … (+{rest} more)" if rest > 0 else shown
    if f.minimum is not None and f.maximum is not None:
        return format_range(f.minimum, f.maximum)
    if f.role == "constant":
        return f"always {format_value(f.default)}"
    if f.role == "empty":
        return "all missing"
    if f.n_unique:
        return f"{f.n_unique:,} distinct values"
    return MISSING


def leaderboard_table(board: pd.DataFrame, metric: str, chosen: object = None) -> Table:
    """CV mean and spread in one "mean ± std" cell per metric, the primary metric first."""
    columns = [c for c in board.columns if c not in _HIDDEN_LEADERBOARD_COLUMNS]
    cv_metrics = _cv_metrics(columns)
    cv_metrics.sort(key=lambda m: m != metric)
    plain = [c for c in columns if not _CV_COLUMN.match(str(c))]
    leading = [c for c in plain if c == "model"]
    trailing = [c for c in plain if c != "model"]
    header = [_COLUMN_LABELS.get(c, str(c)) for c in leading]
    header += [f"CV {metric_label(m)}" for m in cv_metrics]
    header += [_COLUMN_LABELS.get(c, str(c).replace("_", " ")) for c in trailing]
    rows = [
        [format_value(row[c]) for c in leading]
        + [_mean_std(row, m) for m in cv_metrics]
        + [format_value(row[c]) for c in trailing]
        for _, row in board.iterrows()
    ]
    key = len(leading) if metric in cv_metrics else None
    names = [str(m) for m in board["model"]] if "model" in board else []
    row = names.index(str(chosen)) if str(chosen) in names else 0
    return Table(header=header, rows=rows, key=key, chosen=row)


def metric_cards(holdout: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    """The numeric holdout metrics, the primary metric first."""
    numbers = [
        (name, value)
        for name, value in holdout.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    numbers.sort(key=lambda item: item[0] != metric)
    return [
        {"label": metric_label(name), "value": format_number(value), "primary": name == metric}
        for name, value in numbers
    ]


def param_rows(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(name), format_value(value)) for name, value in params.items()]


def _cv_metrics(columns: list[Any]) -> list[str]:
    found: list[str] = []
    for column in columns:
        match = _CV_COLUMN.match(str(column))
        if match and match["metric"] not in found:
            found.append(match["metric"])
    return found


def _mean_std(row: pd.Series, metric: str) -> str:
    mean = row.get(f"cv_{metric}_mean")
    std = row.get(f"cv_{metric}_std")
    text = format_value(mean)
    if std is not None and not pd.isna(std):
        text += f" ± {format_number(std, digits=2)}"  # a spread needs two digits, not four
    return text


def _percent(fraction: float) -> str:
    if not fraction:
        return "0%"
    percent = 100 * fraction
    return f"{percent:.1f}%" if percent >= 0.1 else "<0.1%"
