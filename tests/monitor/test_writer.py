"""The background writer: never blocks the caller, loses nothing it accepted, counts the rest."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tabship.monitor import LogWriter, PredictionLog, open_log
from tabship.monitor._record import prepare_batch
from tests.monitor._records import record
from tests.monitor.test_log import REFERENCE

MODEL = "c" * 64


def test_close_writes_everything_queued(log: PredictionLog):
    writer = LogWriter(log, model=MODEL, flush_seconds=30, flush_rows=200)
    sent = [record({"age": i}) for i in range(1234)]
    for start in range(0, len(sent), 7):
        writer.submit(sent[start : start + 7])
    writer.close()
    stats = writer.snapshot()
    assert (stats.written, stats.dropped, stats.queued, stats.write_errors) == (1234, 0, 0, 0)
    assert log.count(MODEL) == 1234
    assert {r.id for r in log.recent_rows(MODEL, 2000)} == {r.id for r in sent}


def test_flush_writes_now_without_waiting_for_the_batch_window(log: PredictionLog):
    with LogWriter(log, model=MODEL, flush_seconds=3600, flush_rows=10_000) as writer:
        writer.submit([record(), record(), record()])
        assert writer.flush(timeout=30)
        assert log.count(MODEL) == 3
        writer.submit([record()])
        assert writer.flush(timeout=30)
        assert log.count(MODEL) == 4


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path: Path):
    log = open_log(f"sqlite:///{tmp_path}/full.db")
    writer = LogWriter(log, model=MODEL, max_queue=10, flush_seconds=3600, flush_rows=1000)
    started = time.perf_counter()
    writer.submit([record() for _ in range(25)])
    writer.submit([record() for _ in range(5)])
    took = time.perf_counter() - started
    stats = writer.snapshot()
    assert (stats.queued, stats.dropped, stats.written) == (10, 20, 0)
    assert took < 0.5
    writer.close()
    assert writer.snapshot().written == 10
    assert log.count(MODEL) == 10
    writer.submit([record()])  # after close: dropped and counted, still no error
    assert writer.snapshot().dropped == 21


def test_deferred_records_are_made_on_the_writers_thread_and_counted_alike(tmp_path: Path):
    log = open_log(f"sqlite:///{tmp_path}/later.db")
    writer = LogWriter(log, model=MODEL, max_queue=10, flush_seconds=3600, flush_rows=1000)
    made_on: list[str] = []

    def make(n: int):
        def records():
            made_on.append(threading.current_thread().name)
            return [record({"age": i}) for i in range(n)]

        return records

    writer.submit_later(4, make(4))
    writer.submit_later(8, make(8))  # 6 fit: the first 6 it makes are kept
    assert not made_on  # nothing made on the caller's side
    stats = writer.snapshot()
    assert (stats.queued, stats.dropped) == (10, 2)
    writer.close()
    assert made_on == ["tabship-log-writer"] * 2
    assert (writer.snapshot().written, log.count(MODEL)) == (10, 10)


def test_a_deferred_maker_that_fails_costs_its_own_rows_only(log: PredictionLog):
    def broken():
        raise ValueError("no records today")

    with LogWriter(log, model=MODEL, flush_seconds=3600, flush_rows=1000) as writer:
        writer.submit([record()])
        writer.submit_later(3, broken)
        writer.submit_later(2, lambda: [record()])  # makes fewer than it said: 1 dropped
        writer.submit([record()])
        assert writer.flush(timeout=30)
        stats = writer.snapshot()
    assert (stats.written, stats.dropped, stats.queued) == (3, 4, 0)
    assert log.count(MODEL) == 3


def test_excluded_fields_are_neither_logged_nor_counted(log: PredictionLog):
    with LogWriter(log, model=MODEL, reference=REFERENCE, exclude=frozenset({"smoker"})) as writer:
        writer.submit([record({"age": 45, "smoker": "yes"}, 2.0) for _ in range(4)])
    assert set(log.window_counts(MODEL)) == {"age", "__prediction__"}
    assert log.window_counts(MODEL)["age"] == {1: 4}
    assert all(row.inputs == {"age": 45} for row in log.recent_rows(MODEL, 10))


def test_retention_purges_this_models_old_rows(log: PredictionLog):
    old = datetime.now(UTC) - timedelta(days=40)
    log.append(MODEL, prepare_batch(MODEL, [record(ts=old) for _ in range(5)]))
    log.append("d" * 64, prepare_batch("d" * 64, [record(ts=old)]))
    with LogWriter(log, model=MODEL, retention=timedelta(days=30)) as writer:
        writer.submit([record()])
    assert log.count(MODEL) == 1
    assert log.count("d" * 64) == 1


WORKER = """
import sys
from tabship.monitor import LogWriter, LogRecord, new_record_id, open_log
from datetime import UTC, datetime
log = open_log(sys.argv[1])
writer = LogWriter(log, model=sys.argv[2], flush_seconds=0.01, flush_rows=25)
for i in range(int(sys.argv[3])):
    writer.submit([LogRecord(new_record_id(), datetime.now(UTC), "/predict", {"i": i}, float(i))])
if len(sys.argv) < 5:  # "no-close": leave it to the interpreter's exit
    writer.close()
    assert writer.snapshot().written == int(sys.argv[3]), writer.snapshot()
"""


@pytest.mark.integration
def test_several_processes_write_one_sqlite_file(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/shared.db"
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, url, MODEL, "400"], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    log = open_log(url)
    assert log.count(MODEL) == 1600
    assert sum(h.records for h in log.hours(MODEL)) == 1600


@pytest.mark.integration
def test_a_process_that_never_closes_its_writer_still_writes_everything(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/exit.db"
    script = WORKER.replace("0.01", "3600").replace("flush_rows=25", "flush_rows=10_000")
    command = [sys.executable, "-c", script, url, MODEL, "300", "no-close"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert open_log(url).count(MODEL) == 300


def test_a_batch_larger_than_one_statement_is_written_whole_and_once(log: PredictionLog):
    """SQLite takes a batch's rows by at most 999 values a statement: 250 rows of ten
    columns are three statements, whose rows, bins and hourly sums must all land."""
    now = datetime.now(UTC)
    earlier = now - timedelta(hours=2)
    ages = [10] * 100 + [40] * 100 + [70] * 50  # bins 0, 1, 2 of REFERENCE's age
    sent = [record({"age": age, "smoker": "no"}, 0.5, ts=earlier if i % 2 else now,
                   latency_ms=1) for i, age in enumerate(ages)]  # fmt: skip
    batch = prepare_batch(MODEL, sent, REFERENCE)
    log.append(MODEL, batch)
    assert log.count(MODEL) == 250
    assert {r.id for r in log.recent_rows(MODEL, 250)} == {r.id for r in sent}
    assert log.window_counts(MODEL, timedelta(hours=3))["age"] == {0: 100, 1: 100, 2: 50}
    assert [h.records for h in log.hours(MODEL)] == [125, 125]
    log.append(MODEL, batch)  # a batch retried after an uncertain commit: no row twice
    assert log.count(MODEL) == 250
