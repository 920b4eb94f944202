"""The writer in a forked process: what the thread writer promises, across a pipe.

Every test forks a real child that writes to a real log; the parent's side is checked
through the log's rows and the counters the child publishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from tabship.monitor import LogRecord, PredictionLog, WriterProcess, open_log
from tests.monitor._records import record

MODEL = "d" * 64
ROOT = Path(__file__).resolve().parents[2]


def records_of(payload: Any) -> Sequence[LogRecord]:
    """The payload the tests submit: a list of ages, one record each."""
    return [record({"age": age}) for age in payload]


def test_every_submitted_record_is_written_by_close(log_url: str, log: PredictionLog):
    writer = WriterProcess(log_url, records_of, model=MODEL, ship_seconds=0.01)
    for start in range(0, 1000, 10):
        writer.submit(10, list(range(start, start + 10)))
    writer.close()
    stats = writer.snapshot()
    assert (stats.written, stats.dropped, stats.queued, stats.write_errors) == (1000, 0, 0, 0)
    assert sorted(r.inputs["age"] for r in log.recent_rows(MODEL, 2000)) == list(range(1000))
    assert not psutil.pid_exists(writer.pid)


def test_flush_writes_now_and_the_counters_show_it(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    log = open_log(url)
    writer = WriterProcess(url, records_of, model=MODEL, ship_seconds=3600, flush_seconds=3600)
    with closing(writer) as w:
        w.submit(3, [1, 2, 3])
        assert w.snapshot().queued == 3
        assert w.flush(timeout=30)
        assert log.count(MODEL) == 3
        assert (w.snapshot().written, w.snapshot().queued) == (3, 0)
        assert w.schema_ready
    log.close()


def test_a_full_queue_drops_and_counts_and_an_answer_is_cut_at_the_bound(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    writer = WriterProcess(url, records_of, model=MODEL, max_queue=10, ship_seconds=3600)
    writer.submit(25, list(range(25)))  # the first 10 fit
    writer.submit(5, list(range(5)))
    assert (writer.snapshot().queued, writer.snapshot().dropped) == (10, 20)
    writer.close()
    assert (writer.snapshot().written, writer.snapshot().dropped) == (10, 20)


def test_room_made_by_the_child_is_seen_without_waiting_for_another_shipment(tmp_path: Path):
    """The queue's bound counts what the child holds as of the last shipment; when that
    says full, submit looks again (otherwise a full queue, which ships nothing, would
    never see the child catch up: every later answer dropped)."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    writer = WriterProcess(url, records_of, model=MODEL, max_queue=10, ship_seconds=3600)
    writer.submit(10, list(range(10)))
    assert writer.flush(timeout=30)  # shipped (the child held 10 then), and written
    writer.submit(5, list(range(5)))
    assert writer.snapshot().dropped == 0
    writer.close()
    assert writer.snapshot().written == 15


def test_a_payload_that_cannot_be_sent_costs_its_own_rows_only(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    writer = WriterProcess(url, records_of, model=MODEL, ship_seconds=3600)
    writer.submit(2, [1, 2])
    writer.submit(1, [threading.Lock()])  # not picklable
    writer.submit(2, [3, 4])
    assert writer.flush(timeout=30)
    stats = writer.snapshot()
    assert (stats.written, stats.dropped) == (4, 1)
    writer.close()


def test_the_child_ignores_the_signals_meant_for_the_worker(tmp_path: Path):
    """Ctrl-C or a signal to the process group reaches the child too: it keeps writing
    until its parent closes it."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    writer = WriterProcess(url, records_of, model=MODEL, ship_seconds=3600)
    writer.submit(2, [1, 2])
    os.kill(writer.pid, signal.SIGTERM)
    os.kill(writer.pid, signal.SIGINT)
    writer.submit(1, [3])
    assert writer.flush(timeout=30)
    writer.close()
    assert writer.snapshot().written == 3


def test_a_dead_child_degrades_the_log_and_drops_without_blocking(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    writer = WriterProcess(url, records_of, model=MODEL, ship_seconds=3600)
    os.kill(writer.pid, signal.SIGKILL)
    os.waitid(os.P_PID, writer.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
    writer.submit(2, [1, 2])
    assert not writer.flush(timeout=30)  # the send fails: the child is gone
    writer.submit(1, [3])
    stats = writer.snapshot()
    assert stats.degraded and stats.last_error
    assert (stats.written, stats.dropped) == (0, 3)
    writer.close()


KILLED_PARENT = """
import os, signal, sys, time
from datetime import UTC, datetime
from tabship.monitor import LogRecord, WriterProcess, new_record_id

def make(ages):
    return [LogRecord(id=new_record_id(), ts=datetime.now(UTC), route="/predict",
                      inputs={"age": a}, prediction=1.0) for a in ages]

writer = WriterProcess(sys.argv[1], make, model="d" * 64, ship_seconds=0.01,
                       flush_seconds=3600, flush_rows=100_000)
for start in range(0, 300, 3):
    writer.submit(3, [start, start + 1, start + 2])
while writer._shared.read().received < 300:  # all of them in the child, none written
    time.sleep(0.01)
print(writer.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_child_writes_what_it_holds_when_its_worker_is_killed(tmp_path: Path):
    """kill -9 of the worker: the pipe ends and the child writes every record it was
    sent before it exits (only records not yet shipped are lost)."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    open_log(url).close()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_PARENT), url],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    if psutil.pid_exists(child):
        psutil.Process(child).wait(timeout=60)
    log = open_log(url)
    assert log.count(MODEL) == 300
    log.close()


def float_ages(payload: Any) -> Sequence[LogRecord]:
    return [record({"age": float(age)}) for age in payload]


class MakesADirectory:
    """Unpickled, it calls os.mkdir: what a pickle naming any callable can do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def test_the_child_loads_an_answers_values_and_no_other_callable(tmp_path: Path):
    """numpy's arrays and scalars load; a message naming another callable is refused
    before it runs and costs its own rows only."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    log = open_log(url)
    marker = tmp_path / "ran"
    writer = WriterProcess(url, float_ages, model=MODEL, ship_seconds=3600)
    writer.submit(2, np.array([5.0, 6.0]))
    writer.submit(1, [MakesADirectory(marker)])
    writer.submit(1, [np.float64(7.0)])
    assert writer.flush(timeout=30)
    stats = writer.snapshot()
    writer.close()
    assert not marker.exists()
    assert (stats.written, stats.dropped) == (3, 1)
    assert sorted(r.inputs["age"] for r in log.recent_rows(MODEL, 10)) == [5.0, 6.0, 7.0]
    log.close()
