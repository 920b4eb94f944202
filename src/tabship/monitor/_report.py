"""The monitor report: ``/monitor.json``, ``tabship monitor --json`` and the monitor page.

One document says, for one model and one window of its log (the last ``since`` of time,
or the last N records): how many records came, their volume and latency per hour, the
drift of each feature and of the prediction, and the live metrics of the records whose
true outcome came back, next to the holdout figures. Every number is read with a few
aggregate queries, so the report costs about the same over a thousand records or a
million.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NotRequired, TypedDict

from tabship.data import DriftReferences
from tabship.errors import OptionError
from tabship.monitor._drift import (
    FeatureDrift,
    PredictionDrift,
    Status,
    Thresholds,
    feature_drift,
    prediction_drift,
    worst_status,
)
from tabship.monitor._live import regression_feedback
from tabship.monitor._metrics import DailyMetrics, daily_metrics, live_metrics
from tabship.monitor._queries import since_time, utc_now
from tabship.monitor._reference import counts_of_rows
from tabship.monitor._tables import PREDICTION

if TYPE_CHECKING:
    from tabship.monitor._log import PredictionLog
    from tabship.monitor._queries import HourRow, LoggedRow

__all__ = [
    "EXIT_CODES",
    "FeedbackSection",
    "HourVolume",
    "MonitorReport",
    "ThresholdSection",
    "build_report",
    "parse_duration",
    "report_status",
]

# `tabship monitor`'s exit status per overall status, for cron and CI.
EXIT_CODES: dict[Status, int] = {"ok": 0, "warn": 1, "alert": 2}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class FeedbackSection(TypedDict):
    """Live metrics on the records with feedback, overall and per day, and the holdout."""

    records: int
    metrics: dict[str, float]
    holdout: dict[str, float]
    daily: list[DailyMetrics]


class HourVolume(TypedDict):
    hour: str  # ISO, UTC
    records: int
    latency_ms_mean: float
    latency_ms_max: float


class ThresholdSection(TypedDict):
    warn: float
    alert: float


class MonitorReport(TypedDict):
    """``/monitor.json``: the keys of the issue's shape first, then the extras."""

    model: str
    records: int
    since: str | None  # ISO start of the window (None: an empty log)
    features: dict[str, FeatureDrift]
    prediction: PredictionDrift | None
    feedback: FeedbackSection
    volume: list[HourVolume]
    thresholds: ThresholdSection
    status: Status
    window: str  # "7 days", "last 500 records", "everything"
    generated: str  # ISO time the report was made
    approximate: bool  # references derived from a version 1 artifact
    task: NotRequired[str]


def build_report(
    log: PredictionLog,
    *,
    model: str,
    references: DriftReferences,
    holdout_metrics: Mapping[str, float] | None = None,
    task: str = "regression",
    classes: Sequence[str] | None = None,
    since: timedelta | None = None,
    last: int | None = None,
    warn: float = 0.1,
    alert: float = 0.25,
) -> MonitorReport:
    """The report of ``model``'s records in the log over ``since`` (a duration back from
    now) or the ``last`` N records (one of them; neither: the whole log).

    Raises ValueError for thresholds that are not ``0 <= warn <= alert``, both windows at
    once, or a window that is not positive.
    """
    thresholds = Thresholds(warn, alert)
    _check_window(since, last)
    if last is not None:
        rows = log.recent_rows(model, last)
        live = counts_of_rows(references, rows)
        start = rows[0].ts if rows else None
        hours = _hours_of_rows(log, model, rows)
        records = len(rows)
    else:
        live = log.window_counts(model, since)
        hours = log.hours(model, since)
        records = sum(h.records for h in hours)
        start = since_time(since) if since is not None else (hours[0].hour if hours else None)
    features = _features(references, live, thresholds, records)
    prediction = _prediction(references, live, thresholds)
    statuses = [f["status"] for f in features.values()]
    statuses += [prediction["status"]] if prediction else []
    return {
        "model": model,
        "records": records,
        "since": start.isoformat(timespec="seconds") if start else None,
        "features": features,
        "prediction": prediction,
        "feedback": _feedback(log, model, task, classes, holdout_metrics, since, start, last),
        "volume": [_volume(h) for h in hours],
        "thresholds": {"warn": thresholds.warn, "alert": thresholds.alert},
        "status": worst_status(statuses),
        "window": _window_text(since, last),
        "generated": utc_now().isoformat(timespec="seconds"),
        "approximate": bool(references.get("approximate", False)),
        "task": task,
    }


def parse_duration(text: str, option: str = "--since") -> timedelta:
    """A positive duration written as a number and a unit: ``90s``, ``30m``, ``12h``,
    ``7d``, ``2w``. Raises OptionError (naming ``option``) for anything else."""
    match = _DURATION.match(text)
    seconds = float(match[1]) * _UNIT_SECONDS[match[2].lower()] if match else 0.0
    if seconds <= 0:
        raise OptionError(option, "a positive duration such as 90s, 30m, 12h, 7d or 2w", text)
    return timedelta(seconds=seconds)


def report_status(report: MonitorReport) -> Status:
    """The most severe status of any feature or the prediction."""
    return report["status"]


def _check_window(since: timedelta | None, last: int | None) -> None:
    if since is not None and last is not None:
        raise ValueError("give a time window (since) or a number of records (last), not both")
    if since is not None and since <= timedelta(0):
        raise ValueError(f"the time window must be positive, got {since}")
    if last is not None and last <= 0:
        raise ValueError(f"the number of records must be positive, got {last}")


def _features(
    references: DriftReferences,
    live: Mapping[str, Mapping[int, int]],
    thresholds: Thresholds,
    records: int,
) -> dict[str, FeatureDrift]:
    """Drift per feature, most drifted first. With records in the window, a feature the
    log holds no count of (excluded from the log) is left out."""
    found = {
        name: feature_drift(ref, live.get(name, {}), thresholds)
        for name, ref in references["features"].items()
        if name in live or records == 0
    }
    return dict(sorted(found.items(), key=lambda item: (-item[1]["psi"], item[0])))


def _prediction(
    references: DriftReferences, live: Mapping[str, Mapping[int, int]], thresholds: Thresholds
) -> PredictionDrift | None:
    ref = references.get("prediction")
    if ref is None:
        return None
    approximate = bool(references.get("approximate", False))
    return prediction_drift(ref, live.get(PREDICTION, {}), thresholds, approximate=approximate)


def _feedback(
    log: PredictionLog,
    model: str,
    task: str,
    classes: Sequence[str] | None,
    holdout: Mapping[str, float] | None,
    since: timedelta | None,
    start: datetime | None,
    last: int | None,
) -> FeedbackSection:
    """Live metrics of the window's records that have feedback (a window of the last N
    records counts feedback on records from the oldest of them on). Regression sums its
    errors in the database; classification reads the pairs."""
    window = start if last is not None else since
    if task == "regression":
        summed = regression_feedback(log, model, window)
        return {
            "records": summed.records,
            "metrics": summed.metrics,
            "holdout": dict(holdout or {}),
            "daily": summed.daily,
        }
    pairs = log.feedback_pairs(model, window)
    args = (task, pairs.predictions, pairs.actuals)
    return {
        "records": len(pairs.predictions),
        "metrics": live_metrics(*args, pairs.probabilities, classes),
        "holdout": dict(holdout or {}),
        "daily": daily_metrics(*args, pairs.timestamps, pairs.probabilities, classes),
    }


def _hours_of_rows(log: PredictionLog, model: str, rows: Sequence[LoggedRow]) -> list[HourRow]:
    """The hourly volume over the span of ``rows`` (whole hours, from the aggregates)."""
    return log.hours(model, rows[0].ts) if rows else []


def _volume(hour: HourRow) -> HourVolume:
    return {
        "hour": hour.hour.isoformat(),
        "records": hour.records,
        "latency_ms_mean": round(hour.latency_ms_mean, 3),
        "latency_ms_max": round(float(hour.latency_ms_max), 3),
    }


def _window_text(since: timedelta | None, last: int | None) -> str:
    if last is not None:
        return f"last {last} records"
    if since is None:
        return "everything"
    return _duration_text(since)


def _duration_text(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"
