"""Logs on both backends: a SQLite file in the test's folder, a database on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tabship.monitor import PredictionLog, open_log
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
