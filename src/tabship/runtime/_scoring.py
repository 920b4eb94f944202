"""Validate-then-predict, the one path every serving surface goes through.

The JSON API, the HTML form, the CSV upload and batch scoring all call ``score_records``,
so a record gets the same validation, the same defaults and the same prediction whichever
door it came through, and a record scored alone gives exactly what it gives in a batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tabship.data import Schema
from tabship.errors import ErrorItem, ValidationError
from tabship.runtime._explain import Explainer, PredictColumns, read_background
from tabship.runtime._table import input_error
from tabship.runtime._validate import RecordValidator, ValidationResult

__all__ = [
    "MAX_EXPLAINED",
    "Scored",
    "background_explainer",
    "frame_predictor",
    "score_records",
]

# Records one call explains at most: each costs thousands of predicted rows (an
# explanation of one record takes about as long as scoring a few thousand).
MAX_EXPLAINED = 100


@dataclass
class Scored:
    """Predictions for the valid records of one request, with what was noticed on the way."""

    index: list[int]
    predictions: list[Any]
    probabilities: list[dict[str, float]] | None = None
    # The same probabilities as a (records, classes) array, columns in model class order;
    # batch scoring reads this instead of a dict per record.
    probability_matrix: Any = field(default=None, repr=False)
    explanations: list[list[dict[str, Any]]] | None = None
    # With explanations: the mean prediction over the model's background rows (a number,
    # or one per class), what each record's contributions add up to its prediction from.
    expected_value: float | dict[str, float] | None = None
    errors: list[ErrorItem] = field(default_factory=list)
    warnings: list[ErrorItem] = field(default_factory=list)
    defaulted: list[Any] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)
    # Ids of the scored records, one per prediction, set by a server that logs them
    # (``"ids"`` of a /predict answer); None when nothing named them.
    ids: list[str] | None = None
    # The validated values of the scored records per feature field (row k = index[k]),
    # what a prediction log stores as the inputs; not part of the answer.
    columns: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The body of a ``/predict`` answer."""
        body: dict[str, Any] = {
            "predictions": self.predictions,
            **({"ids": self.ids} if self.ids is not None else {}),
            "probabilities": self.probabilities,
            "warnings": self.warnings,
            "defaulted": [list(d) if isinstance(d, tuple) else d for d in self.defaulted],
            "unknown_fields": self.unknown_fields,
        }
        if self.explanations is not None:
            body["expected_value"] = self.expected_value
            body["explanations"] = self.explanations
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def from_json(
        cls,
        body: Mapping[str, Any],
        *,
        index: list[int] | None = None,
        errors: list[ErrorItem] | None = None,
    ) -> Scored:
        """The result a ``/predict`` answer stands for: the inverse of ``to_json``.

        A client scoring over HTTP then hands its callers what a local ``Model.score``
        gives. ``index`` is the input positions the answer covers (all of them by
        default); ``errors`` replaces the answer's own when the caller collected them
        from an earlier rejected request.
        """
        predictions = list(body["predictions"])
        return cls(
            index=list(range(len(predictions))) if index is None else index,
            predictions=predictions,
            ids=list(body["ids"]) if body.get("ids") is not None else None,
            probabilities=body.get("probabilities"),
            explanations=body.get("explanations"),
            expected_value=body.get("expected_value"),
            errors=list(body.get("errors", [])) if errors is None else errors,
            warnings=list(body.get("warnings", [])),
            defaulted=list(body.get("defaulted", [])),
            unknown_fields=list(body.get("unknown_fields", [])),
        )


def score_records(
    predict: PredictColumns,
    classes: list[str] | None,
    schema: Schema,
    data: Any,
    *,
    explain: bool = False,
    strict: bool = True,
    max_records: int | None = None,
    allow_unknown_categories: bool = True,
    probability_dicts: bool = True,
    validator: RecordValidator | None = None,
    explainer: Explainer | None = None,
    max_explained: int | None = MAX_EXPLAINED,
) -> Scored:
    """Validate ``data`` against ``schema``, then predict the valid records.

    ``predict(columns, n)`` is the model on validated columns (the scoring plan, or the
    pipeline behind ``frame_predictor``); ``classes`` names its probability columns
    (None for regression). With ``strict`` any invalid record raises ``ValidationError``
    listing every problem; without it the valid records are scored and the errors
    returned per input index. ``probability_dicts=False`` leaves the probabilities in
    ``probability_matrix`` only (a dict per record costs more than the model on a big
    batch). ``validator`` is the schema's record validator when the caller holds one (a
    ``Model`` does, so its lookup tables are built once, not per request); otherwise one
    is built for ``schema`` and ``allow_unknown_categories``. ``explainer`` gives the
    explanations (``Model.explainer``: Shapley values against the stored background
    rows); without one they are measured from the schema's typical values. More than
    ``max_explained`` records with ``explain`` raise ``ValidationError`` (None: no limit).
    """
    if validator is None:
        validator = RecordValidator(schema, allow_unknown_categories=allow_unknown_categories)
    checked = validator.validate(data, max_records=max_records)
    if strict or not checked.valid_index:
        checked.raise_if_invalid()
    if explain and max_explained is not None and len(checked.valid_index) > max_explained:
        raise ValidationError([_too_many_to_explain(len(checked.valid_index), max_explained)])
    scored = Scored(
        index=list(checked.valid_index),
        predictions=[],
        errors=list(checked.errors),
        warnings=list(checked.warnings),
        defaulted=list(checked.defaulted),
        unknown_fields=list(checked.unknown_fields),
        columns=checked.columns,
    )
    n = len(checked.valid_index)
    if n == 0:
        return scored
    output = np.asarray(predict(checked.columns, n), dtype=float)
    class_of_row: list[int | None] = [None] * n
    if classes is None:
        scored.predictions = output.reshape(n).tolist()
    else:
        best = output.argmax(axis=1)
        # One take: a Python loop over numpy integers cost 8 % of a batch chunk's scoring.
        scored.predictions = np.asarray(classes, dtype=object)[best].tolist()
        scored.probability_matrix = output
        if probability_dicts:
            scored.probabilities = [dict(zip(classes, r, strict=True)) for r in output.tolist()]
        if explain:
            class_of_row = best.tolist()
    if explain:
        if explainer is None:
            explainer = background_explainer(predict, classes, schema, None)
        scored.expected_value = explainer.expected_value
        scored.explanations = [
            explainer.explain(
                {name: values[i] for name, values in checked.columns.items()}, class_of_row[i]
            )
            for i in range(n)
        ]
    return scored


def _too_many_to_explain(n: int, limit: int) -> ErrorItem:
    return input_error(
        "too_many_records",
        f"Explanations are computed for at most {limit} records at a time (each costs "
        f"thousands of model evaluations); the input holds {n}. Send fewer records with "
        "explain, or ask without it for the predictions alone.",
        n,
        limit,
    )


def background_explainer(
    predict: PredictColumns, classes: list[str] | None, schema: Schema, background: bytes | None
) -> Explainer:
    """The explainer on the stored background rows (``background.json``), read through
    the same validation as a request (unseen categories accepted: they are training
    values); rows it refuses are left out, and with none left (or no file) the schema's
    typical values stand in."""
    validator = RecordValidator(schema)
    checked = validator.validate(read_background(background, schema))
    if not checked.valid_index:
        checked = validator.validate(read_background(None, schema))
    return Explainer(predict, checked.columns, classes)


def frame_predictor(pipeline: Any, schema: Schema) -> PredictColumns:
    """The fitted pipeline as ``predict(columns, n)``: validated columns become the
    DataFrame with the schema's dtypes that the pipeline was trained on."""
    roles = {f.name: f.role for f in schema.feature_fields}
    regression = schema.task == "regression"

    def predict(columns: dict[str, list[Any]], n: int) -> np.ndarray:
        frame = ValidationResult(list(range(n)), columns=columns, roles=roles).frame
        if regression:
            return np.asarray(pipeline.predict(frame), dtype=float)
        return np.asarray(pipeline.predict_proba(frame), dtype=float)

    return predict
