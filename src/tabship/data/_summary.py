"""``summarize``: training distributions, kept with the model for plots and drift checks.

The result page places a prediction among the training targets and the drift check
compares new inputs with training inputs, long after the training frame is gone; this
small JSON-able record is what they have instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from tabship.data._drift import categorical_reference, numeric_reference
from tabship.data._fields import category_counts
from tabship.data._roles import parse_dates
from tabship.data._schema import Field, Schema
from tabship.data._summary_types import (
    CategorySummary,
    DriftReference,
    DriftReferences,
    FeatureSummary,
    NumericSummary,
    Summary,
)

__all__ = ["QUANTILES", "summarize"]

QUANTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
TARGET_BINS = 30
FEATURE_BINS = 20
TOP_CATEGORIES = 50


def summarize(
    df: pd.DataFrame, schema: Schema, predictions: npt.ArrayLike | None = None
) -> Summary:
    """Target histogram or class counts, a distribution per used input field, and the
    drift references (``drift_references``) of the features and of ``predictions``, the
    final model's predictions on training rows (no prediction reference without them)."""
    target = schema.target
    y = df[target.name].dropna()
    described: NumericSummary | CategorySummary
    if target.task == "regression":
        described = numeric_summary(pd.to_numeric(y, errors="coerce"), TARGET_BINS)
    else:
        described = category_summary(y, top=None)
    return {
        "n_rows": int(len(df)),
        "target": {"name": target.name, "task": target.task, **described},
        "features": {f.name: _feature_summary(df[f.name], f) for f in schema.feature_fields},
        "drift": drift_section(df, schema, predictions),
    }


def drift_section(
    df: pd.DataFrame, schema: Schema, predictions: npt.ArrayLike | None = None
) -> DriftReferences:
    """Decile bins per numeric feature, the top categories per categorical one (dates
    drift by nature and are left out), and the predictions' bins when given."""
    section: DriftReferences = {
        "features": {
            f.name: _feature_reference(df[f.name], f)
            for f in schema.feature_fields
            if f.role != "datetime"
        }
    }
    if predictions is not None:
        section["prediction"] = prediction_reference(predictions, schema.task)
    return section


def prediction_reference(predictions: npt.ArrayLike, task: str) -> DriftReference:
    """Decile bins of predicted numbers (regression), counts of predicted classes."""
    values = np.asarray(predictions)
    if task == "regression":
        return numeric_reference(values.astype("float64"))
    counts = category_counts(pd.Series(values, dtype=object))
    return categorical_reference({str(k): int(n) for k, n in counts.items()})


def _feature_reference(column: pd.Series, field: Field) -> DriftReference:
    if field.role == "numeric":
        return numeric_reference(pd.to_numeric(column, errors="coerce").to_numpy("float64"))
    counts = category_counts(column)
    shown = counts.head(TOP_CATEGORIES)
    return categorical_reference(
        {str(k): int(n) for k, n in shown.items()},
        other=int(counts.sum() - shown.sum()),
        missing=int(column.isna().sum()),
    )


def numeric_summary(values: pd.Series, bins: int) -> NumericSummary:
    """Histogram (edges, counts), quantiles p1..p99, mean and std of the finite values."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    finite = numbers[np.isfinite(numbers)]
    missing = int(len(numbers) - len(finite))
    if finite.size == 0:
        return {"kind": "numeric", "count": 0, "missing": missing}
    counts, edges = np.histogram(finite, bins=bins)
    return {
        "kind": "numeric",
        "count": int(finite.size),
        "missing": missing,
        "mean": float(finite.mean()),
        "std": float(finite.std()),
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
        "quantiles": {
            f"p{q}": float(v)
            for q, v in zip(QUANTILES, np.percentile(finite, QUANTILES), strict=True)
        },
    }


def category_summary(values: pd.Series, top: int | None = TOP_CATEGORIES) -> CategorySummary:
    """Counts of the most frequent canonical categories, plus how many rows had others."""
    counts = category_counts(values)
    shown = counts if top is None else counts.head(top)
    return {
        "kind": "categorical",
        "count": int(counts.sum()),
        "missing": int(values.isna().sum()),
        "counts": {str(k): int(v) for k, v in shown.items()},
        "other": int(counts.sum() - shown.sum()),
    }


def _feature_summary(column: pd.Series, field: Field) -> FeatureSummary:
    if field.role == "numeric":
        return numeric_summary(column, FEATURE_BINS)
    if field.role == "datetime":
        dates = parse_dates(column)
        present = dates.dropna()
        return {
            "kind": "datetime",
            "count": int(len(present)),
            "missing": int(dates.isna().sum()),
            "minimum": present.min().isoformat() if len(present) else None,
            "maximum": present.max().isoformat() if len(present) else None,
        }
    return category_summary(column)
