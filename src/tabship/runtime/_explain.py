"""Which inputs pushed one prediction up or down: one-at-a-time occlusion.

Each input's contribution is the model's output for the record minus its output with that
one input replaced by a typical training value (the median of a number, the most frequent
category). It works for every pipeline tabship builds (linear models, trees, ensembles,
derived columns, target encoding) without model-specific code, costs one batched predict
call of ``n_features + 1`` rows, and reads in the units of the prediction ("being a
smoker added 23,000 to the charges"). For classifiers the output is the probability of the
predicted class. Contributions need not add up to the prediction when inputs interact;
that is the honest price of a model-agnostic method (SHAP would need per-model code).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabship.data import Schema

__all__ = ["explain_record"]


def explain_record(
    pipeline: Any, row: pd.DataFrame, schema: Schema, class_index: int | None = None
) -> list[dict[str, Any]]:
    """Contributions of each model input to the prediction for the single-row ``row``."""
    fields = schema.feature_fields
    variants = pd.concat([row] * (len(fields) + 1), ignore_index=True)
    for i, field in enumerate(fields, start=1):
        variants.loc[i, field.name] = field.default
    outputs = _outputs(pipeline, variants, class_index)
    contributions = [
        {
            "feature": field.name,
            "value": _plain(row.iloc[0][field.name]),
            "baseline": _plain(field.default),
            "contribution": float(outputs[0] - outputs[i]),
        }
        for i, field in enumerate(fields, start=1)
    ]
    return sorted(contributions, key=lambda c: -abs(c["contribution"]))


def _outputs(pipeline: Any, frame: pd.DataFrame, class_index: int | None) -> np.ndarray:
    if class_index is None:
        return np.asarray(pipeline.predict(frame), dtype=float)
    return np.asarray(pipeline.predict_proba(frame), dtype=float)[:, class_index]


def _plain(value: Any) -> Any:
    """JSON-native value: numpy scalars to Python, NaN to None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
