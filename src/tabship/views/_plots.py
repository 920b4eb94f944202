"""Small inline SVG charts for the result page, drawn by hand.

The serving image must stay light and the page must work offline and with JavaScript
off, so the charts are plain SVG strings built here, not matplotlib figures or a
JavaScript plotting library from a CDN. Every piece of text that comes from the data
(class names, field names, values) goes through ``Markup.format``, which HTML-escapes
it: a category named ``<script>`` is drawn as text.

Horizontal positions are percentages of the chart's width and vertical ones are pixels,
with no ``viewBox``: the chart stretches to its container while its text keeps its real
size, so the labels stay readable on a 390-pixel phone as on a desktop (a scaled
``viewBox`` would shrink them to a few pixels). Bar charts therefore put each label on
its own line above its bar. Each chart carries a ``<title>`` and an ``aria-label`` for
screen readers, and takes its colours from CSS classes (``bar``, ``bar-hi``, ``bar-up``,
``bar-down``, ``marker``) styled in ``serve/static/tabship.css`` (the notebook form
inlines the same rules).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

__all__ = [
    "class_distribution_svg",
    "contribution_svg",
    "format_number",
    "format_percent",
    "nice_ticks",
    "probability_svg",
    "target_histogram_svg",
]

ROW = 40  # pixels per bar row: a label line, then the bar
BAR = 12  # bar thickness in pixels
MAX_LABEL = 48  # characters of a label before it is cut with an ellipsis
MAX_CONTRIBUTIONS = 10


def format_number(value: float) -> str:
    """A number as people read it: thousands separators, no needless decimals.

    ``12345.678 -> "12,345.68"``, ``0.123456 -> "0.1235"``, ``40.0 -> "40"``.
    """
    number = float(value)
    if not math.isfinite(number):
        return "—"
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 100:
        return f"{number:,.2f}"
    if abs(number) >= 1e-4:
        return f"{number:.4g}"
    return f"{number:.3e}"


def format_percent(share: float) -> str:
    """A probability as a percentage that never rounds a real chance to 0% or 100%."""
    if 0 < share < 0.001:
        return "<0.1%"
    if 0.999 < share < 1:
        return ">99.9%"
    return f"{share:.1%}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick positions (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _svg(height: float, label: str, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart" width="100%" height="{h}" role="img" aria-label="{label}">'
        "<title>{label}</title>{body}</svg>"
    ).format(h=f"{height:g}", label=label, body=body)


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _row_text(y: float, label: str, value: str, *, value_class: str = "value") -> Markup:
    """The line above a bar: its label on the left, its number on the right."""
    return Markup(
        '<text class="label" x="0" y="{y}">{label}</text>'
        '<text class="{cls}" x="100%" y="{y}" text-anchor="end">{value}</text>'
    ).format(y=f"{y + 13:g}", label=_shorten(label), cls=value_class, value=value)


def _hbars(rows: Sequence[tuple[str, float, str, bool]], label: str, scale_max: float) -> Markup:
    """Horizontal bars: (label, value, value text, highlighted) per row, one row each."""
    parts = []
    for i, (name, value, text, highlight) in enumerate(rows):
        y = i * ROW
        share = 0.0 if scale_max <= 0 else min(1.0, max(0.0, value) / scale_max)
        parts.append(
            Markup(
                '<g class="{cls}">{text}'
                '<rect class="track" x="0" y="{by}" width="100%" height="{h}" rx="3"/>'
                '<rect class="bar{hi}" x="0" y="{by}" width="{bw}" height="{h}" rx="3"/></g>'
            ).format(
                cls="row row-hi" if highlight else "row",
                text=_row_text(y, name, text),
                by=f"{y + 19:g}",
                h=BAR,
                hi=" bar-hi" if highlight else "",
                bw=_pct(share * 100),
            )
        )
    return _svg(len(rows) * ROW, label, Markup("").join(parts))


def probability_svg(probabilities: Mapping[str, float], predicted: str) -> Markup:
    """One bar per class, most probable first, the predicted class highlighted."""
    ordered = sorted(probabilities.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [(str(c), p, format_percent(p), str(c) == str(predicted)) for c, p in ordered]
    return _hbars(rows, "Probability of each class", 1.0)


def class_distribution_svg(counts: Mapping[str, int], predicted: str) -> Markup:
    """How often each class occurred in training, the predicted class highlighted."""
    total = sum(counts.values()) or 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [
        (str(c), float(n), f"{n:,} ({n / total:.0%})", str(c) == str(predicted)) for c, n in ordered
    ]
    top = max((float(n) for n in counts.values()), default=1.0)
    return _hbars(rows, "Classes in the training data", top)


def target_histogram_svg(
    edges: Sequence[float], counts: Sequence[int], prediction: float, target: str
) -> Markup:
    """Histogram of the training target with a dashed line where the prediction falls.

    The axis widens to include a prediction outside the training range, so the marker is
    always drawn; the bin holding the prediction is highlighted.
    """
    height, top, bottom = 220.0, 30.0, 28.0
    low = min(float(edges[0]), prediction)
    high = max(float(edges[-1]), prediction)
    if high <= low:
        high = low + 1.0
    plot_h = height - top - bottom

    def x_of(value: float) -> float:
        """Percent of the width, with a 1% margin on each side."""
        return 1.0 + (value - low) / (high - low) * 98.0

    tallest = max(counts) or 1
    parts = []
    for i, count in enumerate(counts):
        x0, x1 = x_of(edges[i]), x_of(edges[i + 1])
        h = count / tallest * plot_h
        inside = edges[i] <= prediction <= edges[i + 1]
        parts.append(
            Markup(
                '<rect class="bar{hi}" x="{x}" y="{y}" width="{w}" height="{h}">'
                "<title>{a} – {b}: {n} rows</title></rect>"
            ).format(
                hi=" bar-hi" if inside else "",
                x=_pct(x0),
                y=f"{top + plot_h - h:.1f}",
                w=_pct(max((x1 - x0) * 0.9, 0.1)),
                h=f"{h:.1f}",
                a=format_number(edges[i]),
                b=format_number(edges[i + 1]),
                n=f"{count:,}",
            )
        )
    parts.append(_x_axis(low, high, x_of, top + plot_h))
    parts.append(_marker(x_of(prediction), top, top + plot_h, prediction))
    label = f"Distribution of {target} in the training data, with this prediction marked"
    return _svg(height, label, Markup("").join(parts))


def _x_axis(low: float, high: float, x_of: Callable[[float], float], y: float) -> Markup:
    parts = [
        Markup('<line class="axis" x1="{a}" x2="{b}" y1="{y}" y2="{y}"/>').format(
            a=_pct(x_of(low)), b=_pct(x_of(high)), y=f"{y:.1f}"
        )
    ]
    for tick in nice_ticks(low, high, count=4):
        parts.append(
            Markup(
                '<line class="tick" x1="{x}" x2="{x}" y1="{y}" y2="{y2}"/>'
                '<text class="tick-label" x="{x}" y="{ty}" text-anchor="middle">{t}</text>'
            ).format(
                x=_pct(x_of(tick)),
                y=f"{y:.1f}",
                y2=f"{y + 4:.1f}",
                ty=f"{y + 18:.1f}",
                t=format_number(tick),
            )
        )
    return Markup("").join(parts)


def _marker(x: float, top: float, bottom: float, prediction: float) -> Markup:
    """The dashed prediction line; its label sits on the side with more room."""
    anchor = "start" if x < 55 else "end"
    return Markup(
        '<line class="marker" x1="{x}" x2="{x}" y1="{y0}" y2="{y1}"/>'
        '<text class="marker-label" x="{x}" dx="{dx}" y="{ty}" text-anchor="{anchor}">'
        "This prediction: {value}</text>"
    ).format(
        x=_pct(x),
        dx=6 if anchor == "start" else -6,
        y0=f"{top - 8:.1f}",
        y1=f"{bottom:.1f}",
        ty=f"{top - 12:.1f}",
        anchor=anchor,
        value=format_number(prediction),
    )


def contribution_svg(
    explanation: Sequence[Mapping[str, Any]], *, unit: str = "", limit: int = MAX_CONTRIBUTIONS
) -> Markup:
    """Diverging bars: inputs that pushed the prediction up go right, down go left.

    ``explanation`` is the runtime's list of ``{"feature", "value", "contribution"}``
    sorted by size; only the ``limit`` largest are drawn. ``unit`` is ``"pp"`` when the
    contributions are probabilities (drawn as percentage points).
    """
    shown = list(explanation)[:limit]
    biggest = max((abs(float(c["contribution"])) for c in shown), default=0.0) or 1.0
    height = len(shown) * ROW
    parts = [Markup('<line class="axis" x1="50%" x2="50%" y1="16" y2="{h}"/>').format(h=height)]
    for i, item in enumerate(shown):
        value = float(item["contribution"])
        width = abs(value) / biggest * 50.0
        up = value >= 0
        y = i * ROW
        parts.append(
            Markup(
                '<g class="row">{text}<rect class="{cls}" x="{x}" y="{by}" width="{w}" '
                'height="{h}" rx="2"/></g>'
            ).format(
                text=_row_text(
                    y,
                    f"{item['feature']} = {_value_text(item.get('value'))}",
                    _signed(value, unit),
                    value_class="value up" if up else "value down",
                ),
                cls="bar-up" if up else "bar-down",
                x=_pct(50.0 if up else 50.0 - width),
                by=f"{y + 19:g}",
                w=_pct(max(width, 0.2)),
                h=BAR,
            )
        )
    label = "How much each input pushed this prediction up or down"
    return _svg(height, label, Markup("").join(parts))


def _signed(value: float, unit: str) -> str:
    """A contribution with its sign, short enough to sit beside its bar."""
    size = abs(value) * 100 if unit == "pp" else abs(value)
    if unit == "pp":
        text = f"{size:.1f} pp"
    elif size >= 100:
        text = f"{size:,.0f}"
    else:
        text = f"{size:.3g}"
    if text.rstrip(" p").strip("0.") == "":
        return text  # rounds to zero: no sign
    return ("+" if value >= 0 else "−") + text


def _value_text(value: object) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return format_number(value)
    return str(value)
