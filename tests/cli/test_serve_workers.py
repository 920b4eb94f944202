"""`tabship serve --workers 2`: workers forked from a parent that loaded the model once.

The parent keeps them running (a killed worker is forked again), and SIGTERM or Ctrl-C
(SIGINT to the whole process group, as a terminal sends it) stops every worker
gracefully and exits 0.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests._servers import free_port, serve_env, wait_ready
from tests.serve._monitored import DEADLINE_S, start_server, wait_for

pytestmark = pytest.mark.integration

RECORD = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0}
RECORD |= {"smoker": "yes", "region": "southwest"}


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


def started_workers(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", output)]


def assert_stopped_cleanly(code: int, output: str, workers: list[int]) -> None:
    assert code == 0, output
    assert "Traceback" not in output, output
    for pid in workers:
        assert f"Finished server process [{pid}]" in output, output
        assert not psutil.pid_exists(pid), pid  # reaped by the parent: none left behind


def test_workers_are_forked_from_the_parent_and_sigterm_stops_them(insurance, tmp_path):
    with start_server(insurance, tmp_path, workers=2) as server:
        wait_for(lambda: len(started_workers(server.output())) == 2, "two workers")
        workers = started_workers(server.output())
        parent = psutil.Process(server.process.pid)
        for pid in workers:
            worker = psutil.Process(pid)
            assert worker.ppid() == parent.pid
            # forked, not spawned: the same command line, no multiprocessing bootstrap
            assert worker.cmdline() == parent.cmdline()
        assert httpx.post(f"{server.url}/predict", json=RECORD).status_code == 200
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=DEADLINE_S)
        assert_stopped_cleanly(code, server.output(), workers)


def test_a_killed_worker_is_forked_again(insurance, tmp_path):
    with start_server(insurance, tmp_path, workers=2) as server:
        wait_for(lambda: len(started_workers(server.output())) == 2, "two workers")
        killed = started_workers(server.output())[0]
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: len(started_workers(server.output())) == 3, "a third worker")
        wait_for(
            lambda: server.output().count("Application startup complete") == 3,
            "the new worker's startup",
        )
        assert f"Child process [{killed}] died" in server.output()
        children = {p.pid for p in psutil.Process(server.process.pid).children()}
        assert children == set(started_workers(server.output())[1:])
        for _ in range(10):  # new connections: the kernel spreads them over both workers
            assert httpx.post(f"{server.url}/predict", json=RECORD).status_code == 200
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=DEADLINE_S)
        assert_stopped_cleanly(code, server.output(), sorted(children))


def test_ctrl_c_stops_every_worker(insurance, tmp_path):
    """A terminal's Ctrl-C reaches the parent and every worker at once."""
    port = free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "tabship", "serve", str(insurance), "--port", str(port)]
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [*command, "--workers", "2"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=serve_env(),
            start_new_session=True,  # its own process group, as a shell gives a job
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log)
        wait_for(lambda: len(started_workers(log.read_text())) == 2, "two workers")
        os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=DEADLINE_S)
        assert_stopped_cleanly(code, log.read_text(), started_workers(log.read_text()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the supervisor alone, with workers that need no model ----------------------------------

SUPERVISOR = """
import atexit, ctypes, os, signal, sys, time
from pathlib import Path
from tabship.cli._workers import run_workers

out = Path(sys.argv[1])
atexit.register(lambda: out.open("a").write("parent exit handler\\n"))
if sys.argv[2] == "orphan":  # adopt orphans, as a container's process 1 does
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

def orphan(worker):
    out.open("a").write(f"orphan {os.getpid()}\\n")
    while os.getppid() == worker:  # until the worker is gone
        time.sleep(0.05)
    os._exit(0)

def serve():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # before it says it runs
    atexit.register(lambda: out.open("a").write(f"worker exit handler {os.getpid()}\\n"))
    if sys.argv[2] == "orphan" and os.fork() == 0:
        orphan(os.getppid())
    out.open("a").write(f"worker {os.getpid()}\\n")
    if sys.argv[2] == "fail":
        return 3
    signal.sigwait({signal.SIGTERM})  # as uvicorn does: a graceful stop, then return
    return 0

sys.exit(run_workers(2, serve))
"""


def run_supervisor(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "events.txt"
    out.touch()
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(out), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, out


def test_the_parent_runs_its_exit_handlers_once_and_each_worker_only_its_own(tmp_path):
    """The parent's handlers (which remove the metrics folder) never run in a worker."""
    process, out = run_supervisor(tmp_path, "serve")
    wait_for(lambda: out.read_text().count("worker ") == 2, "two workers")
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 0, output
    events = out.read_text().splitlines()
    assert events.count("parent exit handler") == 1, events
    assert len([e for e in events if e.startswith("worker exit handler")]) == 2, events


def test_a_worker_that_cannot_start_stops_the_parent_with_its_code(tmp_path):
    """Exit code 3 (uvicorn's startup failure): every new worker would fail the same way."""
    process, out = run_supervisor(tmp_path, "fail")
    output, _ = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 3, output
    assert "failed to start, stopping" in output, output
    assert "Traceback" not in output, output


def test_the_parent_reaps_the_orphans_of_a_killed_worker(tmp_path):
    """As a container's process 1 the parent adopts what a killed worker leaves (its
    prediction log's writer): reaped when it exits, not left a zombie."""
    process, out = run_supervisor(tmp_path, "orphan")
    try:
        wait_for(lambda: out.read_text().count("orphan ") == 2, "two workers' children")
        wait_for(lambda: out.read_text().count("worker ") == 2, "two workers")
        events = out.read_text().split()
        worker = int(events[events.index("worker") + 1])
        orphan = next(
            child.pid
            for child in psutil.Process(worker).children()
            if f"orphan {child.pid}" in out.read_text()
        )
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not psutil.pid_exists(orphan), "the orphan reaped", deadline=30)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 0
