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

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tabship.data import Schema, json_safe

__all__ = ["explain_record"]

PredictColumns = Callable[[dict[str, list[Any]], int], np.ndarray]


def explain_record(
    predict: PredictColumns,
    values: Mapping[str, Any],
    schema: Schema,
    class_index: int | None = None,
) -> list[dict[str, Any]]:
    """Contributions of each model input to the prediction for one validated record.

    ``predict(columns, n)`` is the model on validated columns: values ``(n,)`` or class
    probabilities ``(n, k)``.
    """
    fields = schema.feature_fields
    n = len(fields) + 1
    columns = {name: [value] * n for name, value in values.items()}
    for i, field in enumerate(fields, start=1):
        columns[field.name][i] = field.default
    outputs = np.asarray(predict(columns, n), dtype=float)
    if class_index is not None:
        outputs = outputs[:, class_index]
    contributions = [
        {
            "feature": field.name,
            "value": json_safe(values.get(field.name), nonfinite="null"),
            "baseline": json_safe(field.default, nonfinite="null"),
            "contribution": float(outputs[0] - outputs[i]),
        }
        for i, field in enumerate(fields, start=1)
    ]
    return sorted(contributions, key=lambda c: -abs(c["contribution"]))
