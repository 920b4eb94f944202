"""Logged records for the log's tests, with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from tabship.monitor import LogRecord, new_record_id


def record(
    inputs: dict[str, object] | None = None,
    prediction: float | str | None = 1.5,
    *,
    ts: datetime | None = None,
    probabilities: dict[str, float] | None = None,
    latency_ms: float = 2.0,
) -> LogRecord:
    """A logged record with sensible defaults."""
    return LogRecord(
        id=new_record_id(),
        ts=ts or datetime.now(UTC),
        route="/predict",
        inputs={"age": 40, "smoker": "no"} if inputs is None else inputs,
        prediction=prediction,
        probabilities=probabilities,
        warnings=[],
        latency_ms=latency_ms,
    )
