"""Small inline SVG charts for the result page, drawn by hand.

The serving image must stay light and the page must work offline and with JavaScript
off, so the charts are plain SVG strings built here, not matplotlib figures or a
JavaScript plotting library from a CDN. Every piece of text that comes from the data
(class names, field names, values) goes through ``Markup.format``, which HTML-escapes
it: a category named ``<script>`` is drawn as text.

Each chart scales to its container (``viewBox`` plus ``width="100%"``), carries a
``<title>`` and an ``aria-label`` for screen readers, and takes its colours from CSS
classes (``bar``, ``bar-hi``, ``bar-up``, ``bar-down``, ``marker``) styled in
``static/tabship.css``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

__all__ = [
    "class_distribution_svg",
    "contribution_svg",
    "format_number",
    "nice_ticks",
    "probability_svg",
    "target_histogram_svg",
]

WIDTH = 640
ROW = 28  # height of one horizontal bar row
CHAR = 7.0  # rough width of one character of 12px text, for laying out labels
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
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-label="{label}" preserveAspectRatio="xMinYMin meet">'
        "<title>{label}</title>{body}</svg>"
    ).format(w=WIDTH, h=f"{height:g}", label=label, body=body)


def _label_width(labels: Sequence[str], cap: float = 220) -> float:
    longest = max((len(text) for text in labels), default=4)
    return min(cap, max(60.0, longest * CHAR + 16))


def _shorten(text: str, width: float) -> str:
    room = max(4, int(width / CHAR))
    return text if len(text) <= room else text[: room - 1] + "…"


def _hbars(rows: Sequence[tuple[str, float, str, bool]], label: str, scale_max: float) -> Markup:
    """Horizontal bars: (label, value, value text, highlighted) per row, one row each."""
    left = _label_width([r[0] for r in rows])
    right = 84.0
    span = WIDTH - left - right
    parts = []
    for i, (name, value, text, highlight) in enumerate(rows):
        y = i * ROW + 4
        width = 0.0 if scale_max <= 0 else max(0.0, value) / scale_max * span
        parts.append(
            Markup(
                '<g class="{cls}"><text class="label" x="{lx}" y="{ty}" text-anchor="end">'
                "{name}</text>"
                '<rect class="track" x="{x}" y="{y}" width="{span}" height="{h}" rx="3"/>'
                '<rect class="bar{hi}" x="{x}" y="{y}" width="{bw}" height="{h}" rx="3"/>'
                '<text class="value" x="{vx}" y="{ty}">{text}</text></g>'
            ).format(
                cls="row row-hi" if highlight else "row",
                lx=f"{left - 8:g}",
                ty=f"{y + 14:g}",
                name=_shorten(name, left - 8),
                x=f"{left:g}",
                y=f"{y:g}",
                span=f"{span:g}",
                h=ROW - 8,
                hi=" bar-hi" if highlight else "",
                bw=f"{width:.1f}",
                vx=f"{left + span + 8:g}",
                text=text,
            )
        )
    return _svg(len(rows) * ROW + 4, label, Markup("").join(parts))


def probability_svg(probabilities: Mapping[str, float], predicted: str) -> Markup:
    """One bar per class, most probable first, the predicted class highlighted."""
    ordered = sorted(probabilities.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [(str(c), p, f"{p:.1%}", str(c) == str(predicted)) for c, p in ordered]
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
    height, top, bottom, pad = 220.0, 30.0, 28.0, 16.0
    low = min(float(edges[0]), prediction)
    high = max(float(edges[-1]), prediction)
    if high <= low:
        high = low + 1.0
    span = WIDTH - 2 * pad
    plot_h = height - top - bottom

    def x_of(value: float) -> float:
        return pad + (value - low) / (high - low) * span

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
                x=f"{x0 + 0.5:.1f}",
                y=f"{top + plot_h - h:.1f}",
                w=f"{max(x1 - x0 - 1, 0.5):.1f}",
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


def _x_axis(low: float, high: float, x_of: Any, y: float) -> Markup:
    parts = [
        Markup('<line class="axis" x1="{a}" x2="{b}" y1="{y}" y2="{y}"/>').format(
            a=f"{x_of(low):.1f}", b=f"{x_of(high):.1f}", y=f"{y:.1f}"
        )
    ]
    for tick in nice_ticks(low, high):
        parts.append(
            Markup(
                '<line class="tick" x1="{x}" x2="{x}" y1="{y}" y2="{y2}"/>'
                '<text class="tick-label" x="{x}" y="{ty}" text-anchor="middle">{t}</text>'
            ).format(
                x=f"{x_of(tick):.1f}",
                y=f"{y:.1f}",
                y2=f"{y + 4:.1f}",
                ty=f"{y + 18:.1f}",
                t=format_number(tick),
            )
        )
    return Markup("").join(parts)


def _marker(x: float, top: float, bottom: float, prediction: float) -> Markup:
    anchor = "start" if x < WIDTH * 0.7 else "end"
    shift = 6 if anchor == "start" else -6
    return Markup(
        '<line class="marker" x1="{x}" x2="{x}" y1="{y0}" y2="{y1}"/>'
        '<text class="marker-label" x="{tx}" y="{ty}" text-anchor="{anchor}">'
        "This prediction: {value}</text>"
    ).format(
        x=f"{x:.1f}",
        y0=f"{top - 8:.1f}",
        y1=f"{bottom:.1f}",
        tx=f"{x + shift:.1f}",
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
    labels = [f"{c['feature']} = {_value_text(c.get('value'))}" for c in shown]
    left = _label_width(labels, cap=250)
    value_room = 84.0
    span = WIDTH - left - 2 * value_room
    centre = left + value_room + span / 2
    biggest = max((abs(float(c["contribution"])) for c in shown), default=0.0) or 1.0
    parts = [
        Markup('<line class="axis" x1="{x}" x2="{x}" y1="0" y2="{h}"/>').format(
            x=f"{centre:.1f}", h=len(shown) * ROW + 4
        )
    ]
    for i, (item, text) in enumerate(zip(shown, labels, strict=True)):
        value = float(item["contribution"])
        width = abs(value) / biggest * (span / 2)
        up = value >= 0
        y = i * ROW + 4
        parts.append(
            Markup(
                '<g class="row"><text class="label" x="{lx}" y="{ty}" text-anchor="end">'
                "{name}</text>"
                '<rect class="{cls}" x="{x}" y="{y}" width="{w}" height="{h}" rx="2"/>'
                '<text class="value" x="{vx}" y="{ty}" text-anchor="{anchor}">{v}</text></g>'
            ).format(
                lx=f"{left - 8:g}",
                ty=f"{y + 14:g}",
                name=_shorten(text, left - 8),
                cls="bar-up" if up else "bar-down",
                x=f"{centre if up else centre - width:.1f}",
                y=f"{y:g}",
                w=f"{max(width, 1):.1f}",
                h=ROW - 8,
                vx=f"{centre + width + 6 if up else centre - width - 6:.1f}",
                anchor="start" if up else "end",
                v=_signed(value, unit),
            )
        )
    label = "How much each input pushed this prediction up or down"
    return _svg(len(shown) * ROW + 8, label, Markup("").join(parts))


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


def _value_text(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return format_number(value)
    return str(value)
