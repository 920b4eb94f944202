"""``render_report``: the training report as one self-contained HTML page.

The page is saved inside every artifact and opened from disk, often offline, months
later, so everything it needs travels in the one file: CSS inline, plots as inline SVG,
no scripts and no links off the page. Jinja2 autoescaping is on, so column names and
labels from the data always render as text.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import jinja2
import numpy as np

from tabship.report import _plots
from tabship.report._context import ReportContext
from tabship.report._format import format_number, format_range, format_value, metric_label
from tabship.report._tables import (
    column_rows,
    leaderboard_table,
    metric_cards,
    param_rows,
)

__all__ = ["render_report"]


def render_report(ctx: ReportContext) -> str:
    """Render the training report.

    Parameters
    ----------
    ctx : ReportContext
        Everything the report shows; see its docstring.

    Returns
    -------
    str
        A complete HTML document with no external resources and no JavaScript. The same
        context always gives the same text.
    """
    return _environment().get_template("report.html").render(**_page(ctx))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tabship.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(ctx: ReportContext) -> dict[str, Any]:
    with _plots.plot_style():
        holdout = _holdout_plots(ctx)
        target = _target_plot(ctx)
        importance = _importance(ctx)
    return {
        "title": ctx.title,
        "overview": _overview(ctx),
        "metric": metric_label(ctx.metric),
        "cards": metric_cards(ctx.holdout_metrics, ctx.metric),
        "n_holdout": f"{len(np.asarray(ctx.y_true)):,}",
        "leaderboard": leaderboard_table(ctx.leaderboard, ctx.metric, ctx.params.get("model")),
        "holdout_plots": holdout,
        "target_plot": target,
        "importance": importance,
        "columns": column_rows(ctx.schema),
        "derived": list(ctx.schema.derived),
        "params": param_rows(ctx.params),
        "warnings": [str(w) for w in ctx.warnings],
        "created": _readable_time(ctx.created),
        "version": ctx.tabship_version,
    }


def _overview(ctx: ReportContext) -> list[tuple[str, str]]:
    data = ctx.dataset
    best = ctx.params.get("model")
    if best is None and len(ctx.leaderboard) and "model" in ctx.leaderboard:
        best = ctx.leaderboard["model"].iloc[0]
    rows = [
        ("Data", format_value(data.get("source"))),
        (
            "Rows × columns",
            f"{format_value(data.get('n_rows'))} × {format_value(data.get('n_columns'))}",
        ),
        ("Rows dropped (missing target)", format_value(data.get("n_dropped_target_rows", 0))),
        ("Target", ctx.target),
        ("Task", ctx.task),
        ("Target values", _target_values(ctx)),
        ("Optimised metric", metric_label(ctx.metric)),
        ("Chosen model", format_value(best)),
        ("Trained", _readable_time(ctx.created)),
    ]
    return rows


def _readable_time(created: str) -> str:
    """``2025-01-02T03:04:05+00:00`` as ``2025-01-02 03:04 UTC``; other text unchanged."""
    try:
        moment = dt.datetime.fromisoformat(created)
    except (TypeError, ValueError):
        return str(created)
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").rstrip()


def _target_values(ctx: ReportContext) -> str:
    target = ctx.schema.target
    if target.classes:
        return (
            f"{len(target.classes)} classes: "
            + ", ".join(target.classes[:8])
            + (", …" if len(target.classes) > 8 else "")
        )
    if target.minimum is not None and target.maximum is not None:
        return format_range(target.minimum, target.maximum)
    return format_value(None)


def _holdout_plots(ctx: ReportContext) -> list[dict[str, Any]]:
    if not len(np.asarray(ctx.y_true)):
        return []
    if ctx.is_regression:
        n = len(np.asarray(ctx.y_true))
        note = (
            f"{_plots.MAX_POINTS:,} of {n:,} held-out rows shown."
            if n > _plots.MAX_POINTS
            else f"{n:,} held-out rows."
        )
        return [
            {
                "title": "Predicted vs actual",
                "svg": _plots.predicted_actual_plot(ctx.y_true, ctx.y_pred, ctx.target),
                "caption": f"Points on the dashed line are exact. {note}",
            },
            {
                "title": "Residuals",
                "svg": _plots.residual_plot(ctx.y_true, ctx.y_pred, ctx.target),
                "caption": "A pattern or funnel shape means errors depend on the prediction.",
            },
        ]
    labels, (true, pred) = _plots.class_labels(ctx.y_true, ctx.y_pred, order=_class_order(ctx))
    return [
        {
            "title": "Confusion matrix",
            "svg": _plots.confusion_plot(true, pred, labels),
            "caption": "Rows are the actual class, columns the predicted one; "
            "colour is the share of the row.",
        }
    ]


def _target_plot(ctx: ReportContext) -> dict[str, Any] | None:
    if not len(np.asarray(ctx.y_train)):
        return None
    if ctx.is_regression:
        svg = _plots.target_histogram(ctx.y_train, ctx.target)
        return {"title": f"Distribution of {ctx.target}", "svg": svg, "caption": ""}
    labels, (train,) = _plots.class_labels(ctx.y_train, order=_class_order(ctx))
    counts = [train.count(label) for label in labels]
    svg = _plots.class_counts_plot(labels, counts, ctx.target)
    return {"title": f"Classes of {ctx.target}", "svg": svg, "caption": ""}


def _class_order(ctx: ReportContext) -> list[Any]:
    return list(ctx.holdout_metrics.get("labels") or ctx.schema.target.classes or [])


def _importance(ctx: ReportContext) -> dict[str, Any] | None:
    frame = ctx.importance
    if frame is None or not len(frame):
        return None
    ordered = frame.sort_values("importance", ascending=False, kind="stable")
    has_std = "std" in ordered
    rows = [
        (
            str(row["feature"]),
            format_number(row["importance"]),
            format_number(row["std"]) if has_std else "",
        )
        for _, row in ordered.iterrows()
    ]
    shown = min(len(ordered), _plots.MAX_FEATURES)
    return {
        "svg": _plots.importance_plot(ordered),
        "rows": rows,
        "has_std": has_std,
        "caption": (f"Top {shown} of {len(ordered)} columns." if len(ordered) > shown else ""),
    }
