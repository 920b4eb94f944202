"""The HTML input form, generated from the model's schema.

The tutorials hand-copy category codes into their HTML and match form values to columns
by position, so the form and the model drift apart. Here every control comes from the
schema the model was trained with: a ``<select>`` of the known categories, a number box
with the observed range, the example record as the starting values. A form post is read
back by field name into one record for ``Model.score``, and its validation errors are
placed next to the field they name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from tabship.data import MAX_TEXT_LENGTH, Field, Schema

__all__ = [
    "FormField",
    "errors_by_field",
    "form_fields",
    "humanize",
    "metric_caption",
    "record_from_form",
    "sort_options",
    "value_text",
]

_METRIC_NAMES = {"r2": "R²", "accuracy": "accuracy", "roc_auc": "ROC AUC", "rmse": "RMSE"}


@dataclass
class FormField:
    """What the template needs to draw one input: control kind, value, limits, messages."""

    name: str
    label: str
    id: str
    kind: str  # "select", "number" or "text"
    required: bool
    value: str
    options: list[str]
    minimum: str | None = None
    maximum: str | None = None
    step: str = "any"
    hint: str = ""
    error: str | None = None
    maxlength: int | None = None  # free text: the longest text validation accepts

    @property
    def show_name(self) -> bool:
        """Whether to print the raw column name beside a label that differs from it."""
        return self.label.casefold() != self.name.casefold()

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-hint"] if self.hint else []
        if self.error:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


def humanize(name: str) -> str:
    """A column name as a label: ``"Na_to_K" -> "Na to K"``, ``"age" -> "Age"``."""
    words = re.sub(r"[_\-.\s]+", " ", str(name)).strip() or str(name)
    return words[0].upper() + words[1:]


def value_text(value: object) -> str:
    """A value as it goes into an input box: ``45``, ``13.9365``, ``""`` for missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            return ""
        return str(int(number)) if number.is_integer() else f"{number:.10g}"
    return str(value)


def sort_options(categories: Iterable[str]) -> list[str]:
    """Categories in reading order: numerically when all are numbers, else A–Z."""
    values = [str(c) for c in categories]
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values, key=lambda c: (c.casefold(), c))


def form_fields(
    schema: Schema,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FormField]:
    """One ``FormField`` per input the model uses, filled with ``values`` or the example.

    Without ``values`` (a first visit) the schema's example record fills the form, and
    the field's default where the example has no value.
    """
    errors = errors or {}
    shown = []
    for index, field in enumerate(schema.feature_fields):
        if values is None:
            start = schema.example.get(field.name)
            value = value_text(field.default if _missing(start) else start)
        else:
            value = values.get(field.name, "")
        shown.append(_form_field(field, index, value, errors.get(field.name)))
    return shown


def _form_field(field: Field, index: int, value: str, error: str | None) -> FormField:
    """The control for ``field``: a select of its categories, a bounded number, or text."""
    make = partial(
        FormField,
        name=field.name,
        label=humanize(field.name),
        id=f"field-{index}",
        required=field.required,
        error=error,
    )
    if field.role in ("categorical", "boolean"):
        options = sort_options(field.categories or [])
        hint = f"{len(options)} choices" if len(options) > 10 else ""
        return make(
            kind="select",
            value=_matching_option(value, options),
            options=options,
            hint=_hint(field, hint),
        )
    if field.role == "numeric":
        low, high = field.minimum, field.maximum
        seen = low is not None and high is not None
        return make(
            kind="number",
            value=value,
            options=[],
            minimum=value_text(low) if low is not None else None,
            maximum=value_text(high) if high is not None else None,
            step="1" if field.is_integer else "any",
            hint=_hint(
                field, f"Seen in training: {value_text(low)} to {value_text(high)}" if seen else ""
            ),
        )
    if field.role == "text":
        hint = _hint(field, "Free text; the model reads its words")
        return make(kind="text", value=value, options=[], hint=hint, maxlength=MAX_TEXT_LENGTH)
    return make(kind="text", value=value, options=[], hint=_hint(field, "A date, e.g. 2024-01-31"))


def _hint(field: Field, hint: str) -> str:
    """The field's hint, plus what an empty optional field becomes."""
    if field.required or field.default is None:
        return hint
    blank = f"Left empty, it counts as {value_text(field.default)}."
    return f"{hint}. {blank}" if hint else blank


def _matching_option(value: str, options: list[str]) -> str:
    """The option a typed value stands for (``"high" -> "HIGH"``), else the value itself."""
    if value in options:
        return value
    folded = value.strip().casefold()
    return next((o for o in options if o.strip().casefold() == folded), value)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def record_from_form(
    form: Mapping[str, object], schema: Schema
) -> tuple[dict[str, str], dict[str, str]]:
    """The posted values of the model's inputs: (all values as typed, the record to score).

    Empty boxes are left out of the record, so that the runtime reports a missing
    required field or fills an optional one with its default, exactly as for JSON.
    """
    typed = {f.name: str(form.get(f.name, "")).strip() for f in schema.feature_fields}
    return typed, {name: text for name, text in typed.items() if text != ""}


def errors_by_field(
    errors: Iterable[Mapping[str, Any]], names: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Validation messages keyed by the field they name, and the ones naming none."""
    known = set(names)
    by_field: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        loc = error.get("loc") or []
        name = str(loc[-1]) if loc else ""
        message = str(error.get("msg", "This value is not valid."))
        if name in known:
            by_field[name] = f"{by_field[name]} {message}" if name in by_field else message
        else:
            general.append(message)
    return by_field, general


def metric_caption(metrics: Mapping[str, Any], task: str) -> str:
    """The model's test score in one line: ``"Test R²: 0.87 on 268 held-out rows"``."""
    holdout = metrics.get("holdout") or {}
    key = "r2" if task == "regression" else "accuracy"
    value = holdout.get(key)
    if not isinstance(value, int | float) or not math.isfinite(value):
        return ""
    caption = f"Test {_METRIC_NAMES[key]}: {value:.3g}"
    rows = metrics.get("n_test")
    if isinstance(rows, int) and rows > 0:
        caption += f" on {rows:,} held-out rows"
    return caption
