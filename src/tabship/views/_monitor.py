"""The monitor page: a report of the prediction log as one self-contained HTML page.

``GET /monitor`` serves it and ``tabship monitor --html`` writes it, so it carries its
stylesheet inline and links nothing outside itself: it opens from a file, offline, with
JavaScript off. Its charts are server-side SVG in the result page's style (see
``_plots.py``): record volume and latency per hour, the training and live distribution
of each feature and of the prediction side by side, and the live metrics per day next
to their holdout figure. Text from the data (feature names, categories) is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tabship.views._plots import _pct, _shorten, _svg, format_number, nice_ticks

if TYPE_CHECKING:
    from jinja2 import Template

    from tabship.monitor import BinShare, MonitorReport

__all__ = [
    "MAX_BINS_SHOWN",
    "bins_svg",
    "metric_trend_svg",
    "render_monitor_page",
    "volume_svg",
]

# The serve pages' templates and stylesheet (files only: views never imports serve).
_SERVE = Path(__file__).resolve().parent.parent / "serve"
TEMPLATES = _SERVE / "templates"
STYLESHEET = _SERVE / "static" / "tabship.css"

MAX_BINS_SHOWN = 12  # bins drawn per feature; the rest are summed into one "other" row
PAIR_ROW = 38  # pixels per bin: a label line, a training bar and a live bar
CHART_H = 150.0  # height of the time charts
STATUS_TEXT = {"ok": "OK", "warn": "Warning", "alert": "Alert"}


def render_monitor_page(
    report: MonitorReport, *, title: str | None = None, root: str | None = None
) -> str:
    """The report as a complete HTML page (stylesheet inline, nothing loaded from
    elsewhere).

    ``title`` names the model (default: its hash). ``root`` is the server's path prefix
    ("" at the top) when the page is served: it links back to the form and the JSON
    document; None (a file) links nowhere.
    """
    features = [
        {"name": name, **drift, "chart": bins_svg(drift["bins"], f"{name}: training and live")}
        for name, drift in report["features"].items()
    ]
    prediction = report["prediction"]
    feedback = report["feedback"]
    return _template().render(
        report=report,
        title=title or f"model {report['model'][:12]}",
        root=root,
        css=Markup(_stylesheet()),
        status_text=STATUS_TEXT,
        features=features,
        prediction_chart=(
            bins_svg(prediction["bins"], "Predictions: training and live") if prediction else None
        ),
        volume_chart=volume_svg(report["volume"]) if report["volume"] else None,
        latency_chart=latency_svg(report["volume"]) if report["volume"] else None,
        metrics=_metric_rows(feedback["metrics"], feedback["holdout"]),
        trends=[
            (name, metric_trend_svg(name, feedback["daily"], feedback["holdout"].get(name)))
            for name in feedback["metrics"]
        ]
        if len(feedback["daily"]) > 0
        else [],
        format_number=format_number,
    )


def bins_svg(bins: Sequence[BinShare], label: str) -> Markup:
    """Per bin, its label and two bars: the training share (grey) over the live one."""
    shown = _shown_bins(bins)
    top = max((max(b["training"], b["live"]) for b in shown), default=0.0) or 1.0
    parts = []
    for i, share in enumerate(shown):
        y = i * PAIR_ROW
        parts.append(
            Markup(
                '<g class="row"><text class="label" x="0" y="{ty}">{name}</text>'
                '<text class="value" x="100%" y="{ty}" text-anchor="end">{a} → {b}</text>'
                '<rect class="bar" x="0" y="{y1}" width="{w1}" height="7" rx="2">'
                "<title>training {a}</title></rect>"
                '<rect class="bar-hi" x="0" y="{y2}" width="{w2}" height="7" rx="2">'
                "<title>live {b}</title></rect></g>"
            ).format(
                ty=f"{y + 13:g}",
                name=_shorten(share["label"]),
                a=f"{share['training']:.1%}",
                b=f"{share['live']:.1%}",
                y1=f"{y + 18:g}",
                y2=f"{y + 27:g}",
                w1=_pct(max(share["training"] / top * 100, 0.3)),
                w2=_pct(max(share["live"] / top * 100, 0.3)),
            )
        )
    return _svg(len(shown) * PAIR_ROW, label, Markup("").join(parts))


def volume_svg(volume: Sequence[Mapping[str, Any]]) -> Markup:
    """Records per hour, one bar per logged hour."""
    counts = [float(v["records"]) for v in volume]
    top = max(counts, default=0.0) or 1.0
    width = 98.0 / max(len(volume), 1)
    grid, labels = _y_axis(top, "records")
    parts = [grid]
    for i, (hour, n) in enumerate(zip(volume, counts, strict=True)):
        h = n / top * (CHART_H - 40)
        parts.append(
            Markup(
                '<rect class="bar-hi" x="{x}" y="{y}" width="{w}" height="{h}">'
                "<title>{hour}: {n} records</title></rect>"
            ).format(
                x=_pct(1 + i * width),
                y=f"{CHART_H - 20 - h:.1f}",
                w=_pct(max(width * 0.85, 0.15)),
                h=f"{h:.1f}",
                hour=_hour_text(str(hour["hour"])),
                n=f"{int(n):,}",
            )
        )
    parts.append(labels)
    parts.append(_time_labels([str(v["hour"]) for v in volume], _hour_text))
    return _svg(CHART_H, "Records logged per hour", Markup("").join(parts))


def latency_svg(volume: Sequence[Mapping[str, Any]]) -> Markup:
    """Mean (solid) and worst (dashed) latency per hour, in milliseconds."""
    means = [float(v["latency_ms_mean"]) for v in volume]
    worst = [float(v["latency_ms_max"]) for v in volume]
    top = max(worst + means, default=0.0) or 1.0
    grid, labels = _y_axis(top, "ms")
    parts = [grid]
    parts.append(_polyline(means, top, "line", "mean latency (ms)"))
    parts.append(_polyline(worst, top, "line line-dashed", "worst latency (ms)"))
    parts.append(labels)
    parts.append(_time_labels([str(v["hour"]) for v in volume], _hour_text))
    return _svg(CHART_H, "Latency per hour: mean and worst", Markup("").join(parts))


def metric_trend_svg(
    name: str, daily: Sequence[Mapping[str, Any]], holdout: float | None
) -> Markup:
    """One live metric per day (points joined by a line), the holdout figure dashed."""
    values = [float(d["metrics"][name]) if name in d["metrics"] else None for d in daily]
    present = [v for v in values if v is not None]
    reference = [holdout] if holdout is not None else []
    low = min(present + reference + [0.0])
    high = max(present + reference, default=1.0)
    if high <= low:
        high = low + 1.0
    grid, labels = _y_axis(high, name, low)
    parts = [grid, _polyline(values, high, "line", name, low), labels]
    if holdout is not None:
        y = _y_of(holdout, high, low)
        parts.append(
            Markup(
                '<line class="marker" x1="1%" x2="99%" y1="{y}" y2="{y}"/>'
                '<text class="marker-label" x="99%" y="{ty}" text-anchor="end">'
                "holdout {v}</text>"
            ).format(y=f"{y:.1f}", ty=f"{y - 4:.1f}", v=format_number(holdout))
        )
    parts.append(_time_labels([str(d["day"]) for d in daily], str))
    return _svg(CHART_H, f"Live {name} per day", Markup("").join(parts))


def _shown_bins(bins: Sequence[BinShare]) -> list[BinShare]:
    """The bins in order, or the largest ones and an "other" row summing the rest."""
    if len(bins) <= MAX_BINS_SHOWN:
        return list(bins)
    ranked = sorted(range(len(bins)), key=lambda i: -max(bins[i]["training"], bins[i]["live"]))
    keep = sorted(ranked[: MAX_BINS_SHOWN - 1])
    rest = [bins[i] for i in ranked[MAX_BINS_SHOWN - 1 :]]
    other: BinShare = {
        "label": f"{len(rest)} more",
        "training": sum(b["training"] for b in rest),
        "live": sum(b["live"] for b in rest),
    }
    return [bins[i] for i in keep] + [other]


def _y_of(value: float, top: float, low: float = 0.0) -> float:
    return CHART_H - 20 - (value - low) / (top - low) * (CHART_H - 40)


def _x_of(i: int, n: int) -> float:
    return 1 + (i + 0.5) * 98.0 / max(n, 1)


def _polyline(
    values: Sequence[float | None], top: float, cls: str, label: str, low: float = 0.0
) -> Markup:
    """Points at each value joined by segments (x in percent, so no ``points`` list)."""
    n = len(values)
    parts = []
    previous: tuple[float, float] | None = None
    for i, value in enumerate(values):
        if value is None:
            previous = None
            continue
        x, y = _x_of(i, n), _y_of(value, top, low)
        if previous is not None:
            parts.append(
                Markup('<line class="{c}" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}"/>').format(
                    c=cls, x0=_pct(previous[0]), y0=f"{previous[1]:.1f}", x1=_pct(x), y1=f"{y:.1f}"
                )
            )
        parts.append(
            Markup(
                '<circle class="dot" cx="{x}" cy="{y}" r="2.5"><title>{t}</title></circle>'
            ).format(x=_pct(x), y=f"{y:.1f}", t=f"{label}: {format_number(value)}")
        )
        previous = (x, y)
    return Markup("").join(parts)


def _y_axis(top: float, unit: str, low: float = 0.0) -> tuple[Markup, Markup]:
    """Faint gridlines at round values, and their labels at the left (drawn over the
    data, so a bar never hides them)."""
    lines, labels = [], []
    for tick in nice_ticks(low, top, count=3):
        y = _y_of(tick, top, low)
        lines.append(
            Markup('<line class="grid" x1="0" x2="100%" y1="{y}" y2="{y}"/>').format(y=f"{y:.1f}")
        )
        labels.append(
            Markup('<text class="tick-label" x="0" y="{y}">{t}</text>').format(
                y=f"{y - 3:.1f}", t=f"{format_number(tick)} {unit}"
            )
        )
    return Markup("").join(lines), Markup("").join(labels)


def _time_labels(stamps: Sequence[str], show: Any) -> Markup:
    """The first and last time under the chart."""
    if not stamps:
        return Markup("")
    first = Markup('<text class="tick-label" x="1%" y="{y}">{t}</text>').format(
        y=f"{CHART_H - 4:g}", t=show(stamps[0])
    )
    if len(stamps) == 1:
        return first
    last = Markup('<text class="tick-label" x="99%" y="{y}" text-anchor="end">{t}</text>').format(
        y=f"{CHART_H - 4:g}", t=show(stamps[-1])
    )
    return first + last


def _hour_text(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:00 UTC")
    except ValueError:
        return iso


def _metric_rows(live: Mapping[str, float], holdout: Mapping[str, float]) -> list[dict[str, Any]]:
    names = list(live) + [n for n in holdout if n not in live]
    return [{"name": n, "live": live.get(n), "holdout": holdout.get(n)} for n in names]


@cache
def _template() -> Template:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    return environment.get_template("monitor.html")


@cache
def _stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")
