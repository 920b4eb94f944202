"""The prediction log under faults: SIGTERM under load, kill -9 of a worker, and a
PostgreSQL server stopped and restarted under load.

Each test runs a server of its own, most with two workers (the options reach them
through the environment, as in production), and client threads predicting throughout; every id an
answer carried is then looked for in the log's table. Waits are on conditions with
generous deadlines, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tabship.cli.serve import GRACEFUL_SHUTDOWN_S
from tests._postgres import postgres_server  # noqa: F401  (the session fixture)
from tests.serve._monitored import DEADLINE_S, Load, logged_ids, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACKENDS = ["sqlite", "postgresql"]
FLUSH_WINDOW_S = 0.2  # LogWriter's flush_seconds
FLUSH_ROWS = 500  # LogWriter's flush_rows
MEASURED = Path(os.environ.get("TABSHIP_MEASURED", "/tmp")) / "tabship-kill9.json"


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


def log_url_for(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'log.db'}"
    return request.getfixturevalue("postgres_server").new_database()


def example(url: str) -> dict[str, object]:
    return httpx.get(f"{url}/metadata").json()["schema"]["example"]


def metric(url: str, name: str) -> float:
    """The value of an unlabelled metric in /metrics (0 when absent)."""
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_under_load_loses_no_answered_prediction(insurance, tmp_path, request, backend):
    log_url = log_url_for(backend, tmp_path, request)
    with start_server(insurance, tmp_path, "--log", log_url, workers=2) as server:
        load = Load(server.url, example(server.url), threads=4, stop_on_refusal=True)
        with load:
            wait_for(lambda: load.count() >= 300, "300 answered predictions")
            # /metrics merges the workers' counters (each worker syncs every second).
            wait_for(
                lambda: metric(server.url, "tabship_log_rows_written_total") >= 100,
                "rows written in /metrics",
            )
            server.process.send_signal(signal.SIGTERM)
            # The clients stop as a load balancer would; what they had sent is answered.
            # (uvicorn keeps serving a connection that never pauses, so they must stop.)
        server.process.wait(timeout=DEADLINE_S)
        assert server.process.returncode == 0, server.output()
    assert not load.failures, load.failures[:5]
    answered = set(load.answered)
    missing = answered - logged_ids(log_url)
    assert len(answered) >= 300
    assert not missing, f"{len(missing)} of {len(answered)} answered predictions not logged"


def test_sigterm_with_clients_that_never_pause_still_writes_the_log(insurance, tmp_path):
    """Clients that keep their connections busy through the shutdown: the workers stop
    waiting for them after the graceful timeout, then write their queues and exit."""
    log_url = f"sqlite:///{tmp_path / 'log.db'}"
    with start_server(insurance, tmp_path, "--log", log_url, workers=2) as server:
        load = Load(server.url, example(server.url), threads=4, stop_on_refusal=True)
        with load:
            wait_for(lambda: load.count() >= 300, "300 answered predictions")
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(timeout=DEADLINE_S)
            took = time.monotonic() - signalled
        assert server.process.returncode == 0, server.output()
    assert took < GRACEFUL_SHUTDOWN_S + 30, took
    answered = set(load.answered)
    missing = answered - logged_ids(log_url)
    assert not missing, f"{len(missing)} of {len(answered)} answered predictions not logged"


def test_kill_9_of_a_worker_loses_at_most_the_unflushed_window(insurance, tmp_path):
    """kill -9 leaves the worker no time to flush, but its log's writer is a process
    of its own that outlives it and writes everything it was handed: what is lost is
    what the worker had not yet shipped to it (answers are shipped every 100 ms). The
    bound asserted is still one writer batch, 500 rows. The loss in rows and in
    milliseconds of traffic is written to MEASURED (the README quotes it)."""
    log_url = f"sqlite:///{tmp_path / 'log.db'}"
    with start_server(insurance, tmp_path, "--log", log_url, workers=2) as server:
        children = psutil.Process(server.process.pid).children(recursive=False)
        workers = children  # forked from the parent: every child is a worker
        assert len(workers) >= 2, [w.cmdline() for w in workers]
        load = Load(server.url, example(server.url), threads=4, stop_on_refusal=False)
        with load:
            wait_for(lambda: load.count() >= 500, "500 answered predictions")
            before = load.count()
            busiest = max(workers, key=lambda w: sum(w.cpu_times()[:2]))  # the one with traffic
            os.kill(busiest.pid, signal.SIGKILL)
            rate = before / (time.monotonic() - load.started)  # the traffic before the kill
            wait_for(lambda: load.count() >= before + 300, "300 more answers after the kill")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=DEADLINE_S)
    # A request the killed worker was answering fails; none other may.
    assert len(load.failures) <= load.threads, load.failures[:5]
    answered = set(load.answered)
    missing = len(answered - logged_ids(log_url))
    # In time the loss is one window (200 ms) plus one write, which a busy machine can
    # stretch (measured up to 0.66 s of traffic on 2 shared cores); in rows it stays
    # under one batch.
    bound = FLUSH_ROWS
    MEASURED.write_text(
        json.dumps(
            {
                "answered": len(answered),
                "missing": missing,
                "rate_per_s": round(rate, 1),
                "missing_ms_of_traffic": round(1000 * missing / rate, 1),
                "bound_rows": bound,
                "window_rows": round(rate * FLUSH_WINDOW_S, 1),
            }
        )
    )
    assert missing <= bound, f"{missing} lost at {rate:.0f}/s (bound {bound} rows)"


def test_postgresql_down_under_load_fails_no_request_and_logs_after_it(
    insurance, tmp_path, request
):
    database = request.getfixturevalue("postgres_server")
    log_url = database.new_database()
    # One worker: /ready and /metrics then speak for the worker that met the outage.
    with start_server(insurance, tmp_path, "--log", log_url, workers=1) as server:
        load = Load(server.url, example(server.url), threads=3)
        with load:
            wait_for(lambda: load.count() >= 200, "200 answered predictions")
            database.stop()
            try:
                stopped = time.monotonic()
                at_stop = load.count()
                wait_for(
                    lambda: metric(server.url, "tabship_log_write_errors_total") > 0,
                    "write errors in /metrics",
                )
                wait_for(
                    lambda: load.count() >= at_stop + 200 and time.monotonic() - stopped >= 10,
                    "200 answers and 10 s while the database is down",
                )
                assert httpx.get(f"{server.url}/ready").json()["log"] == "degraded"
            finally:
                database.start()
            wait_for(
                lambda: httpx.get(f"{server.url}/ready").json()["log"] == "ok",
                "the log writable again",
            )
            wait_for(
                lambda: metric(server.url, "tabship_log_queue_depth") < 1000,
                "the outage's backlog written",
            )
            # From here on the writer has caught up with the outage's backlog (a full queue
            # meanwhile drops and counts rows, checked below), so nothing may be missing.
            restarted = load.count()
            wait_for(lambda: load.count() >= restarted + 200, "200 answers after the restart")
        after = set(load.answered[restarted:])
        assert metric(server.url, "tabship_log_write_errors_total") > 0
        dropped = metric(server.url, "tabship_log_rows_dropped_total")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=DEADLINE_S)
    assert not load.failures, load.failures[:5]
    logged = logged_ids(log_url)
    assert after <= logged, f"{len(after - logged)} rows after the outage not logged"
    # The queue held the outage's rows until the restart; what did not fit is counted.
    assert len(set(load.answered) - logged) <= dropped
