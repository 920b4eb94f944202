"""The prediction log's writer in a process of its own, forked by each serving worker.

A :class:`LogWriter` thread inside a serving process shares the interpreter's lock with
the event loop: while it makes, encodes and writes rows (25-50 µs of CPU a request) no
request is served, every batch costs lock hand-offs, and on a busy machine a writer that
is preempted while holding the lock stalls the loop for a whole time slice. So a serving
worker forks a :class:`WriterProcess` when it starts: the request path encodes the
answer's values with ``marshal`` (plain Python values only, numpy's made Python's and
dates their text, as the log stores them: 4 µs for one record; bytes, which the garbage
collector does not track: kept alive for the window, the values themselves set off 243
young and 22 older collections in 20,000 requests in-process) and appends them to a
list; a small thread ships that list every ``ship_seconds`` down a pipe as one message;
the child runs an ordinary :class:`LogWriter` (records made there, batches, retries,
drops counted) with a connection of its own, on the other core.

What the thread writer guaranteed still holds:

- Bounded: records waiting here, in the pipe and in the child count against
  ``max_queue``; what does not fit is dropped and counted; a request never waits.
- Counters: the child publishes its writer's counters in memory both processes map
  (:class:`SharedCounts`); :meth:`WriterProcess.snapshot` adds this side's.
- :meth:`~WriterProcess.close` (a worker's shutdown, on SIGTERM) ships what is left; the
  child writes everything (retrying an outage up to the timeout) and exits.
- kill -9 of the worker: the child sees the pipe close, writes what it has and exits;
  only the records not yet shipped (at most ``ship_seconds`` of traffic) are lost.
- The child ignores SIGINT and SIGTERM (a Ctrl-C or a signal to the process group reaches
  it too): only its parent's close, or the end of the pipe, stops it, after writing.

Fork when the worker starts serving (its lifespan), never in a parent that later forks
workers, and before the worker accepts a connection: the child then holds no client
socket, and no other thread of the worker is inside the log's code.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import logging
import marshal
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Final, TypedDict, Unpack

import numpy as np

from tabship.monitor._log import open_log
from tabship.monitor._shared import SharedCounts
from tabship.monitor._writer import LogWriter, WriterStats, closer_at_exit
from tabship.plan import Coded

if TYPE_CHECKING:
    from tabship.data import DriftReferences
    from tabship.monitor._record import LogRecord

__all__ = ["WriterProcess"]

SHIP_SECONDS: Final = 0.1  # how long records wait on this side (what a kill -9 can lose)
PUBLISH_SECONDS: Final = 0.1  # how often the child refreshes its counters when idle
GONE: Final = "the prediction log's writer process exited"
PROCESS_NAME: Final = "tabship-log"  # the child's name in ps and /proc (bench/serve.py)
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)  # the child ignores them

MakeRecords = Callable[[Any], Sequence["LogRecord"]]

_log = logging.getLogger("tabship.monitor")


class WriterOptions(TypedDict, total=False):
    """:class:`LogWriter`'s options, which the child's writer gets."""

    reference: DriftReferences | None
    exclude: frozenset[str]
    max_queue: int
    flush_seconds: float
    flush_rows: int
    retention: timedelta | None


@dataclass(frozen=True, slots=True)
class _Settings:
    """What the child needs to write one model's rows (inherited through the fork)."""

    url: str
    model: str
    options: WriterOptions


class WriterProcess:
    """A :class:`LogWriter` in a forked child, fed by :meth:`submit` (see the module doc).

    ``make`` turns one submitted payload into its records; it runs in the child (it is
    inherited through the fork, not sent), so a payload need only hold values
    (:func:`_plain_values`). ``model`` and the ``options`` are :class:`LogWriter`'s;
    ``ship_seconds`` is how long records wait on this side before they are sent (what a
    kill -9 of this process loses).
    """

    def __init__(
        self,
        url: str,
        make: MakeRecords,
        *,
        model: str,
        ship_seconds: float = SHIP_SECONDS,
        **options: Unpack[WriterOptions],
    ) -> None:
        self.max_queue = max(int(options.get("max_queue", 10_000)), 1)
        self.ship_seconds = ship_seconds
        self._cond = threading.Condition()
        self._entries: list[tuple[int, bytes]] = []  # (records, marshalled payload)
        self._rows = 0  # records in _entries
        self._in_transit = 0  # records taken by the shipping thread, not yet sent
        self._shipped = 0
        self._backlog = 0  # records in the pipe and in the child, as last seen
        self._dropped = 0  # dropped on this side: no room, cannot be sent
        self._flush_asked: tuple[int, float] | None = None  # (token, timeout)
        self._flush_sent = 0  # the token of the last flush passed on to the child
        self._stopping = False
        self._close_timeout = 10.0
        self._gone: str | None = None  # why the child takes no more records
        self._flush_lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._shared = SharedCounts()
        settings = _Settings(url, model, options)
        self.pid, self._rows_out, self._acks = _fork(settings, make, self._shared)
        self._thread = threading.Thread(target=self._ship, name="tabship-log-ship", daemon=True)
        self._thread.start()
        self._at_exit = closer_at_exit(self)
        atexit.register(self._at_exit)

    # -- the request side -------------------------------------------------------------------

    def submit(self, count: int, payload: Any) -> None:
        """Queue the ``count`` records ``make(payload)`` returns (the first ``count``);
        never blocks, never raises: what does not fit, or is not made of plain values, is dropped
        and counted."""
        if count <= 0:
            return
        try:  # bytes now: nothing for the worker's garbage collector to trace meanwhile
            data = marshal.dumps(_plain_values(payload))
        except Exception as err:
            _log.error("Dropped %d rows the prediction log cannot send: %s", count, err)
            with self._cond:
                self._dropped += count
            return
        with self._cond:
            room = self.max_queue - self._rows - self._in_transit - self._backlog
            if room < count:  # as of the last shipment: the child may have written since
                self._backlog = self._child_backlog()
                room = self.max_queue - self._rows - self._in_transit - self._backlog
            taken = 0 if self._stopping or self._gone else min(max(room, 0), count)
            self._dropped += count - taken
            if taken:
                if not self._entries:
                    self._cond.notify()  # starts the shipping window
                self._entries.append((taken, data))
                self._rows += taken

    @property
    def schema_ready(self) -> bool:
        """True once the child has found or made the log's tables."""
        return self._shared.read().schema_ready

    def snapshot(self) -> WriterStats:
        """The counters now: the child's writer's, plus what waits or was dropped here."""
        child = self._shared.read()
        with self._cond:
            in_pipe = max(self._shipped - child.received, 0)
            return WriterStats(
                queued=self._rows + self._in_transit + in_pipe + child.queued,
                written=child.written,
                dropped=self._dropped + child.dropped,
                write_errors=child.write_errors,
                last_error=self._gone or child.last_error,
                degraded=self._gone is not None or child.degraded,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything submitted so far now; False if ``timeout`` passed first."""
        limit = 3600.0 if timeout is None else max(timeout, 0.0)
        deadline = time.monotonic() + limit
        if not self._flush_lock.acquire(timeout=limit):
            return False
        try:
            token = next(self._tokens)
            with self._cond:
                if self._gone or self._stopping:
                    return False
                self._flush_asked = (token, limit)
                self._cond.notify_all()
                passed_on = self._cond.wait_for(lambda: self._flush_sent >= token, limit)
                if not passed_on or self._gone:
                    return False
            return self._await(lambda ack: ack[0] == token, deadline)
        finally:
            self._flush_lock.release()

    def close(self, timeout: float = 10.0) -> None:
        """Ship what is left and let the child write it all (retrying an outage for at
        most ``timeout`` seconds), then wait for the child to exit."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._close_timeout = timeout
            self._cond.notify_all()
        deadline = time.monotonic() + timeout + 5.0
        self._thread.join(timeout + 5.0)
        if self._flush_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            try:
                self._await(lambda ack: ack[0] == "closed", deadline)
            finally:
                self._flush_lock.release()
        self._reap(deadline)
        atexit.unregister(self._at_exit)

    # -- the shipping thread ----------------------------------------------------------------

    def _ship(self) -> None:
        """Every ``ship_seconds`` while records come in (at once for a flush or close):
        send them as one message, then any flush or close asked for."""
        while True:
            with self._cond:
                while not (self._entries or self._urgent()):
                    self._cond.wait()
                deadline = time.monotonic() + self.ship_seconds
                while not self._urgent():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._cond.wait(remaining):
                        break
                entries, self._entries = self._entries, []
                self._in_transit, self._rows = self._rows, 0
                flush, stopping = self._flush_asked, self._stopping
            self._send_rows(entries)
            if flush is not None and flush[0] > self._flush_sent:
                self._send(("flush", flush))
                with self._cond:
                    self._flush_sent = flush[0]
                    self._cond.notify_all()
            if stopping:
                self._send(("close", self._close_timeout))
                return

    def _urgent(self) -> bool:
        asked = self._flush_asked is not None and self._flush_asked[0] > self._flush_sent
        return self._stopping or asked

    def _send_rows(self, entries: list[tuple[int, bytes]]) -> None:
        rows = sum(count for count, _ in entries)
        sent = bool(entries) and self._send(("rows", entries))
        with self._cond:
            self._in_transit = 0
            if sent:
                self._shipped += rows
            else:
                self._dropped += rows
            self._backlog = self._child_backlog()

    def _child_backlog(self) -> int:
        """Records in the pipe and in the child now (called holding the lock)."""
        child = self._shared.read()
        return max(self._shipped - child.received, 0) + child.queued

    def _send(self, message: tuple[str, Any]) -> bool:
        return self._send_bytes(marshal.dumps(message))

    def _send_bytes(self, data: bytes) -> bool:
        """Send one message; False (and the child counted as gone) when the pipe is closed."""
        if self._gone:
            return False
        try:
            self._rows_out.send_bytes(data)
            return True
        except OSError:
            with self._cond:
                self._gone = GONE
            _log.error("The prediction log's writer process exited: rows are now dropped.")
            return False

    # -- the end ----------------------------------------------------------------------------

    def _await(self, matches: Callable[[tuple[Any, Any]], bool], deadline: float) -> bool:
        """Read acknowledgements until one ``matches`` (its result) or the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not self._acks.poll(remaining):
                    return False
                ack = marshal.loads(self._acks.recv_bytes())
            except (EOFError, OSError, ValueError):
                return False
            if matches(ack):
                return bool(ack[1])

    def _reap(self, deadline: float) -> None:
        """Wait for the child's exit; kill it when it outlives the deadline."""
        try:
            while time.monotonic() < deadline:
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    return
                time.sleep(0.01)
            _log.error("The prediction log's writer process did not finish in time: killed.")
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped already (by whoever waits for any child)
            pass


def _fork(settings: _Settings, make: MakeRecords, shared: SharedCounts) -> tuple[int, Any, Any]:
    """Start the child; returns its pid, the pipe's sending end and the acknowledgements'
    receiving end."""
    rows_in, rows_out = Pipe(duplex=False)
    acks_in, acks_out = Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # what is buffered must not be written twice
        stream.flush()
    # Held back until the child ignores them (and in the parent, delivered right after).
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            _detach(held)
            rows_out.close()
            acks_in.close()
            _child(rows_in, acks_out, shared, settings, make)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    rows_in.close()
    acks_out.close()
    return pid, rows_out, acks_in


def _child(
    rows: Connection, acks: Connection, shared: SharedCounts, settings: _Settings, make: MakeRecords
) -> None:
    """The child's loop: records from the pipe into a LogWriter until close or the pipe's
    end, then everything written."""
    log = open_log(settings.url, connect=False)  # the parent checked it; a down one is retried
    writer = LogWriter(log, model=settings.model, **settings.options)
    close_timeout = 10.0
    sending = threading.Lock()  # acknowledgements come from flushing threads too
    try:
        while True:
            if rows.poll(PUBLISH_SECONDS):
                try:
                    kind, body = marshal.loads(rows.recv_bytes())
                except (EOFError, OSError):
                    break  # the worker is gone (kill -9): write what is here, then stop
                if kind == "rows":  # one queue entry a message: its records made together
                    count = sum(rows for rows, _ in body)
                    writer.submit_later(count, functools.partial(_made, make, body))
                    shared.received += count
                elif kind == "flush":  # on a thread: the pipe is still read meanwhile
                    flushing = functools.partial(_flush, writer, shared, acks, sending, *body)
                    threading.Thread(target=flushing, daemon=True).start()
                elif kind == "close":
                    close_timeout = float(body)
                    break
            _publish(shared, writer)
    finally:
        writer.close(close_timeout)
        _publish(shared, writer)
        log.close()
        with sending, contextlib.suppress(OSError):
            acks.send_bytes(marshal.dumps(("closed", True)))


def _made(make: MakeRecords, entries: list[tuple[int, bytes]]) -> list[LogRecord]:
    """The records of every entry of one message (each entry's first ``count``); an
    entry that does not decode makes none (the writer counts them dropped)."""
    made: list[LogRecord] = []
    for count, payload in entries:
        try:
            values = marshal.loads(payload)
        except (EOFError, ValueError, TypeError) as err:
            _log.error("Dropped %d rows the prediction log could not read: %s", count, err)
            continue
        made.extend(make(values)[:count])
    return made


def _flush(
    writer: LogWriter, shared: SharedCounts, acks: Connection, sending: threading.Lock,
    token: int, timeout: float,
) -> None:  # fmt: skip
    """Flush the child's writer; the counters are published before the acknowledgement,
    so that the parent reads them written."""
    done = writer.flush(timeout)
    _publish(shared, writer)
    with sending, contextlib.suppress(OSError):
        acks.send_bytes(marshal.dumps((token, done)))


def _publish(shared: SharedCounts, writer: LogWriter) -> None:
    shared.publish(writer.snapshot(), writer.log.schema_ready)


def _detach(held: set[int | signal.Signals]) -> None:
    """The child's first steps: ignore the signals meant for the worker (then let through
    those the fork ``held`` back), forget the worker's event-loop wake-up socket, and take
    a name of its own."""
    for signum in STOP_SIGNALS:
        try:
            signal.signal(signum, signal.SIG_IGN)
        except ValueError:  # pragma: no cover - forked from a thread that is not main
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:  # pragma: no cover
        pass
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(PROCESS_NAME)
    except OSError:  # not Linux
        pass


_PLAIN: Final = frozenset({str, int, float, bool, type(None), bytes})


def _plain_values(value: Any) -> Any:
    """``value`` made of what ``marshal`` holds and loads back as it was: Python's own
    numbers, text, lists and dicts. numpy's arrays and numbers (a CSV upload's columns)
    become Python's, as ``tolist`` and ``item`` make them (``marshal`` would write an
    array or a float64 as raw bytes); a date, time or pandas' NaT becomes its text and
    pandas' NA None, as the log stores them. Anything else is refused (TypeError): the
    pipe carries values, never objects that run code when loaded."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:  # scalars inline: this runs on every logged request
        return [item if type(item) in _PLAIN else _plain_values(item) for item in value]
    if kind is dict or isinstance(value, Mapping):
        return {
            key if type(key) in _PLAIN else _plain_values(key): (
                item if type(item) in _PLAIN else _plain_values(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, np.ndarray | Coded):  # Coded: a validated batch's text column
        return _plain_values(value.tolist())
    if isinstance(value, np.generic):
        return _plain_values(value.item())
    if isinstance(value, date | clock_time | timedelta):
        return str(value)
    pandas = sys.modules.get("pandas")
    if pandas is not None and value is pandas.NA:
        return None
    raise TypeError(f"the prediction log does not send {kind.__name__} values")
