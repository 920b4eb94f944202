"""Batch scoring into the prediction log: ``tabship predict MODEL DATA -o OUT --log URL``.

The scored rows of every chunk go through the same :class:`tabship.monitor.LogWriter`
a server uses (route ``"batch"``), with the ids the output file carries. A batch run has
no request to keep fast but must lose nothing, so the writer takes large transactions
(:data:`BULK_ROWS`) and the run waits, before handing over a chunk, until the previous
one is written: the log is written while the next chunk is scored, and the queue never
holds more than two chunks (it never drops rows for lack of room).

Imported only with ``--log``: it loads ``tabship.monitor`` and SQLAlchemy with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from tabship.batch._table import TableScores
from tabship.monitor import LogRecord, LogWriter, MonitoredModel, PredictionLog, open_log

if TYPE_CHECKING:
    from tabship.errors import ErrorItem
    from tabship.runtime import Model

__all__ = ["BULK_ROWS", "ROUTE", "BatchLog", "LoggedRun", "log_records"]

ROUTE: Final = "batch"
BULK_ROWS: Final = 5_000  # rows per transaction (a server's writer takes 500)
WAIT_S: Final = 60.0  # how long a chunk waits for the previous one to be written
CLOSE_S: Final = 60.0  # how long the end of a run waits for the last rows


@dataclass(frozen=True)
class LoggedRun:
    """What a run left in the log: rows handed over, written, and lost (with why)."""

    submitted: int
    written: int
    dropped: int
    last_error: str | None


class BatchLog:
    """The prediction log of one batch run; :meth:`close` (``contextlib.closing``) writes
    everything handed to it."""

    def __init__(self, log: PredictionLog, writer: LogWriter) -> None:
        self.log = log
        self.writer = writer
        self.submitted = 0
        self._closed: LoggedRun | None = None

    @classmethod
    def open(
        cls, url: str, model: Model, *, exclude: Sequence[str] = (), chunk_size: int = 50_000
    ) -> BatchLog:
        """Open (and if needed create) the log at ``url`` for ``model``; ``LogError`` in
        one line when it cannot be used, before anything is scored."""
        watched = MonitoredModel.from_model(model)
        log = open_log(url)
        writer = LogWriter(
            log,
            model=watched.sha,
            reference=watched.references,
            exclude=frozenset(exclude),
            max_queue=2 * max(chunk_size, 1) + BULK_ROWS,
            flush_rows=BULK_ROWS,
        )
        return cls(log, writer)

    def submit(self, scores: TableScores, seconds: float) -> None:
        """Hand a chunk's scored rows to the writer, once the previous chunk is written."""
        records = log_records(scores, seconds)
        if not records:
            return
        self.writer.flush(WAIT_S)
        self.writer.submit(records)
        self.submitted += len(records)

    def close(self) -> LoggedRun:
        """Write everything handed over (waiting up to ``CLOSE_S`` for a database that is
        down), disconnect, and say what was logged (again when called again)."""
        if self._closed is None:
            try:
                self.writer.close(CLOSE_S)
            finally:
                self.log.close()
            stats = self.writer.snapshot()
            self._closed = LoggedRun(self.submitted, stats.written, stats.dropped, stats.last_error)
        return self._closed


def log_records(scores: TableScores, seconds: float, route: str = ROUTE) -> list[LogRecord]:
    """One :class:`LogRecord` per scored row of a table, under the row's id.

    The inputs are the values as validated (the model's answer holds them by field);
    each row's latency is its share of the time the table took to score.
    """
    n = len(scores.ids)
    if n == 0 or scores.scored is None:
        return []
    inputs = _rows(scores.scored.columns, n)
    probabilities = _probability_rows(scores, n)
    warnings = _warnings_by_row(scores.scored.warnings, scores.index)
    now = datetime.now(UTC)
    latency_ms = seconds * 1000 / n
    return [
        LogRecord(
            id=scores.ids[k],
            ts=now,
            route=route,
            inputs=inputs[k],
            prediction=scores.predictions[k],
            probabilities=None if probabilities is None else probabilities[k],
            warnings=warnings.get(k, ()),
            latency_ms=latency_ms,
        )
        for k in range(n)
    ]


def _plain_list(values: Any) -> list[Any]:
    """A column as Python values (numpy arrays converted in one call)."""
    tolist = getattr(values, "tolist", None)
    return tolist() if callable(tolist) else list(values)


def _rows(columns: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Per-field columns turned into ``n`` per-row dicts."""
    names = list(columns)
    if not names:
        return [{} for _ in range(n)]
    values = [_plain_list(columns[name]) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _probability_rows(scores: TableScores, n: int) -> list[dict[str, float]] | None:
    if not scores.classes:
        return None
    return _rows({label: scores.probabilities[label] for label in scores.classes}, n)


def _warnings_by_row(warnings: Sequence[ErrorItem], index: Sequence[int]) -> dict[int, list[str]]:
    """The warning messages of each scored row ``k`` (the runtime locates a warning by
    the row's position in the table, ``index[k]``)."""
    if not warnings:
        return {}
    row_of = {position: k for k, position in enumerate(index)}
    found: dict[int, list[str]] = {}
    for item in warnings:
        loc = item.get("loc") or ()
        k = row_of.get(loc[0]) if loc and isinstance(loc[0], int) else None
        if k is not None:
            found.setdefault(k, []).append(str(item.get("msg", "")))
    return found
