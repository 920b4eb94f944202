"""The server's side of the prediction log: ids for every answer, rows for the writer.

Every scored record gets an id (32 hex digits) whether or not a log is configured, so an
answer has the same shape either way. With ``--log URL`` each worker opens the log in
its lifespan and hands every answer to a ``tabship.monitor.WriterProcess``, a writer in a
process the worker forks: the request path appends one entry per answer (its values,
encoded with ``marshal``; the records are made in the writer's process) and never waits
on the database, nor shares the interpreter's lock with the writing. The lifespan's shutdown
(SIGTERM) closes the writer, which writes everything queued before the worker exits.

``tabship.monitor`` (and SQLAlchemy with it) is imported only when a log is configured:
a server without ``--log`` stays as lean as before.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from tabship.errors import ErrorItem

if TYPE_CHECKING:
    from tabship.monitor import (
        LogRecord,
        MonitoredModel,
        PredictionLog,
        WriterProcess,
        WriterStats,
    )
    from tabship.runtime import Model, Scored

__all__ = [
    "LogOptions",
    "LogState",
    "ServedLog",
    "answer_records",
    "log_scored",
    "new_ids",
    "per_record_warnings",
]

_log = logging.getLogger("tabship.serve")

LogState = Literal["ok", "degraded"]
CLOSE_TIMEOUT_S = 10.0  # how long shutdown keeps retrying a database that is down


class LogOptions(TypedDict):
    """What ``--log``, ``--log-retention``, ``--log-exclude`` and ``--log-optional`` set."""

    url: str
    retention_seconds: float | None
    exclude: list[str]
    optional: bool


def new_ids(served: ServedLog | None, n: int) -> list[str]:
    """``n`` new record ids, 32 hex digits unique across workers and machines: the log's
    own (time-ordered, so its index grows at the end) when there is a log, else uuid4."""
    if served is not None:
        return [served.new_id() for _ in range(n)]
    return [uuid.uuid4().hex for _ in range(n)]


def per_record_warnings(warnings: Sequence[ErrorItem], n: int) -> list[list[str]]:
    """The warning messages of each of ``n`` scored records (runtime locations: the
    record's position first; a one-record request's warnings may carry none)."""
    found: list[list[str]] = [[] for _ in range(n)]
    for item in warnings:
        loc = item.get("loc", [])
        position = loc[0] if loc and isinstance(loc[0], int) else (0 if n == 1 else None)
        if position is not None and 0 <= position < n:
            found[position].append(str(item.get("msg", "")))
    return found


def log_scored(served: ServedLog | None, route: str, scored: Scored, latency_ms: float) -> None:
    """Hand a scored answer (its ``ids`` set) to the log, when the server keeps one."""
    if served is None or not scored.ids:
        return
    n = len(scored.ids)
    served.submit(
        route,
        scored.ids,
        scored.columns,
        scored.predictions,
        scored.probabilities,
        per_record_warnings(scored.warnings, n) if scored.warnings else [],
        latency_ms,
    )


@dataclass
class ServedLog:
    """One worker's prediction log: the database, its writer and the served model's
    monitoring facts (hash, drift references, holdout metrics)."""

    log: PredictionLog
    writer: WriterProcess
    watched: MonitoredModel
    new_id: Callable[[], str]  # tabship.monitor.new_record_id
    start_error: str | None = None  # --log-optional and the database was not there

    @classmethod
    def open(cls, options: LogOptions, model: Model) -> ServedLog:
        """Open the log and start the writer; LogError when the log cannot be used
        (with ``optional``: only for a URL that can never work)."""
        from tabship.monitor import (
            LogError,
            MonitoredModel,
            WriterProcess,
            new_record_id,
            open_log,
        )

        watched = MonitoredModel.from_model(model)
        start_error = None
        try:
            log = open_log(options["url"])
        except LogError as err:
            if not options["optional"]:
                raise
            log = open_log(options["url"], connect=False)
            start_error = err.problem
            _log.warning("%s Serving with the prediction log degraded (--log-optional).", err)
        retention = options["retention_seconds"]
        writer = WriterProcess(
            options["url"],
            answer_records,
            model=watched.sha,
            reference=watched.references,
            exclude=frozenset(options["exclude"]),
            retention=None if retention is None else timedelta(seconds=retention),
        )
        return cls(log, writer, watched, new_record_id, start_error)

    def submit(
        self,
        route: str,
        ids: Sequence[str],
        columns: Mapping[str, Any],
        predictions: Sequence[Any],
        probabilities: Sequence[Mapping[str, float]] | None,
        warnings: Sequence[Sequence[str]],
        latency_ms: float,
    ) -> None:
        """Hand one answer's records to the writer (never blocks; a full queue drops
        and counts). ``columns`` are the validated values per field, row k = record k.

        The request pays for one encoding of the answer's own values and a list entry:
        the records are made in the writer's process by :func:`answer_records`.
        """
        now = time.time()
        payload = (route, ids, columns, predictions, probabilities, warnings, latency_ms, now)
        self.writer.submit(len(ids), payload)

    def stats(self) -> WriterStats:
        return self.writer.snapshot()

    def state(self) -> tuple[LogState, str | None]:
        """``ok``, or ``degraded`` with the reason: the database was not there at start
        and has not been written since, or writes are failing now."""
        stats = self.writer.snapshot()
        if stats.degraded:
            return "degraded", stats.last_error
        if self.start_error is not None and not (self.log.schema_ready or self.writer.schema_ready):
            return "degraded", self.start_error
        return "ok", None

    def flush(self, timeout: float) -> bool:
        """Write everything queued so far (feedback can then find the ids just answered)."""
        return self.writer.flush(timeout)

    def close(self) -> None:
        """Write everything queued (retrying an outage for a while), then disconnect."""
        try:
            self.writer.close(CLOSE_TIMEOUT_S)
            stats = self.writer.snapshot()
            if stats.dropped:
                _log.warning("The prediction log dropped %d rows in all.", stats.dropped)
        finally:
            self.log.close()


def answer_records(payload: Sequence[Any]) -> list[LogRecord]:
    """The records of one answer :meth:`ServedLog.submit` handed over (called in the
    writer's process, from plain values: ``WriterProcess`` sends numpy's as Python's):
    one per id, the inputs by field."""
    from tabship.monitor import LogRecord

    route, ids, columns, predictions, probabilities, warnings, latency_ms, epoch = payload
    now = datetime.fromtimestamp(epoch, UTC)
    fields = list(columns.items())
    return [
        LogRecord(
            record_id,
            now,
            route,
            {name: column[i] for name, column in fields},
            predictions[i],
            None if probabilities is None else probabilities[i],
            warnings[i] if i < len(warnings) else (),
            latency_ms,
        )
        for i, record_id in enumerate(ids)
    ]
