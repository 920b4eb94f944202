"""What the monitor reads back from the log, each in one SQL statement.

Windows by time use the indexes (model, ts) and (model, feedback_ts); drift over a time
window sums the hourly ``tabship_counts`` instead of reading records, so its cost does not
grow with the log. ``since`` is an aware datetime, a duration back from now, or None for
everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeAlias

from sqlalchemy import Engine, Select, func, select

from tabship.monitor._tables import counts, hours, predictions

__all__ = [
    "FeedbackPairs",
    "HourRow",
    "LoggedRow",
    "Since",
    "count",
    "feedback_pairs",
    "hour_rows",
    "models",
    "recent_rows",
    "row_kinds",
    "since_time",
    "utc_now",
    "window_counts",
]

Since: TypeAlias = datetime | timedelta | None

_ID_CHUNK = 500  # ids per IN (...) list


def utc_now() -> datetime:
    return datetime.now(UTC)


def since_time(since: Since) -> datetime | None:
    """``since`` as an aware UTC datetime (a duration counts back from now)."""
    if since is None:
        return None
    if isinstance(since, timedelta):
        return utc_now() - since
    return since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LoggedRow:
    """One logged record read back."""

    id: str
    ts: datetime
    route: str
    inputs: dict[str, Any]
    prediction: float | str | None
    probabilities: dict[str, float] | None
    warnings: list[str]
    latency_ms: float
    actual: float | str | None
    feedback_ts: datetime | None


@dataclass(frozen=True, slots=True)
class HourRow:
    """Volume and latency of one model in one UTC hour."""

    hour: datetime
    records: int
    latency_ms_sum: float
    latency_ms_max: float

    @property
    def latency_ms_mean(self) -> float:
        return self.latency_ms_sum / self.records if self.records else 0.0


class FeedbackPairs(NamedTuple):
    """The records with a prediction and a true outcome, oldest first (by prediction time).

    Regression: numbers in ``predictions`` and ``actuals``; classification: labels, and
    ``probabilities`` per class when the route returned them (else None).
    """

    predictions: list[float | str]
    actuals: list[float | str]
    probabilities: list[dict[str, float] | None]
    timestamps: list[datetime]


def count(engine: Engine, model: str, since: Since) -> int:
    stmt = _window(select(func.count()).select_from(predictions), model, since)
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def models(engine: Engine) -> dict[str, int]:
    stmt = select(hours.c.model, func.sum(hours.c.records)).group_by(hours.c.model)
    with engine.connect() as conn:
        return {str(model): int(n or 0) for model, n in conn.execute(stmt)}


def recent_rows(engine: Engine, model: str, last: int) -> list[LoggedRow]:
    stmt = (
        select(predictions)
        .where(predictions.c.model == model)
        .order_by(predictions.c.ts.desc())  # the (model, ts) index, read backwards
        .limit(max(int(last), 0))
    )
    with engine.connect() as conn:
        rows = [_logged_row(row) for row in conn.execute(stmt).all()]
    return rows[::-1]


def window_counts(engine: Engine, model: str, since: Since) -> dict[str, dict[int, int]]:
    stmt = (
        select(counts.c.name, counts.c.bin, func.sum(counts.c.n))
        .where(counts.c.model == model)
        .group_by(counts.c.name, counts.c.bin)
    )
    start = since_time(since)
    if start is not None:
        stmt = stmt.where(counts.c.hour >= start.replace(minute=0, second=0, microsecond=0))
    found: dict[str, dict[int, int]] = {}
    with engine.connect() as conn:
        for name, bin_, n in conn.execute(stmt):
            found.setdefault(str(name), {})[int(bin_)] = int(n or 0)
    return found


def hour_rows(engine: Engine, model: str, since: Since) -> list[HourRow]:
    stmt = select(hours).where(hours.c.model == model).order_by(hours.c.hour)
    start = since_time(since)
    if start is not None:
        stmt = stmt.where(hours.c.hour >= start.replace(minute=0, second=0, microsecond=0))
    with engine.connect() as conn:
        return [
            HourRow(row.hour, int(row.records), float(row.latency_ms_sum), row.latency_ms_max)
            for row in conn.execute(stmt)
        ]


def feedback_pairs(engine: Engine, model: str, since: Since) -> FeedbackPairs:
    c = predictions.c
    stmt = _window(
        select(
            c.prediction_num,
            c.prediction_label,
            c.actual_num,
            c.actual_label,
            c.probabilities,
            c.ts,
        )
        .where(c.feedback_ts.is_not(None))
        .order_by(c.ts, c.id),
        model,
        since,
    )
    pairs = FeedbackPairs([], [], [], [])
    with engine.connect() as conn:
        found = conn.execute(stmt).all()
    for number, label, actual_number, actual_label, probabilities, ts in found:
        prediction = _either(number, label)
        actual = _either(actual_number, actual_label)
        if prediction is None or actual is None:
            continue
        pairs.predictions.append(prediction)
        pairs.actuals.append(actual)
        pairs.probabilities.append(_loads(probabilities))
        pairs.timestamps.append(ts)
    return pairs


def row_kinds(engine: Engine, ids: Sequence[str], model: str | None) -> dict[str, bool]:
    """id -> True when the logged prediction is a number; unknown ids are left out."""
    found: dict[str, bool] = {}
    unique = list(dict.fromkeys(ids))
    with engine.connect() as conn:
        for start in range(0, len(unique), _ID_CHUNK):
            chunk = unique[start : start + _ID_CHUNK]
            stmt = select(predictions.c.id, predictions.c.prediction_label.is_(None)).where(
                predictions.c.id.in_(chunk)
            )
            if model is not None:
                stmt = stmt.where(predictions.c.model == model)
            found.update((str(id_), bool(numeric)) for id_, numeric in conn.execute(stmt))
    return found


def _window(stmt: Select[Any], model: str, since: Since) -> Select[Any]:
    stmt = stmt.where(predictions.c.model == model)
    start = since_time(since)
    return stmt if start is None else stmt.where(predictions.c.ts >= start)


def _logged_row(row: Sequence[Any]) -> LoggedRow:
    """A row of ``select(predictions)``, in the table's column order."""
    (id_, ts, _model, route, inputs, number, label, probabilities, warnings, latency_ms,
     actual_number, actual_label, feedback_ts) = row  # fmt: skip
    return LoggedRow(
        id=id_,
        ts=ts,
        route=route,
        inputs=_loads(inputs) or {},
        prediction=_either(number, label),
        probabilities=_loads(probabilities),
        warnings=_loads(warnings) or [],
        latency_ms=float(latency_ms),
        actual=_either(actual_number, actual_label),
        feedback_ts=feedback_ts,
    )


def _either(number: float | None, label: str | None) -> float | str | None:
    return float(number) if number is not None else label


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
