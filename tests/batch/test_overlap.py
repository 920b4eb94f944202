"""Reading ahead and writing behind: order kept, errors raised where the scoring runs,
threads gone when the run ends early."""

from __future__ import annotations

import threading
from collections.abc import Generator

import pytest

from tabship.batch._overlap import ReadAhead, WriteBehind


def numbers(n: int, closed: threading.Event, fail_at: int | None = None) -> Generator[int]:
    try:
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"bad chunk {i}")
            yield i
    finally:
        closed.set()


def test_read_ahead_yields_every_chunk_in_order():
    closed = threading.Event()
    with ReadAhead(numbers(50, closed)) as ahead:
        assert list(ahead) == list(range(50))
    assert closed.is_set()


def test_a_reading_error_is_raised_in_the_reader_after_the_chunks_before_it():
    closed = threading.Event()
    seen: list[int] = []
    with pytest.raises(ValueError, match="bad chunk 3"), ReadAhead(numbers(9, closed, 3)) as ahead:
        seen.extend(ahead)
    assert seen == [0, 1, 2] and closed.is_set()


def test_leaving_early_stops_the_thread_and_closes_the_chunks():
    closed = threading.Event()
    with pytest.raises(KeyError), ReadAhead(numbers(10**9, closed)) as ahead:
        for i in ahead:
            if i == 2:
                raise KeyError("scoring failed")
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "tabship-read"]


def test_write_behind_writes_in_order_before_leaving():
    written: list[int] = []
    with WriteBehind(written.append) as behind:
        for i in range(100):
            behind.submit(i)
    assert written == list(range(100))


def test_a_writing_error_comes_back_to_the_submitter():
    def write(item: int) -> None:
        if item == 1:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), WriteBehind(write) as behind:
        for i in range(2):
            behind.submit(i)
    # raised by the next submit, or on leaving when it was the last item
    with pytest.raises(OSError, match="disk full"), WriteBehind(write) as behind:
        for i in range(50):
            behind.submit(i)
