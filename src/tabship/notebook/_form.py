"""``form(model_or_url)``: an ipywidgets prediction form generated from the schema.

The tutorials end with a hand-built ipywidgets form that posts to the deployed API; this
builds it from the model's schema instead — a dropdown per categorical or boolean field,
a bounded number box per numeric field, a Predict button (or live updates) and the
answer drawn with the same charts as the web result page (``tabship.views``), so a
notebook, a Voila dashboard and the served page agree. It works the same against a
loaded ``Model`` and against a running server (through ``tabship.client.Client``).

Number boxes accept the training range widened by 10 % on each side (``WIDEN``): a user
may ask about a value a little beyond what the model saw, but a typo of an extra digit
is held at the bound instead of sending an absurd value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

try:
    import ipywidgets as widgets
except ImportError as err:  # an optional extra: say how to get it
    raise ImportError(
        "tabship.notebook needs ipywidgets. Install it with: pip install 'tabship[notebook]'."
    ) from err

from tabship.data import Field, Schema
from tabship.errors import TabshipError, ValidationError
from tabship.views import ScoredModel, result_view

if TYPE_CHECKING:
    from tabship.runtime import Model, Scored

__all__ = ["Backend", "PredictionForm", "form"]

WIDEN = 0.10
MISSING = "(missing)"

_CSS = """<style>
.tabship-result { font-family: system-ui, sans-serif; color: #1d2330; max-width: 640px; }
.tabship-result .prediction { font-size: 1.4em; font-weight: 700; }
.tabship-result .muted { color: #5b6474; }
.tabship-result .error { color: #b42318; }
.tabship-result .chart { display: block; overflow: visible; }
.tabship-result .chart text { font: 13px system-ui, sans-serif; fill: #1d2330; }
.tabship-result .chart .value, .tabship-result .chart .tick-label { fill: #5b6474; }
.tabship-result .chart .row-hi .label, .tabship-result .chart .row-hi .value { font-weight: 700; }
.tabship-result .chart .track { fill: #eef1f5; }
.tabship-result .chart .bar { fill: #c3cbd8; }
.tabship-result .chart .bar-hi { fill: #2454d6; }
.tabship-result .chart .axis, .tabship-result .chart .tick { stroke: #9aa3b2; stroke-width: 1; }
.tabship-result .chart .marker { stroke: #111827; stroke-width: 2; stroke-dasharray: 5 4; }
.tabship-result .chart .marker-label { font-weight: 700; fill: #111827; }
.tabship-result .chart .bar-up { fill: #2454d6; }
.tabship-result .chart .bar-down { fill: #d9640f; }
.tabship-result .chart .value.up { fill: #2454d6; font-weight: 600; }
.tabship-result .chart .value.down { fill: #d9640f; font-weight: 600; }
</style>"""


class Backend(ScoredModel, Protocol):
    """Where the form gets its schema and training summary, and scores a record: a
    loaded ``Model`` in process, or a running server through ``tabship.client``."""

    def score(self, record: dict[str, Any]) -> Scored: ...


def form(
    model_or_url: Model | str | Path,
    *,
    live: bool = False,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> PredictionForm:
    """A prediction form for a ``Model``, a model path, or the URL of a tabship server.

    ``live=True`` predicts again whenever a value changes (the button stays for an
    explicit refresh). Display it as the last expression of a cell, or under Voila.
    """
    return PredictionForm(_backend(model_or_url, api_key, timeout), live=live)


class PredictionForm(widgets.VBox):
    """The form: ``inputs`` (name -> widget), ``button``, ``result`` (an HTML widget)."""

    def __init__(self, backend: Backend, *, live: bool = False) -> None:
        self.backend = backend
        schema = backend.schema
        self.inputs = {
            f.name: _input_widget(f, schema.example.get(f.name)) for f in schema.feature_fields
        }
        self.button = widgets.Button(description="Predict", button_style="primary", icon="check")
        self.result = widgets.HTML(value="")
        self.button.on_click(lambda _button: self.predict())
        if live:
            for widget in self.inputs.values():
                widget.observe(lambda _change: self.predict(), names="value")
        note = widgets.HTML(
            value=f"<span class='muted'>Predicts <b>{html.escape(schema.target.name)}</b>. "
            f"Number boxes accept the training range widened by {WIDEN:.0%}.</span>"
        )
        super().__init__(children=[note, *self.inputs.values(), self.button, self.result])

    def values(self) -> dict[str, Any]:
        """The record the form holds, as ``/predict`` takes it (missing -> None)."""
        record = {}
        for name, widget in self.inputs.items():
            value = widget.value
            record[name] = None if value in (MISSING, "") else value
        return record

    def predict(self) -> None:
        """Score the record and show the answer; errors are shown, never raised."""
        record = self.values()
        try:
            scored = self.backend.score(record)
        except ValidationError as err:
            self.result.value = _error_html("; ".join(e.get("msg", "") for e in err.errors))
            return
        except TabshipError as err:
            self.result.value = _error_html(str(err))
            return
        self.result.value = result_html(self.backend, scored, record)


def result_html(backend: ScoredModel, scored: Scored, record: Mapping[str, object]) -> str:
    """The answer as the web result page draws it: prediction, probabilities, where it sits."""
    typed = {k: "" if v is None else str(v) for k, v in record.items()}
    view = result_view(backend, scored, typed)
    target = html.escape(backend.schema.target.name)
    parts = [
        _CSS,
        "<div class='tabship-result'>",
        f"<div>Predicted {target}: "
        f"<span class='prediction'>{html.escape(view.prediction)}</span></div>",
    ]
    if view.confidence:
        parts.append(f"<div class='muted'>{html.escape(view.confidence)}</div>")
    if view.probability_svg:
        parts.append(str(view.probability_svg))
    if view.distribution_svg:
        parts.append(f"<h4>{html.escape(view.distribution_title)}</h4>")
        parts.append(f"<div class='muted'>{html.escape(view.distribution_caption)}</div>")
        parts.append(str(view.distribution_svg))
    if view.contribution_svg:  # the same numbers as the web page and Model.score
        parts.append("<h4>What pushed it up or down</h4>")
        parts.append(f"<div class='muted'>{html.escape(view.contribution_caption)}</div>")
        parts.append(str(view.contribution_svg))
    for warning in view.warnings:
        parts.append(f"<div class='muted'>Note: {html.escape(warning)}</div>")
    parts.append("</div>")
    return "".join(parts)


def _error_html(message: str) -> str:
    return (
        f"{_CSS}<div class='tabship-result'><span class='error'>{html.escape(message)}</span></div>"
    )


def _input_widget(field: Field, example: object) -> widgets.Widget:
    """A dropdown for categories, a bounded number box for numbers, text otherwise."""
    start = example if example is not None else field.default
    style = {"description_width": "initial"}
    if field.role in ("categorical", "boolean") and field.categories:
        options = [str(c) for c in field.categories]
        if not field.required:
            options.append(MISSING)
        choice = str(start) if start is not None and str(start) in options else options[0]
        return widgets.Dropdown(options=options, value=choice, description=field.name, style=style)
    if field.role == "numeric":
        return _number_box(field, start, style)
    return widgets.Text(
        value="" if start is None else str(start), description=field.name, style=style
    )


def _number_box(field: Field, start: object, style: dict[str, str]) -> widgets.Widget:
    """A number box held to the training range widened by ``WIDEN``, whole numbers for an
    integer field."""
    low, high = _widened(field.minimum, field.maximum)
    tooltip = _range_text(field)
    if field.is_integer:
        int_low, int_high = math.floor(low), math.ceil(high)
        return widgets.BoundedIntText(
            value=int(min(max(_number(start, int_low), int_low), int_high)),
            min=int_low,
            max=int_high,
            description=field.name,
            tooltip=tooltip,
            style=style,
        )
    return widgets.BoundedFloatText(
        value=min(max(_number(start, low), low), high),
        min=low,
        max=high,
        description=field.name,
        tooltip=tooltip,
        style=style,
    )


def _widened(minimum: float | None, maximum: float | None) -> tuple[float, float]:
    low = float(minimum) if minimum is not None else -1e9
    high = float(maximum) if maximum is not None else 1e9
    margin = (high - low) * WIDEN or max(abs(low) * WIDEN, 1.0)
    return low - margin, high + margin


def _range_text(field: Field) -> str:
    return f"Training range {field.minimum} to {field.maximum}"


def _number(value: Any, fallback: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return fallback
    return number if math.isfinite(number) else fallback


def _backend(model_or_url: Model | str | Path, api_key: str | None, timeout: float) -> Backend:
    if isinstance(model_or_url, str) and model_or_url.startswith(("http://", "https://")):
        return _RemoteBackend(model_or_url, api_key=api_key, timeout=timeout)
    if isinstance(model_or_url, str | Path):
        from tabship.runtime import load

        return _LocalBackend(load(model_or_url))
    return _LocalBackend(model_or_url)


class _LocalBackend:
    """A loaded Model: schema and training summary at hand, scoring in process."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.schema = model.schema
        self.summary = model.summary

    def score(self, record: dict[str, Any]) -> Scored:
        return self.model.score([record], explain=True)


class _RemoteBackend:
    """A running server: schema and training summary from ``/metadata``, scoring
    through ``/predict``."""

    def __init__(self, url: str, *, api_key: str | None, timeout: float) -> None:
        from tabship.client import Client

        self.client = Client(url, api_key=api_key, timeout=timeout)
        meta = self.client.metadata()
        self.schema: Schema = Schema.from_dict(meta["schema"])
        self.summary: Mapping[str, Any] = meta.get("summary") or {}

    def score(self, record: dict[str, Any]) -> Scored:
        from tabship.runtime import Scored

        return Scored.from_json(self.client.score([record], explain=True))
