"""Logs on both backends: a SQLite file in the test's folder, a database on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tabship.monitor import LogRecord, PredictionLog, new_record_id, open_log
from tests._postgres import postgres_server  # noqa: F401  (the session fixture)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.fixture(params=BACKENDS)
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty log URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def log(log_url: str) -> Iterator[PredictionLog]:
    opened = open_log(log_url)
    yield opened
    opened.close()


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
