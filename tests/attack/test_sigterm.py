"""SIGTERM under load: every request a worker has begun answering is answered in full,
and the server exits cleanly (0 with several workers; one uvicorn process ends by the
re-raised SIGTERM after its shutdown completes).

The requests known to be in flight are CSV uploads (one of 100,000 rows): the route
streams its answer, so once the client holds the response's headers, a worker is
answering it. The client then stops reading, so the worker stays blocked mid-answer on
a full socket; only after SIGTERM is sent does the client read on. Meanwhile client
threads keep posting JSON records; every answer they get must be a 200 (they stop
when the server refuses new connections). Waits are on events and the process's exit,
never on a sleep.
"""

from __future__ import annotations

import csv
import io
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.serve._monitored import DEADLINE_S, Load, start_server

pytestmark = [pytest.mark.attack, pytest.mark.integration, pytest.mark.slow]

HEADER = "age,sex,bmi,children,smoker,region\n"
ROWS = ["19,female,27.9,0,yes,southwest\n", "33,male,22.7,0,no,northwest\n"]
UPLOADS = [100_000, 20_000, 20_000]  # rows per in-flight upload


@dataclass
class Upload:
    """A CSV upload on its own thread: headers received, then reads only when told."""

    url: str
    rows: int
    go: threading.Event
    started: threading.Event = field(default_factory=threading.Event)
    status: int | None = None
    body: str = ""
    error: str = ""

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        table = HEADER + "".join(ROWS[i % 2] for i in range(self.rows))
        files = {"file": ("rows.csv", table.encode(), "text/csv")}
        try:
            with httpx.Client(timeout=DEADLINE_S) as client:
                with client.stream("POST", f"{self.url}/predict/csv", files=files) as response:
                    self.status = response.status_code
                    self.started.set()
                    self.go.wait(DEADLINE_S)
                    self.body = response.read().decode()
        except httpx.HTTPError as err:
            self.error = repr(err)
        finally:
            self.started.set()

    def scored_rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.body)))


def exited_cleanly(code: int, output: str, workers: int) -> bool:
    """Several workers: the parent exits 0. One process: uvicorn re-raises the signal
    once it has shut down, so it ends by SIGTERM (as tests/deploy/test_image.py says)."""
    finished = "Finished server process" in output and "Traceback" not in output
    return finished and (code == 0 or (workers == 1 and code == -signal.SIGTERM))


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_answers_every_request_in_flight(insurance, tmp_path, workers):
    record = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0}
    record |= {"smoker": "yes", "region": "southwest"}
    with start_server(insurance, tmp_path, workers=workers) as server:
        go = threading.Event()
        with Load(server.url, record, threads=3, stop_on_refusal=True) as load:
            uploads = [Upload(server.url, rows, go) for rows in UPLOADS]
            for upload in uploads:
                assert upload.started.wait(DEADLINE_S), "no response headers"
                assert upload.status == 200, upload.error
            server.process.send_signal(signal.SIGTERM)
            go.set()
            for upload in uploads:
                upload.thread.join(DEADLINE_S)
        code = server.process.wait(timeout=DEADLINE_S)
        assert exited_cleanly(code, server.output(), workers), server.output()
    assert not load.failures, load.failures[:5]
    assert load.count() > 0
    for upload in uploads:
        assert not upload.error, upload.error
        rows = upload.scored_rows()
        assert len(rows) == upload.rows
        assert all(row["prediction"] and row["id"] and not row["error"] for row in rows)
