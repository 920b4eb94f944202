"""A database that goes away under writes: nothing fails, one warning, writing resumes."""

from __future__ import annotations

import logging

import pytest

from tabship.monitor import LogWriter, open_log
from tests._postgres import PostgresServer
from tests.monitor._records import record

MODEL = "e" * 64
WARNING = "Cannot write to the prediction log"


@pytest.mark.integration
def test_postgresql_stopped_and_restarted_under_writes(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="tabship.monitor")
    log = open_log(postgres_server.new_database())
    writer = LogWriter(log, model=MODEL, flush_seconds=0.05, flush_rows=50)
    try:
        writer.submit([record() for _ in range(100)])
        assert writer.flush(timeout=30)

        postgres_server.stop()
        try:
            for _ in range(30):  # requests keep coming while the database is down
                writer.submit([record(), record()])
            assert not writer.flush(timeout=2.0)  # several retries fail meanwhile
            during = writer.snapshot()
            assert during.degraded and during.write_errors >= 2
            assert during.queued == 60 and during.dropped == 0
            assert "127.0.0.1" in (during.last_error or "")
        finally:
            postgres_server.start()

        assert writer.flush(timeout=60)
        writer.submit([record() for _ in range(10)])  # rows after the outage
        writer.close()
    finally:
        writer.close()
    after = writer.snapshot()
    assert (after.written, after.dropped, after.queued, after.degraded) == (170, 0, 0, False)
    assert log.count(MODEL) == 170
    warnings = [r for r in caplog.records if r.getMessage().startswith(WARNING)]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert "s3cret" not in caplog.text  # the password stays out of the logs
    assert "writable again" in caplog.text
    log.close()


@pytest.mark.integration
def test_a_log_opened_while_the_database_is_down_is_made_when_it_comes_up(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="tabship.monitor")
    url = postgres_server.new_database()
    postgres_server.stop()
    try:
        log = open_log(url, connect=False)  # --log-optional: start degraded
        assert not log.schema_ready
        writer = LogWriter(log, model=MODEL, flush_seconds=0.05)
        writer.submit([record() for _ in range(5)])
        assert not writer.flush(timeout=1.0)
        assert writer.snapshot().degraded
    finally:
        postgres_server.start()
    assert writer.flush(timeout=60)
    writer.close()
    assert log.schema_ready and log.count(MODEL) == 5
    assert writer.snapshot().written == 5
    assert sum(r.getMessage().startswith(WARNING) for r in caplog.records) == 1
    log.close()


@pytest.mark.integration
def test_a_row_the_database_refuses_costs_only_itself(postgres_server: PostgresServer):
    log = open_log(postgres_server.new_database())
    good = [record(prediction="yes") for _ in range(6)]
    bad = record(prediction="n\x00o")  # PostgreSQL text cannot hold a NUL character
    with LogWriter(log, model=MODEL, flush_seconds=3600) as writer:
        writer.submit([*good[:3], bad, *good[3:]])
        assert writer.flush(timeout=30)
        stats = writer.snapshot()
    assert (stats.written, stats.dropped, stats.queued, stats.degraded) == (6, 1, 0, False)
    assert stats.write_errors == 2  # the batch, then the bad row alone
    assert "NUL" in (stats.last_error or "")
    assert {r.id for r in log.recent_rows(MODEL, 10)} == {r.id for r in good}
    log.close()
