"""The writer process's counters, in memory the worker and its writer process both map.

The child publishes its :class:`~tabship.monitor.LogWriter`'s counters here after each
message it reads, and at least every 100 ms; the worker reads them for ``/metrics`` and
``/ready`` without sending a message or waiting for the child.
"""

from __future__ import annotations

import mmap
import struct
import threading
import time
from typing import Final, NamedTuple

from tabship.monitor._writer import WriterStats

__all__ = ["Counts", "SharedCounts"]


class Counts(NamedTuple):
    """The child's counters; ``received`` counts the records it took from the pipe."""

    received: int
    queued: int
    written: int
    dropped: int
    write_errors: int
    degraded: bool
    schema_ready: bool
    last_error: str | None


class SharedCounts:
    """The child's counters in shared memory, read by the parent without a message.

    A sequence lock: the child makes the sequence number odd while it writes; a reader
    retries until it reads the same even number before and after the values.
    """

    SEQ: Final = struct.Struct("<q")
    NUMBERS: Final = struct.Struct("<7q")  # Counts' numbers and flags, in order
    ERROR: Final = struct.Struct("<i")  # the last error's length in bytes (-1: none)
    ERROR_MAX: Final = 1000
    TRIES: Final = 10_000  # a child killed while writing leaves the sequence odd

    def __init__(self) -> None:
        self._numbers_at = self.SEQ.size
        self._error_at = self._numbers_at + self.NUMBERS.size
        self._text_at = self._error_at + self.ERROR.size
        self._mem = mmap.mmap(-1, self._text_at + self.ERROR_MAX)
        self.ERROR.pack_into(self._mem, self._error_at, -1)
        self._seq = 0
        self._writing = threading.Lock()  # the child's loop and its flushing threads
        self.received = 0  # the child's count of the records it took from the pipe

    def publish(self, stats: WriterStats, schema_ready: bool) -> None:
        """The child's side: write the counters (and :attr:`received`)."""
        with self._writing:
            self._write(self.received, stats, schema_ready)

    def _write(self, received: int, stats: WriterStats, schema_ready: bool) -> None:
        text = (stats.last_error or "").encode()[: self.ERROR_MAX]
        self._seq += 1
        self.SEQ.pack_into(self._mem, 0, self._seq)
        self.NUMBERS.pack_into(
            self._mem, self._numbers_at, received, stats.queued, stats.written,
            stats.dropped, stats.write_errors, int(stats.degraded), int(schema_ready),
        )  # fmt: skip
        size = -1 if stats.last_error is None else len(text)
        self.ERROR.pack_into(self._mem, self._error_at, size)
        self._mem[self._text_at : self._text_at + len(text)] = text
        self._seq += 1
        self.SEQ.pack_into(self._mem, 0, self._seq)

    def read(self) -> Counts:
        """The parent's side: the counters as last published (zeros before the first)."""
        for _ in range(self.TRIES):
            (seq,) = self.SEQ.unpack_from(self._mem, 0)
            numbers = self.NUMBERS.unpack_from(self._mem, self._numbers_at)
            (size,) = self.ERROR.unpack_from(self._mem, self._error_at)
            text = bytes(self._mem[self._text_at : self._text_at + max(size, 0)])
            if seq % 2 == 0 and self.SEQ.unpack_from(self._mem, 0)[0] == seq:
                break
            time.sleep(0)  # the child is writing them: a few µs
        received, queued, written, dropped, errors, degraded, ready = numbers
        error = None if size < 0 else text.decode(errors="replace")
        return Counts(
            received, queued, written, dropped, errors, bool(degraded), bool(ready), error
        )
