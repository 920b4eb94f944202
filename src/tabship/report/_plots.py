"""The report's plots, drawn with matplotlib and returned as inline SVG markup.

matplotlib is imported here, lazily, and only through ``matplotlib.figure.Figure``: no
pyplot, so rendering a report neither switches the caller's backend (a notebook keeps its
own) nor leaves figures open. SVG stays small (scatters are subsampled and rasterized,
text stays text) and deterministic (a fixed ``svg.hashsalt``, no date), so that two
reports of the same model are byte-identical.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from tabship.data import canonical_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = [
    "MAX_POINTS",
    "class_counts_plot",
    "confusion_plot",
    "importance_plot",
    "plot_style",
    "predicted_actual_plot",
    "preload_plotting",
    "residual_plot",
    "target_histogram",
]

MAX_POINTS = 2000
MAX_FEATURES = 20
_RASTERIZE_ABOVE = 400
_MAX_LABEL = 28
BLUE = "#3467a8"
RED = "#c8414b"
GRID = "#e3e6ea"

_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "tabship-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.edgecolor": "#9aa1a9",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": "#4a5058",
    "ytick.color": "#4a5058",
    "text.color": "#22262b",
    "axes.labelcolor": "#22262b",
}


def preload_plotting() -> None:
    """Import the plotting stack the report draws with, now (0.3 s idle, up to a second
    on a busy machine): ``train`` calls this before it shares out its time budget, so
    that the report after the search costs only its drawing."""
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.ticker  # noqa: F401


@contextmanager
def plot_style() -> Iterator[None]:
    """The report's look, applied only while its figures are drawn."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def predicted_actual_plot(y_true: np.ndarray, y_pred: np.ndarray, target: str) -> Markup:
    true, pred = _sample(*_finite_pairs(y_true, y_pred))
    fig, ax = _figure(3.8, 3.6)
    _scatter(ax, true, pred)
    lo, hi = _limits(np.concatenate([true, pred]))
    ax.plot([lo, hi], [lo, hi], color=RED, linewidth=1, linestyle="--", label="perfect")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel=f"actual {_short(target)}", ylabel="predicted")
    ax.set_aspect("equal", adjustable="box")
    _compact_ticks(ax, "x", "y")
    ax.legend(loc="upper left", frameon=False)
    return _svg(fig, "pred-actual")


def residual_plot(y_true: np.ndarray, y_pred: np.ndarray, target: str) -> Markup:
    true, pred = _sample(*_finite_pairs(y_true, y_pred))
    fig, ax = _figure(3.8, 3.6)
    _scatter(ax, pred, true - pred)
    ax.axhline(0, color=RED, linewidth=1, linestyle="--")
    ax.set(xlabel=f"predicted {_short(target)}", ylabel="actual − predicted")
    _compact_ticks(ax, "x", "y")
    return _svg(fig, "residuals")


def confusion_plot(y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[str]) -> Markup:
    """Counts in the cells, colour by share of the true class (the row), so recall shows."""
    counts = confusion_counts(y_true, y_pred, labels)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(labels)
    side = min(max(3.2, 0.42 * n + 1.6), 11.0)
    fig, ax = _figure(side + 0.6, side)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="equal")
    ax.grid(False)
    ticks = np.arange(n)
    short = [_short(label) for label in labels]
    ax.set_xticks(ticks, short, rotation=45 if n > 4 else 0, ha="right" if n > 4 else "center")
    ax.set_yticks(ticks, short)
    ax.set(xlabel="predicted", ylabel="actual")
    if n <= 25:
        for (i, j), count in np.ndenumerate(counts):
            color = "white" if shares[i, j] > 0.55 else "#22262b"
            ax.text(j, i, f"{count:,}", ha="center", va="center", color=color, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of actual class")
    return _svg(fig, "confusion")


def confusion_counts(
    y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[str]
) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for true, pred in zip(y_true, y_pred, strict=True):
        counts[index[true], index[pred]] += 1
    return counts


def target_histogram(y: np.ndarray, target: str) -> Markup:
    values = pd.to_numeric(pd.Series(np.asarray(y).ravel()), errors="coerce").dropna()
    fig, ax = _figure(4.2, 2.8)
    bins = min(50, max(10, int(np.sqrt(len(values))))) if len(values) else 10
    ax.hist(values.to_numpy(dtype=float), bins=bins, color=BLUE, alpha=0.85, edgecolor="white")
    ax.set(xlabel=_short(target), ylabel="training rows")
    _compact_ticks(ax, "x")
    return _svg(fig, "target")


def class_counts_plot(labels: Sequence[str], counts: Sequence[int], target: str) -> Markup:
    n = len(labels)
    fig, ax = _figure(4.2, min(max(1.8, 0.3 * n + 0.9), 9.0))
    positions = np.arange(n)[::-1]
    ax.barh(positions, counts, color=BLUE, alpha=0.85)
    ax.set_yticks(positions, [_short(label) for label in labels])
    ax.grid(axis="y", visible=False)
    ax.set(xlabel="training rows", ylabel=_short(target))
    return _svg(fig, "classes")


def importance_plot(importance: pd.DataFrame) -> Markup:
    """Largest at the top; whiskers are the spread over permutation repeats."""
    top = importance.sort_values("importance", ascending=False).head(MAX_FEATURES)
    n = len(top)
    fig, ax = _figure(6.4, max(1.6, 0.3 * n + 0.9))
    positions = np.arange(n)[::-1]
    std = top["std"].to_numpy(dtype=float) if "std" in top else None
    ax.barh(
        positions,
        top["importance"].to_numpy(dtype=float),
        xerr=std,
        color=BLUE,
        alpha=0.85,
        error_kw={"ecolor": "#6b7280", "elinewidth": 0.8, "capsize": 2},
    )
    ax.set_yticks(positions, [_short(str(name)) for name in top["feature"]])
    ax.axvline(0, color="#9aa1a9", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("drop in holdout score when the column is shuffled")
    return _svg(fig, "importance")


def class_labels(*arrays: Any, order: Sequence[Any] = ()) -> tuple[list[str], list[list[str]]]:
    """Canonical text labels: the given order first, then any other label seen, sorted."""
    texts = [[canonical_text(v) for v in np.asarray(a, dtype=object).ravel()] for a in arrays]
    labels = list(dict.fromkeys(canonical_text(v) for v in order))
    seen = {t for values in texts for t in values}
    labels += sorted(seen.difference(labels))
    return labels, texts


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _compact_ticks(ax: Axes, *axes: str) -> None:
    """At most six ticks, large values as 20k / 1.5M, so labels never run into each other."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for name in axes:
        axis = ax.xaxis if name == "x" else ax.yaxis
        axis.set_major_locator(MaxNLocator(nbins=5))
        axis.set_major_formatter(FuncFormatter(_compact_number))


def _compact_number(value: float, _position: object = None) -> str:
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:g}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _scatter(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    ax.scatter(
        x,
        y,
        s=10,
        color=BLUE,
        alpha=0.45,
        linewidths=0,
        rasterized=len(x) > _RASTERIZE_ABOVE,
    )


def _finite_pairs(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true = pd.to_numeric(pd.Series(np.asarray(y_true).ravel()), errors="coerce")
    pred = pd.to_numeric(pd.Series(np.asarray(y_pred).ravel()), errors="coerce")
    keep = np.isfinite(true.to_numpy(dtype=float)) & np.isfinite(pred.to_numpy(dtype=float))
    return true.to_numpy(dtype=float)[keep], pred.to_numpy(dtype=float)[keep]


def _sample(true: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_POINTS pairs, the same ones every time (the report must be reproducible)."""
    if len(true) <= MAX_POINTS:
        return true, pred
    keep = np.sort(np.random.default_rng(0).choice(len(true), MAX_POINTS, replace=False))
    return true[keep], pred[keep]


def _limits(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return 0.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.04 or 1.0
    return lo - pad, hi + pad


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _svg(fig: Figure, name: str) -> Markup:
    """The figure as ``<svg>`` markup fit for inlining in HTML.

    Inline SVG in HTML needs no XML prolog, DOCTYPE or namespace declarations (the HTML
    parser supplies them), and dropping them keeps the page free of ``http://`` text.
    Ids get a per-plot prefix, since matplotlib numbers them from 1 in every figure and
    several figures share one page.
    """
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, dpi=144)
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text, count=1)
    text = _NAMESPACES.sub("", text)
    text = _IDS.sub(lambda m: f"{m[1]}{name}-{m[2]}", text)
    text = text.replace("<svg ", f'<svg role="img" class="plot-{name}" ', 1)
    # Safe: matplotlib writes every piece of text from the data XML-escaped.
    return Markup(text.strip())
