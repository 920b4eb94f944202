"""The prediction log on SQLite and on a real PostgreSQL: rows in, rows and aggregates out."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tabship.data import DriftReferences
from tabship.errors import LogError
from tabship.monitor import PREDICTION, SCHEMA_VERSION, PredictionLog, model_hash, open_log
from tabship.monitor._record import prepare_batch
from tabship.monitor._tables import meta
from tests._postgres import PASSWORD, USER, PostgresServer
from tests.monitor._records import record

MODEL = "a" * 64
OTHER = "b" * 64

REFERENCE: DriftReferences = {
    "features": {
        "age": {"kind": "numeric", "edges": [30.0, 50.0], "categories": [], "counts": [3, 3, 3],
                "missing": 0},
        "smoker": {"kind": "categorical", "edges": [], "categories": ["no", "yes"],
                   "counts": [6, 3, 0], "missing": 0},
    },
    "prediction": {"kind": "numeric", "edges": [1.0], "categories": [], "counts": [4, 5],
                   "missing": 0},
}  # fmt: skip


def test_a_new_log_records_its_schema_version(log: PredictionLog):
    with log.engine.connect() as conn:
        rows = dict(conn.execute(meta.select()).all())
    assert rows == {"schema_version": SCHEMA_VERSION}
    assert log.schema_ready


def test_reopening_keeps_the_rows(log_url: str):
    first = open_log(log_url)
    first.append(MODEL, prepare_batch(MODEL, [record(), record()]))
    first.close()
    again = open_log(log_url)
    assert again.count(MODEL) == 2
    again.close()


def test_a_log_of_another_schema_version_is_refused(log: PredictionLog, log_url: str):
    with log.writing() as conn:
        conn.execute(update(meta).values(value="99"))
    with pytest.raises(LogError, match="schema version '99'.*version '1'"):
        open_log(log_url)


def test_rows_round_trip(log: PredictionLog):
    sent = record(
        {"age": 61, "smoker": "yes", "bmi": math.nan},
        "yes",
        probabilities={"no": 0.25, "yes": 0.75},
        latency_ms=3.5,
    )
    log.append(MODEL, prepare_batch(MODEL, [sent]))
    [row] = log.recent_rows(MODEL, 10)
    assert row.id == sent.id
    assert row.ts == sent.ts and row.ts.tzinfo is not None
    assert row.inputs == {"age": 61, "smoker": "yes", "bmi": None}  # NaN stored as null
    assert row.prediction == "yes"
    assert row.probabilities == {"no": 0.25, "yes": 0.75}
    assert row.latency_ms == 3.5
    assert row.actual is None and row.feedback_ts is None


def test_excluded_fields_are_not_stored(log: PredictionLog):
    batch = prepare_batch(
        MODEL, [record({"age": 30, "name": "Ada"})], REFERENCE, frozenset({"name"})
    )
    log.append(MODEL, batch)
    assert log.recent_rows(MODEL, 1)[0].inputs == {"age": 30}


def test_models_are_kept_apart(log: PredictionLog):
    log.append(MODEL, prepare_batch(MODEL, [record() for _ in range(3)], REFERENCE))
    log.append(OTHER, prepare_batch(OTHER, [record()], REFERENCE))
    assert log.count(MODEL) == 3 and log.count(OTHER) == 1
    assert log.models() == {MODEL: 3, OTHER: 1}
    assert len(log.recent_rows(OTHER, 10)) == 1
    assert log.window_counts(OTHER)["age"] == {1: 1}


def test_window_counts_add_up_over_batches_and_skip_excluded_fields(log: PredictionLog):
    first = [record({"age": 25, "smoker": "no"}, 0.5), record({"age": None, "smoker": "yes"}, 2.0)]
    second = [record({"age": 70, "smoker": "maybe"}, 3.0), record({"age": 26, "smoker": None}, 0.1)]
    for batch in (first, second):
        log.append(MODEL, prepare_batch(MODEL, batch, REFERENCE, frozenset({"smoker"})))
    counts = log.window_counts(MODEL)
    assert counts == {"age": {0: 2, -1: 1, 2: 1}, PREDICTION: {0: 2, 1: 2}}
    assert log.window_counts(MODEL, timedelta(hours=1)) == counts
    assert log.window_counts(MODEL, datetime.now(UTC) + timedelta(hours=2)) == {}


def test_counts_of_categories_include_other_and_missing(log: PredictionLog):
    rows = [record({"age": 1, "smoker": s}) for s in ("no", "no", "yes", "maybe", None)]
    log.append(MODEL, prepare_batch(MODEL, rows, REFERENCE))
    assert log.window_counts(MODEL)["smoker"] == {0: 2, 1: 1, 2: 1, -1: 1}


def test_hours_sum_volume_and_latency(log: PredictionLog):
    now = datetime.now(UTC)
    earlier = now - timedelta(hours=3)
    batch = [record(ts=earlier, latency_ms=4), record(latency_ms=1), record(latency_ms=5)]
    log.append(MODEL, prepare_batch(MODEL, batch))
    log.append(MODEL, prepare_batch(MODEL, [record(latency_ms=9)]))
    old, new = log.hours(MODEL)
    assert old.hour == earlier.replace(minute=0, second=0, microsecond=0)
    assert (old.records, old.latency_ms_sum, old.latency_ms_max) == (1, 4.0, 4.0)
    assert (new.records, new.latency_ms_sum, new.latency_ms_max) == (3, 15.0, 9.0)
    assert new.latency_ms_mean == 5.0
    assert [h.records for h in log.hours(MODEL, timedelta(hours=1))] == [3]
    assert log.count(MODEL, timedelta(hours=1)) == 3


def test_recent_rows_are_the_last_ones_oldest_first(log: PredictionLog):
    start = datetime.now(UTC) - timedelta(minutes=10)
    sent = [record({"age": i}, float(i), ts=start + timedelta(seconds=i)) for i in range(8)]
    log.append(MODEL, prepare_batch(MODEL, sent[4:]))
    log.append(MODEL, prepare_batch(MODEL, sent[:4]))
    assert [r.id for r in log.recent_rows(MODEL, 3)] == [r.id for r in sent[5:]]
    assert log.recent_rows(MODEL, 0) == []


def test_a_batch_written_twice_is_stored_once(log: PredictionLog):
    batch = prepare_batch(MODEL, [record(), record()])
    log.append(MODEL, batch)
    log.append(MODEL, batch)
    assert log.count(MODEL) == 2


def test_a_batch_partly_logged_already_adds_only_its_new_rows(log: PredictionLog):
    sent = [record({"age": i}) for i in range(4)]
    log.append(MODEL, prepare_batch(MODEL, sent[:2]))
    log.append(MODEL, prepare_batch(MODEL, sent))  # PostgreSQL: the direct copy is refused
    assert log.count(MODEL) == 4
    assert {r.id for r in log.recent_rows(MODEL, 10)} == {r.id for r in sent}


def test_purge_deletes_old_rows_counts_and_hours(log: PredictionLog):
    now = datetime.now(UTC)
    old = [record({"age": 20}, ts=now - timedelta(days=40)) for _ in range(3)]
    new = [record({"age": 60}, ts=now - timedelta(days=1)) for _ in range(2)]
    log.append(MODEL, prepare_batch(MODEL, old + new, REFERENCE))
    log.append(OTHER, prepare_batch(OTHER, [record(ts=now - timedelta(days=40))], REFERENCE))
    assert log.purge(timedelta(days=30), model=MODEL) == 3
    assert log.count(MODEL) == 2
    assert log.window_counts(MODEL)["age"] == {2: 2}
    assert [h.records for h in log.hours(MODEL)] == [2]
    assert log.count(OTHER) == 1  # another model's rows: not this purge's business
    assert log.purge(timedelta(days=30)) == 1
    assert log.count(OTHER) == 0 and log.hours(OTHER) == []


def test_model_hash_depends_on_the_files_only():
    files = {"model.skops": "1" * 64, "schema.json": "2" * 64}
    first = model_hash({"format": "tabship-model", "created": "monday", "files": files})
    second = model_hash({"format": "tabship-model", "created": "friday", "files": dict(files)})
    assert first == second and len(first) == 64
    assert model_hash({"files": {**files, "schema.json": "3" * 64}}) != first


def test_sqlite_log_is_in_wal_mode(tmp_path: Path):
    log = open_log(f"sqlite:///{tmp_path}/wal.db")
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    log.close()


@pytest.mark.integration
def test_workers_starting_together_make_the_tables_once(log_url: str):
    code = "import sys; from tabship.monitor import open_log; open_log(sys.argv[1]).close()"
    starting = [
        subprocess.Popen([sys.executable, "-c", code, log_url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for worker in starting:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    log = open_log(log_url)
    assert log.count(MODEL) == 0
    log.close()


def test_the_log_loads_no_training_table_or_web_library():
    code = "import sys, tabship.monitor; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())  # fmt: skip
    assert not {"pandas", "sklearn", "lightgbm", "fastapi", "starlette", "psycopg"} & loaded
    assert "sqlalchemy" in loaded


@pytest.mark.integration
def test_a_read_only_user_can_open_and_read_a_log(postgres_server: PostgresServer):
    import psycopg

    url = postgres_server.new_database()
    log = open_log(url)
    log.append(MODEL, prepare_batch(MODEL, [record(), record()], REFERENCE))
    log.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    reader = open_log(url.replace(f"{USER}:{PASSWORD}", "reader:reader-pw"))
    assert reader.count(MODEL) == 2
    assert reader.window_counts(MODEL)["smoker"] == {0: 2}
    reader.close()
