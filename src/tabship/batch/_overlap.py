"""Reading the next chunk and writing the last one while the current one is scored.

Batch scoring is three stages per chunk: parse (pandas' tokenizer runs without the
GIL), score (validation in Python, then LightGBM's or Treelite's C library, which
release it) and write (pyarrow's CSV writer releases it too). Run one after the other
they leave the second core idle most of the time; here the parse of chunk k+1 and the
write of chunk k-1 run in two threads beside the scoring of chunk k. One chunk waits at
most in each queue, so memory stays bounded by a few chunks whatever the file size.
An error in either thread is raised in the scoring thread, as if it had happened there.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Generic, TypeVar

__all__ = ["ReadAhead", "WriteBehind"]

T = TypeVar("T")
_END = object()


class ReadAhead(Generic[T]):
    """Iterates ``chunks`` in a thread of its own, one chunk ahead of its reader.

    Used as a context manager: leaving it early (an error while scoring) stops the
    thread and closes ``chunks`` in it.
    """

    def __init__(self, chunks: Generator[T, None, None]) -> None:
        self._chunks = chunks
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tabship-read", daemon=True)

    def __enter__(self) -> ReadAhead[T]:
        self._thread.start()
        return self

    def __exit__(self, *raised: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            self._drain()  # a reader blocked on a full queue sees the stop
            self._thread.join(timeout=0.05)

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]

    def _run(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as error:  # noqa: BLE001 - raised again in the reader
            self._put(_Failure(error))
        finally:
            self._chunks.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass


class WriteBehind(Generic[T]):
    """Calls ``write`` on each submitted item in a thread of its own, in order.

    ``submit`` waits while one item is still queued; an error ``write`` raised comes
    back from the next ``submit`` or from leaving the context, which waits until every
    item is written.
    """

    def __init__(self, write: Callable[[T], None]) -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tabship-write", daemon=True)

    def __enter__(self) -> WriteBehind[T]:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *raised: object) -> None:
        self._queue.put(_END)
        self._thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def submit(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is None:
                try:
                    self._write(item)  # type: ignore[arg-type]
                except BaseException as error:  # noqa: BLE001 - raised in the submitter
                    self._error = error


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
