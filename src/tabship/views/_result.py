"""What the result page shows for one scored record, gathered from ``Model.score``.

The template only lays things out; the wording of the prediction, the captions, the
charts and the per-input notes are decided here so that they can be tested without a
browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from markupsafe import Markup

from tabship.data import Schema, TargetSummary
from tabship.views._form import humanize, value_text
from tabship.views._plots import (
    class_distribution_svg,
    contribution_svg,
    format_number,
    format_percent,
    probability_svg,
    target_histogram_svg,
)

if TYPE_CHECKING:
    from tabship.runtime import Scored

__all__ = [
    "InputRow",
    "ResultView",
    "ScoredModel",
    "result_view",
    "share_below",
]


class ScoredModel(Protocol):
    """What the result view reads of the model: a loaded ``Model``, or the notebook's
    stand-in for a remote one (its schema and summary from ``/metadata``)."""

    @property
    def schema(self) -> Schema: ...

    @property
    def summary(self) -> Mapping[str, Any] | None: ...


@dataclass
class InputRow:
    """One line of the "inputs as the model read them" table."""

    name: str
    label: str
    value: str
    note: str = ""

    @property
    def show_name(self) -> bool:
        return self.label.casefold() != self.name.casefold()


@dataclass
class ResultView:
    """Everything ``result.html`` draws for one prediction."""

    prediction: str
    confidence: str = ""
    probability_svg: Markup | None = None
    distribution_title: str = ""
    distribution_caption: str = ""
    distribution_svg: Markup | None = None
    contribution_caption: str = ""
    contribution_svg: Markup | None = None
    inputs: list[InputRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def result_view(model: ScoredModel, scored: Scored, typed: Mapping[str, str]) -> ResultView:
    """The result page for the first (only) record of ``scored``.

    ``typed`` holds the values as posted; the page shows the values as the model read
    them (canonical categories, defaults filled in) and refills the form with those.
    """
    schema = model.schema
    target = schema.target.name
    predicted = scored.predictions[0]
    explanation = scored.explanations[0] if scored.explanations else []
    read = {item["feature"]: item.get("value") for item in explanation}
    values = {
        f.name: value_text(read[f.name]) if f.name in read else typed.get(f.name, "")
        for f in schema.feature_fields
    }
    view = ResultView(
        prediction=_prediction_text(predicted),
        inputs=_input_rows(schema, values, scored),
        warnings=[
            str(w.get("msg", w)) if isinstance(w, Mapping) else str(w) for w in scored.warnings
        ],
        values=values,
    )
    summary_target: TargetSummary = (model.summary or {}).get("target", {})
    if scored.probabilities:
        probabilities = scored.probabilities[0]
        view.confidence = f"Probability {format_percent(probabilities.get(str(predicted), 0.0))}"
        view.probability_svg = probability_svg(probabilities, str(predicted))
        _class_distribution(view, summary_target, str(predicted))
    else:
        _target_histogram(view, summary_target, float(predicted), target)
    if explanation:
        view.contribution_svg = contribution_svg(
            explanation, unit="pp" if scored.probabilities else ""
        )
        view.contribution_caption = _contribution_caption(
            target, predicted, scored, len(explanation)
        )
    return view


def _input_rows(schema: Schema, values: Mapping[str, str], scored: Scored) -> list[InputRow]:
    """The inputs as the model read them, each with what happened to it on the way."""
    defaulted = _defaulted_names(scored.defaulted)
    warned = _warnings_by_field(scored.warnings)
    return [
        InputRow(
            f.name,
            humanize(f.name),
            values[f.name] or "missing",
            _note(f.name in defaulted, warned.get(f.name)),
        )
        for f in schema.feature_fields
    ]


def _prediction_text(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


def _target_histogram(
    view: ResultView, summary: TargetSummary, prediction: float, target: str
) -> None:
    histogram = summary.get("histogram")
    if not histogram:
        return
    edges, counts = histogram["edges"], histogram["counts"]
    quantiles = summary.get("quantiles") or {}
    if {"p25", "p50", "p75"} <= set(quantiles):
        view.confidence = (
            f"Training median {format_number(quantiles['p50'])}; middle half "
            f"{format_number(quantiles['p25'])} to {format_number(quantiles['p75'])}"
        )
    view.distribution_title = f"Where this prediction sits among the training {target} values"
    below = share_below(edges, counts, prediction)
    view.distribution_caption = (
        f"Bars count the {sum(counts):,} training rows by {target}; the dashed line is this "
        f"prediction, higher than about {below:.0%} of them."
    )
    view.distribution_svg = target_histogram_svg(edges, counts, prediction, target)


def _class_distribution(view: ResultView, summary: TargetSummary, predicted: str) -> None:
    counts = summary.get("counts")
    if not counts:
        return
    total = sum(counts.values()) or 1
    share = counts.get(predicted, 0) / total
    view.distribution_title = "How common each class was in training"
    view.distribution_caption = (
        f"{predicted} was the answer in {share:.0%} of the {total:,} training rows."
    )
    view.distribution_svg = class_distribution_svg(counts, predicted)


def share_below(edges: Sequence[float], counts: Sequence[int], value: float) -> float:
    """Approximate share of training rows below ``value``, read off the histogram."""
    total = sum(counts)
    if total == 0:
        return 0.0
    below = 0.0
    for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True):
        if value >= high:
            below += count
        elif value > low:
            below += count * (value - low) / (high - low)
    return below / total


def _contribution_caption(target: str, predicted: object, scored: Scored, n: int) -> str:
    """What the bars measure: the move from the expected value (the mean prediction
    over training rows) to this prediction, which the bars add up to."""
    shown = "" if n <= 10 else " The ten largest are shown."
    expected = scored.expected_value
    if scored.probabilities:
        what = f"the probability of {predicted} (in percentage points)"
        start = expected.get(str(predicted)) if isinstance(expected, Mapping) else None
        end = scored.probabilities[0].get(str(predicted), 0.0)
        start_text, end_text = _percent_or_none(start), format_percent(end)
    else:
        what = f"the predicted {target}"
        start = expected if isinstance(expected, int | float) else None
        start_text, end_text = _number_or_none(start), _prediction_text(predicted)
    if start_text is None:
        return f"Each bar is how much that input pushed {what} up or down.{shown}"
    return (
        f"Each bar is how much that input moved {what} away from {start_text}, the average "
        f"prediction over training rows; the contributions of all inputs add up to this "
        f"prediction, {end_text}.{shown}"
    )


def _percent_or_none(value: object) -> str | None:
    return format_percent(float(value)) if isinstance(value, int | float) else None


def _number_or_none(value: object) -> str | None:
    return format_number(float(value)) if isinstance(value, int | float) else None


def _defaulted_names(defaulted: Sequence[object]) -> set[str]:
    """Field names from the runtime's defaulted entries, whatever their exact shape."""
    names = set()
    for item in defaulted:
        if isinstance(item, Mapping):
            loc = item.get("loc") or [item.get("field")]
            names.add(str(loc[-1]))
        elif isinstance(item, list | tuple):
            names.add(str(item[-1]))
        else:
            names.add(str(item))
    return names


def _warnings_by_field(warnings: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for warning in warnings:
        if isinstance(warning, Mapping) and warning.get("loc"):
            found.setdefault(str(warning["loc"][-1]), warning)
    return found


def _note(defaulted: bool, warning: Mapping[str, Any] | None) -> str:
    notes = []
    if defaulted:
        notes.append("not given: the default was used")
    if warning is not None:
        kind = str(warning.get("type", ""))
        if "range" in kind:
            notes.append("outside the range seen in training")
        elif "categor" in kind or "unseen" in kind or "unknown" in kind:
            notes.append("a value not seen in training")
        else:
            notes.append("see the warning above")
    return "; ".join(notes)
