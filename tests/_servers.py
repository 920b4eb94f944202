"""Session fixtures for tests that need servers: models trained once, real servers started once.

``trained_model(name)`` trains a small model for a reference dataset (once per session)
and returns its folder. ``live_server(model_dir, *extra_args)`` starts a real
``python -m tabship serve`` on 127.0.0.1 at a free port, waits until ``/ready`` answers
200 and returns the base URL; one server per (model, args) per session, killed at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

DATASETS = Path(__file__).parent / "datasets"

# name -> (target, keyword arguments for tabship.train, rows to keep (None = all))
MODELS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "insurance": ("charges", {"time_budget": 6}, None),
    "adult": ("income", {"time_budget": 8}, 5000),
    "drug200": ("Drug", {"time_budget": 6}, None),
    "college_scorecard": (
        "EARN_MDN_5YR",
        {"time_budget": 8, "drop": ["UNITID"], "roles": {"CIPCODE": "categorical"}},
        5000,
    ),
}

STARTUP_SECONDS = 60.0


def dataset_file(name: str) -> Path:
    """The gzipped reference dataset shipped with the tests."""
    return DATASETS / f"{name}.csv.gz"


def _train(name: str, out: Path) -> Path:
    import pandas as pd

    import tabship

    target, options, rows = MODELS[name]
    data: Any = dataset_file(name)
    if rows is not None:
        # A subsample keeps the session fast; the rows are still the real ones.
        data = pd.read_csv(data, skipinitialspace=True).sample(n=rows, random_state=0)
    with warnings.catch_warnings():
        # Dropped constant columns and the like are expected here; the data tests own them.
        warnings.simplefilter("ignore", tabship.TabshipWarning)
        run = tabship.train(data, target, **options)
    return run.save(out / name, force=True)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory: ``trained_model("insurance")`` -> the folder of a model trained once."""
    out = tmp_path_factory.mktemp("serve-models")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = _train(name, out)
        return cache[name]

    return get


# base URL -> pid of the server process, for tests that look inside it (/proc).
SERVER_PIDS: dict[str, int] = {}


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env() -> dict[str, str]:
    """The test process environment without settings that would change the server."""
    env = {k: v for k, v in os.environ.items() if k not in ("TABSHIP_API_KEY",)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/ready`` until 200; fail with the server log if it dies or never comes up."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"server not ready after {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., str]]:
    """Factory: ``live_server(model_dir, "--api-key", "s3cret")`` -> ``http://127.0.0.1:P``."""
    logs = tmp_path_factory.mktemp("serve-logs")
    servers: dict[tuple[str, ...], tuple[str, subprocess.Popen[bytes]]] = {}

    def start(model_dir: Path | str, *extra_args: str) -> str:
        key = (str(model_dir), *extra_args)
        if key in servers:
            return servers[key][0]
        port = free_port()
        log = logs / f"server-{len(servers)}.log"
        command = [sys.executable, "-m", "tabship", "serve", str(model_dir)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", *extra_args]
        with open(log, "wb") as sink:
            process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=serve_env()
            )
        base_url = f"http://127.0.0.1:{port}"
        servers[key] = (base_url, process)
        SERVER_PIDS[base_url] = process.pid
        wait_ready(base_url, process, log)
        return base_url

    yield start
    for _, process in servers.values():
        process.terminate()
    for _, process in servers.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
