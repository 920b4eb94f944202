"""Helpers for the monitor tests: servers with a prediction log, the log read back, load.

``start_server`` runs a real ``python -m tabship serve`` of its own (the fault tests stop
and kill it); ``logged_ids`` reads the ids a log holds straight from its table;
``Load`` keeps client threads predicting and records every id an answer carried.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests._servers import free_port, serve_env, wait_ready

DEADLINE_S = 120.0  # generous: the machine may be busy


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def start_server(model: Path, folder: Path, *args: str, workers: int = 1) -> Iterator[Server]:
    """A server of its own on a free port, ready; terminated (then killed) at the end."""
    port = free_port()
    log = folder / f"server-{port}.log"
    command = [sys.executable, "-m", "tabship", "serve", str(model), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), *args]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=serve_env())
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log)
        yield Server(url, process, log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def logged_ids(log_url: str) -> set[str]:
    """Every record id in the log's predictions table."""
    from sqlalchemy import text

    from tabship.monitor import open_log

    log = open_log(log_url)
    try:
        with log.engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT id FROM tabship_predictions"))}
    finally:
        log.close()


def wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE_S) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline:.0f}s waiting for {what}")


@dataclass
class Load:
    """Client threads posting one record each, until stopped; every answered id kept."""

    url: str
    record: dict[str, object]
    threads: int = 4
    answered: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = 0.0
    stopped: float = 0.0
    stop_on_refusal: bool = False  # a server going away: stop quietly instead of failing

    def __enter__(self) -> Load:
        self.started = time.monotonic()
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=DEADLINE_S)
        self.stopped = self.stopped or time.monotonic()

    def count(self) -> int:
        with self._lock:
            return len(self.answered)

    def rate(self) -> float:
        """Answers per second over the load's life."""
        end = self.stopped or time.monotonic()
        return len(self.answered) / max(end - self.started, 1e-9)

    def _run(self) -> None:
        with httpx.Client(timeout=60.0) as client:
            while not self._stop.is_set():
                try:
                    response = client.post(f"{self.url}/predict", json=self.record)
                except httpx.TransportError as err:
                    if self.stop_on_refusal:
                        return
                    with self._lock:
                        self.failures.append(f"transport: {err!r}")
                    continue
                if response.status_code != 200:
                    with self._lock:
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                with self._lock:
                    self.answered.extend(response.json()["ids"])
