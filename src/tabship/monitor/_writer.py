"""The background writer: predictions are logged without ever waiting on the database.

A request hands its records to :meth:`LogWriter.submit`, which appends to a bounded
in-memory queue and returns at once (or, cheaper still, to :meth:`LogWriter.submit_later`
a function that makes them, which the writer's thread calls); when the queue is full the
records are dropped and counted, the request is never held up. A daemon thread takes
batches (every ``flush_seconds`` or ``flush_rows`` records, whichever comes first),
prepares them (JSON, excluded fields removed, drift bins, hourly sums) and writes each in
one transaction.

A database that is down or refuses writes costs no request either: the failed batch is
kept and retried with a growing pause (while new records wait in the queue, bounded as
always), a warning is logged once per outage and the counters show it; writing resumes
by itself when the database is back. :meth:`LogWriter.close` (a server's shutdown, on
SIGTERM; at the latest when the interpreter exits) writes everything still queued before
it returns.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from tabship.errors import LogError
from tabship.monitor._log import PredictionLog, describe_error
from tabship.monitor._record import LogRecord, prepare_batch

if TYPE_CHECKING:
    from tabship.data import DriftReferences

__all__ = ["LogWriter", "WriterStats", "closer_at_exit"]

RETRY_FIRST_S: Final = 0.2
RETRY_MAX_S: Final = 1.0  # a database back from an outage is written to within a second

_log = logging.getLogger("tabship.monitor")


@dataclass(frozen=True, slots=True)
class WriterStats:
    """The writer's counters at one moment, for ``/metrics`` and ``/ready``.

    ``queued`` counts records waiting (the batch being written included); ``dropped`` the
    records lost (queue full, an unwritable row, shutdown timeout); ``write_errors`` the
    failed write attempts; ``degraded`` is True during an outage (writes failing).
    """

    queued: int
    written: int
    dropped: int
    write_errors: int
    last_error: str | None
    degraded: bool


class _Later(NamedTuple):
    """``rows`` records that ``make`` builds on the writer's thread (its first ``rows``)."""

    rows: int
    make: Callable[[], Sequence[LogRecord]]


_Entry = LogRecord | _Later


class LogWriter:
    """Writes a model's :class:`LogRecord` s to a :class:`PredictionLog` in the background.

    ``reference`` (from ``tabship.data.drift_references``) says which fields are counted
    into drift bins; ``exclude`` names fields kept out of the log (not stored, not
    counted). With ``retention``, rows of this model older than it are purged at most
    every ``purge_seconds``.
    """

    def __init__(
        self,
        log: PredictionLog,
        *,
        model: str,
        reference: DriftReferences | None = None,
        exclude: frozenset[str] = frozenset(),
        max_queue: int = 10_000,
        flush_seconds: float = 0.2,
        flush_rows: int = 500,
        retention: timedelta | None = None,
        purge_seconds: float = 300.0,
    ) -> None:
        self.log = log
        self.model = model
        self.reference = reference
        self.exclude = frozenset(exclude)
        self.max_queue = max(int(max_queue), 1)
        self.flush_seconds = flush_seconds
        self.flush_rows = max(int(flush_rows), 1)
        self.retention = retention
        self.purge_seconds = purge_seconds
        self._queue: deque[_Entry] = deque()
        self._queued = 0  # records in the queue (a _Later counts its records)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._stopping = False
        self._give_up_at = float("inf")
        self._in_flight = 0
        self._accepted = 0  # records taken into the queue
        self._settled = 0  # of those, written or dropped
        self._flush_waiters = 0
        self._next_purge = 0.0
        self._written = 0
        self._dropped = 0
        self._write_errors = 0
        self._last_error: str | None = None
        self._degraded = False
        self._thread = threading.Thread(target=self._run, name="tabship-log-writer", daemon=True)
        self._thread.start()
        self._at_exit = closer_at_exit(self)
        atexit.register(self._at_exit)  # a script that forgets close() loses nothing either

    # -- the request side -------------------------------------------------------------------

    def submit(self, records: Sequence[LogRecord]) -> None:
        """Queue ``records`` for writing; never blocks, never raises for a full queue
        (what does not fit is dropped and counted)."""
        if not records:
            return
        with self._cond:
            taken = records[: self._room(len(records))]
            if taken:
                self._queue.extend(taken)
                self._queued_more(len(taken))

    def submit_later(self, count: int, make: Callable[[], Sequence[LogRecord]]) -> None:
        """Queue the ``count`` records that ``make()`` returns, calling it on the writer's
        thread: the request only appends a function and its arguments (the conversion of
        values into records, a few µs a record, leaves the request path). Same rules as
        :meth:`submit`: never blocks, what does not fit is dropped and counted."""
        if count <= 0:
            return
        with self._cond:
            taken = self._room(count)
            if taken:
                self._queue.append(_Later(taken, make))
                self._queued_more(taken)

    def _room(self, wanted: int) -> int:
        """How many of ``wanted`` records fit; the others are counted as dropped."""
        room = 0 if self._stopping else self.max_queue - self._queued - self._in_flight
        taken = min(max(room, 0), wanted)
        self._dropped += wanted - taken
        return taken

    def _queued_more(self, n: int) -> None:
        was_empty = self._queued == 0
        self._queued += n
        self._accepted += n
        if was_empty or self._queued >= self.flush_rows:
            self._cond.notify_all()

    def snapshot(self) -> WriterStats:
        """The counters now (cheap: a lock and a few integers)."""
        with self._cond:
            return WriterStats(
                queued=self._queued + self._in_flight,
                written=self._written,
                dropped=self._dropped,
                write_errors=self._write_errors,
                last_error=self._last_error,
                degraded=self._degraded,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything submitted so far now; False if ``timeout`` passed first
        (the database being down, say)."""
        with self._cond:
            target = self._accepted
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._settled >= target, timeout)
            finally:
                self._flush_waiters -= 1

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking records, write all queued ones (retrying an outage for at most
        ``timeout`` seconds, then dropping and counting what is left) and stop the thread.
        The log itself stays open."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._give_up_at = time.monotonic() + timeout
            self._cond.notify_all()
        self._stop.set()
        self._thread.join(timeout + 5.0)
        atexit.unregister(self._at_exit)

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the writer's thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            records = self._made(batch)
            if records:
                self._write(records)
            self._maybe_purge()

    def _made(self, batch: list[_Entry]) -> list[LogRecord]:
        """The batch's records, the deferred ones made now; one that fails to be made
        is dropped and counted (a bug must cost its own rows only, not the writer)."""
        records: list[LogRecord] = []
        for entry in batch:
            if not isinstance(entry, _Later):
                records.append(entry)
                continue
            try:
                made = list(entry.make()[: entry.rows])
            except Exception as err:
                _log.error("Dropped %d rows the prediction log cannot hold: %s", entry.rows, err)
                self._settle(entry.rows, written=False, error=str(err))
                continue
            if len(made) < entry.rows:
                missing = entry.rows - len(made)
                self._settle(missing, written=False, error=f"{missing} records were not made")
            records.extend(made)
        return records

    def _take(self) -> list[_Entry] | None:
        """The next batch: waits for a first record, then up to ``flush_seconds`` for more
        (not when closing or flushing); [] when idle long enough to purge; None at the end."""
        with self._cond:
            if not self._queue:
                if self._stopping:
                    return None
                self._cond.wait(self.purge_seconds if self.retention else None)
                if not self._queue:
                    return None if self._stopping else []
            deadline = time.monotonic() + self.flush_seconds
            while self._queued < self.flush_rows and not self._urgent():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    break
            batch: list[_Entry] = []
            rows = 0
            while self._queue and rows < self.flush_rows:  # a deferred entry is not split
                entry = self._queue.popleft()
                batch.append(entry)
                rows += entry.rows if isinstance(entry, _Later) else 1
            self._queued -= rows
            self._in_flight = rows
            return batch

    def _urgent(self) -> bool:
        return self._stopping or self._flush_waiters > 0

    def _write(self, records: list[LogRecord]) -> None:
        """Write a batch; if the database refuses it (not an outage: a value it will never
        take), write its rows one by one, so that only the bad ones are lost."""
        if self._write_batch(records, split=len(records) > 1):
            for record in records:
                self._write_batch([record], split=False)

    def _write_batch(self, records: list[LogRecord], *, split: bool) -> bool:
        """Write ``records`` in one transaction, retrying while the database is down.
        True when it was refused and ``split`` asks for another try, row by row."""
        try:
            batch = prepare_batch(self.model, records, self.reference, self.exclude)
        except Exception as err:  # a bug or a value we cannot store: lose this batch only
            _log.error("Dropped %d rows the prediction log cannot hold: %s", len(records), err)
            self._settle(len(records), written=False, error=str(err))
            return False
        pause = RETRY_FIRST_S
        while True:
            try:
                if not self.log.schema_ready:
                    self.log.ensure_schema()
                self.log.append(self.model, batch)
            except Exception as err:
                message = self._count_error(err)
                if _transient(err) and self._wait_for_retry(message, len(records), pause):
                    pause = min(pause * 2, RETRY_MAX_S)
                    continue
                if not _transient(err):
                    if split:
                        return True
                    _log.error(
                        "Dropped %d rows the prediction log %s refused: %s",
                        len(records),
                        self.log.url,
                        message,
                    )
                self._settle(len(records), written=False, error=message)
                return False
            self._settle(len(records), written=True)
            return False

    def _count_error(self, err: Exception) -> str:
        message = describe_error(err, self.log.target)
        with self._cond:
            self._write_errors += 1
            self._last_error = message
        return message

    def _wait_for_retry(self, message: str, n: int, pause: float) -> bool:
        """During an outage: warn once, pause, and say whether to try again (False once a
        closing writer's deadline has passed: the rows are then dropped)."""
        with self._cond:
            first = not self._degraded
            self._degraded = True
        if first:
            _log.warning(
                "Cannot write to the prediction log %s: %s. Predictions are still answered; "
                "rows wait in memory (up to %d) and are written when it is back.",
                self.log.url,
                message,
                self.max_queue,
            )
        if self._stopping and time.monotonic() >= self._give_up_at:
            _log.error("Dropped %d rows: the prediction log %s is still down.", n, self.log.url)
            return False
        if self._stop.is_set():  # closing: keep trying until the deadline, without spinning
            time.sleep(min(pause, max(self._give_up_at - time.monotonic(), 0.0)))
        else:
            self._stop.wait(pause)
        return True

    def _settle(self, n: int, *, written: bool, error: str | None = None) -> None:
        with self._cond:
            self._in_flight = max(self._in_flight - n, 0)
            self._settled += n
            if written:
                self._written += n
                if self._degraded:
                    _log.warning("The prediction log %s is writable again.", self.log.url)
                self._degraded = False
            else:
                self._dropped += n
                self._last_error = error
            self._cond.notify_all()

    def _maybe_purge(self) -> None:
        if self.retention is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_seconds
        try:
            self.log.purge(self.retention, model=self.model)
        except Exception as err:  # retried at the next turn; the writes matter more
            _log.warning("Cannot purge old rows of the prediction log: %s", err)


class _Closable(Protocol):
    def close(self) -> None: ...


def closer_at_exit(writer: _Closable) -> Callable[[], None]:
    """``writer.close`` for atexit, holding the writer weakly."""
    ref = weakref.ref(writer)

    def close() -> None:
        alive = ref()
        if alive is not None:
            alive.close()

    return close


def _transient(err: Exception) -> bool:
    """A database that is down, restarting, locked or unreachable: worth a retry."""
    if isinstance(err, LogError):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, OperationalError | InterfaceError | PoolTimeoutError)
