"""Serving benchmark: tabship serve against the tutorials' Flask app, in the same run.

For the insurance and adult models it measures, for each server:
- requests/s and p50/p99 latency of one-record ``POST /predict`` at concurrency 1 and 16
  (wrk, Debian's HTTP load generator, on loopback);
- startup time from process start to the first 200;
- resident memory of each worker process;
- the same for tabship with its prediction log on (``--log sqlite:///…`` and
  ``--log postgresql://…``, a real PostgreSQL started here as the tests start theirs):
  requests/s at 16 connections against the run without it (the three tabship servers run
  side by side and take turns at c=16 for ``--rounds`` rounds, so that the load other work
  puts on the machine falls on all of them alike; the median round is reported), and the
  rows in the log after
  the server's SIGTERM shutdown against the predictions it answered (its /metrics counter
  read after the last wrk run; wrk's own count of completed requests is reported too: it
  misses the few requests still in flight when its clock stops).

The baseline is what the tutorials build: a Flask app that unpickles the same fitted
pipeline once at startup and builds a one-row DataFrame per request, served by gunicorn
with the same number of workers. Both servers run on this machine, one at a time, with
wrk beside them on the same 2 cores, so the ratio is what to read, not the absolutes.

    python bench/serve.py                  # needs: apt-get install wrk; pip install flask gunicorn
    python bench/serve.py --duration 5 --models insurance

Writes bench/results/serve.md and serve.json. ``--no-log`` skips the logging runs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODELS = {
    "insurance": ("insurance.csv", "charges"),
    "adult": ("adult.csv", "income"),
}
FLASK_APP = """
import os, pickle
import pandas as pd
from flask import Flask, jsonify, request

app = Flask(__name__)
with open(os.environ["BENCH_PICKLE"], "rb") as handle:
    model = pickle.load(handle)


@app.route("/predict", methods=["POST"])
def predict():
    record = request.get_json()
    prediction = model.predict(pd.DataFrame([record]))[0]
    value = prediction.item() if hasattr(prediction, "item") else prediction
    return jsonify({"prediction": value})


@app.route("/health")
def health():
    return "ok"
"""
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trained_model(name: str, workdir: Path, budget: float) -> Path:
    """Train the model once and keep it under bench/.models for later runs."""
    target_dir = HERE / ".models" / name
    if (target_dir / "manifest.json").exists():
        return target_dir
    file, target = MODELS[name]
    shared = ROOT.parent / "shared" / "datasets" / file
    data = shared if shared.exists() else ROOT / "tests" / "datasets" / f"{file}.gz"
    subprocess.run(
        [sys.executable, "-m", "tabship", "train", str(data), "-t", target,
         "--time-budget", str(budget), "-o", str(target_dir), "--force", "-q"],
        check=True,
    )  # fmt: skip
    return target_dir


def start(
    command: list[str], env: dict[str, str], ready_url: str, log: Path
) -> tuple[subprocess.Popen, float]:
    """Start a server; return it and the seconds from spawn to the first 200."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    while time.perf_counter() - started < 60:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited; see {log}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"no 200 from {ready_url} within 60 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(pids: set[int], session: int | None = None) -> float:
    """User + system CPU seconds of the processes ``pids`` and of every process in
    ``session`` (or child of one of ``pids``), read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, sid = int(stat[1]), int(stat[3])
        if int(entry.name) in pids or sid == session or ppid in pids:
            total += int(stat[11]) + int(stat[12])
    return total / ticks


def postmaster_pid(server: Any) -> int:
    """The PostgreSQL server's main process (its backends are its children)."""
    return int((server.data / "postmaster.pid").read_text().split()[0])


def worker_rss_mb(master_pid: int) -> list[float]:
    """RSS of every process in the server's session except the master, in MB."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == master_pid:
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if int(stat[3]) != master_pid:  # parent pid
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return sizes


def run_wrk(url: str, body: str, connections: int, duration: int, workdir: Path) -> dict:
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=json.dumps(body)))
    threads = 1 if connections == 1 else 2
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
         "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "non_2xx": int(m.group(1))
        if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
        else 0,
    }


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)\b", out).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def predictions_answered(port: int) -> int:
    """Records predicted so far, from the server's /metrics (every worker's, summed)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    found = re.findall(r"^tabship_predictions_total\{[^}]*\} ([\d.e+]+)$", text, re.M)
    return int(sum(float(n) for n in found))


def rows_logged(url: str) -> int:
    """Rows in the prediction log, every model's."""
    from tabship.monitor import open_log

    log = open_log(url)
    try:
        return sum(log.models().values())
    finally:
        log.close()


@contextmanager
def postgres() -> Iterator[Any]:
    """A PostgreSQL server for the logging runs, started as the tests start theirs."""
    sys.path.insert(0, str(ROOT))
    from tests._postgres import find_binaries, running_server

    binaries = find_binaries()
    if binaries is None:
        sys.exit("PostgreSQL is needed for the log runs: apt-get install -y postgresql")
    with running_server(binaries) as server:
        yield server


@dataclass
class Running:
    """A server under test, warmed up, with wrk's counts so far."""

    kind: str
    process: subprocess.Popen
    port: int
    startup: float
    body: str
    log: str | None
    completed: int = 0  # requests wrk completed (and the check request)
    c16_runs: list[dict] = field(default_factory=list)
    database_pid: int | None = None  # a PostgreSQL whose CPU is counted with the server's

    def cpu(self) -> float:
        """CPU seconds used so far by the server (and the database it logs to)."""
        own = cpu_seconds({self.process.pid}, session=self.process.pid)
        if self.database_pid is None:
            return own
        return own + cpu_seconds({self.database_pid})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/predict"

    def wrk(self, connections: int, duration: int, workdir: Path) -> dict:
        result = run_wrk(self.url, self.body, connections, duration, workdir)
        self.completed += result["requests"]
        return result


def launch(
    name: str, kind: str, model_dir: Path, workers: int, workdir: Path, log: str | None
) -> Running:
    """Start one server, check one prediction and warm it up."""
    port = free_port()
    env = {**os.environ}
    if kind.startswith("tabship"):
        command = [sys.executable, "-m", "tabship", "serve", str(model_dir), "--port", str(port),
                   "--workers", str(workers)]  # fmt: skip
        command += ["--log", log] if log else []
        ready = f"http://127.0.0.1:{port}/ready"
    else:
        import tabship

        pickled = workdir / f"{name}.pkl"
        with pickled.open("wb") as handle:
            pickle.dump(tabship.load(model_dir).pipeline, handle)
        (workdir / "tutorial_app.py").write_text(FLASK_APP)
        env["BENCH_PICKLE"] = str(pickled)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "--chdir", str(workdir), "-w",
                   str(workers), "-b", f"127.0.0.1:{port}", "tutorial_app:app"]  # fmt: skip
        ready = f"http://127.0.0.1:{port}/health"
    process, startup = start(command, env, ready, workdir / f"{name}-{kind}.log")
    try:
        example = (
            httpx.get(f"http://127.0.0.1:{port}/metadata").json()["schema"]["example"]
            if kind.startswith("tabship")
            else json.loads((workdir / f"{name}.example.json").read_text())
        )
        server = Running(kind, process, port, startup, json.dumps(example), log)
        check = httpx.post(
            server.url, content=server.body, headers={"content-type": "application/json"}
        )
        assert check.status_code == 200, check.text
        server.completed += 1
        server.wrk(4, 2, workdir)  # warm-up
    except BaseException:
        stop(process)
        raise
    return server


def measure_group(
    name: str,
    kinds: list[tuple[str, str | None]],
    model_dir: Path,
    workers: int,
    duration: int,
    workdir: Path,
    rounds: int = 1,
    database_pid: int | None = None,
) -> list[dict]:
    """Measure servers that run side by side: c=1 once each, then ``rounds`` rounds of
    c=16 taking turns, so a change in the machine's load falls on all of them alike; the
    median round is reported. Then SIGTERM, and the rows each log holds."""
    servers: list[Running] = []
    try:
        for kind, log in kinds:
            servers.append(launch(name, kind, model_dir, workers, workdir, log))
            if log and log.startswith("postgresql"):
                servers[-1].database_pid = database_pid
        c1 = [server.wrk(1, duration, workdir) for server in servers]
        for _ in range(rounds):
            for server in servers:
                used = server.cpu()
                run = server.wrk(16, duration, workdir)
                run["cpu_ms_per_request"] = (server.cpu() - used) * 1000 / run["requests"]
                server.c16_runs.append(run)
        rss = [worker_rss_mb(server.process.pid) for server in servers]
        answered = [predictions_answered(s.port) if s.log else None for s in servers]
    finally:
        for server in servers:
            stop(server.process)  # SIGTERM: the workers write what they queued, then exit
    rows = []
    for server, one, sizes, n in zip(servers, c1, rss, answered, strict=True):
        runs = sorted(server.c16_runs, key=lambda run: run["rps"])
        cpu = sorted(run["cpu_ms_per_request"] for run in server.c16_runs)
        row = {"model": name, "server": server.kind, "workers": workers,
               "startup_s": server.startup, "c1": one, "c16": runs[len(runs) // 2],
               "c16_rounds_rps": [run["rps"] for run in server.c16_runs],
               "c16_cpu_ms_per_request": cpu[len(cpu) // 2],
               "worker_rss_mb": sizes}  # fmt: skip
        if server.log:
            row["log"] = {
                "answered": n,
                "wrk_completed": server.completed,
                "rows_logged": rows_logged(server.log),
            }
        rows.append(row)
    return rows


def to_markdown(rows: list[dict], duration: int) -> str:
    lines = [
        "# Serving benchmark: one-record POST /predict",
        "",
        f"wrk on loopback, {duration} s per run, same 2-core machine for server and load. "
        "`tutorial` = Flask + gunicorn, pickled pipeline loaded once, one-row DataFrame "
        "per request; same worker count. Reproduce: `python bench/serve.py`.",
        "",
        "| model | server | workers | rps c=1 | p50 ms c=1 | p99 ms c=1 | rps c=16 | p50 ms c=16 "
        "| p99 ms c=16 | startup s | RSS/worker MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        rss = max(r["worker_rss_mb"]) if r["worker_rss_mb"] else float("nan")
        lines.append(
            f"| {r['model']} | {r['server']} | {r['workers']} | {r['c1']['rps']:.0f} | "
            f"{r['c1']['p50_ms']:.2f} | {r['c1']['p99_ms']:.2f} | {r['c16']['rps']:.0f} | "
            f"{r['c16']['p50_ms']:.2f} | {r['c16']['p99_ms']:.2f} | {r['startup_s']:.2f} | "
            f"{rss:.0f} |"
        )
    lines += [
        "",
        "| model | tabship / tutorial rps at c=16 | p99 c=1 (tabship) |",
        "| --- | --- | --- |",
    ]
    for name in dict.fromkeys(r["model"] for r in rows):
        ours = next(r for r in rows if r["model"] == name and r["server"] == "tabship")
        theirs = next(r for r in rows if r["model"] == name and r["server"] == "tutorial")
        ratio = ours["c16"]["rps"] / theirs["c16"]["rps"]
        lines.append(f"| {name} | {ratio:.1f}x | {ours['c1']['p99_ms']:.2f} ms |")
    return "\n".join(lines + log_table(rows)) + "\n"


def log_table(rows: list[dict]) -> list[str]:
    """The logging runs against the run without a log of the same model."""
    logged = [r for r in rows if "log" in r]
    if not logged:
        return []
    lines = [
        "",
        "## With the prediction log (`tabship serve --log URL`)",
        "",
        "rps at c=16 with the log against the run without it: the servers run side by side "
        "and take turns, the median of the rounds is shown (all rounds in serve.json); rows "
        "in the log after the SIGTERM shutdown against the predictions the server answered "
        "(its /metrics counter) and against wrk's completed requests (which misses the "
        "requests still in flight when wrk stops). Target: >= 90 % and rows == answered.",
        "",
        "On a machine shared with other work, requests/s swing from round to round; the CPU "
        "the server spends per request (its processes' user + system time during the c=16 "
        "runs divided by the requests; with PostgreSQL, the database's processes counted "
        "too) does not, so `capacity` = CPU per request without the log / with it is the "
        "steadier reading of the same ratio.",
        "",
        "| model | log | rps c=16 | without log | rps ratio | CPU ms/req | without log "
        "| capacity | p99 ms c=16 | answered | wrk completed | rows logged | rows == answered |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in logged:
        base = next(b for b in rows if b["model"] == r["model"] and b["server"] == "tabship")
        log = r["log"]
        ratio = r["c16"]["rps"] / base["c16"]["rps"]
        cpu, base_cpu = r["c16_cpu_ms_per_request"], base["c16_cpu_ms_per_request"]
        same = "yes" if log["rows_logged"] == log["answered"] else "**no**"
        lines.append(
            f"| {r['model']} | {r['server'].removeprefix('tabship+')} | {r['c16']['rps']:.0f} | "
            f"{base['c16']['rps']:.0f} | {ratio:.0%} | {cpu:.3f} | {base_cpu:.3f} | "
            f"{base_cpu / cpu:.0%} | {r['c16']['p99_ms']:.2f} | "
            f"{log['answered']} | {log['wrk_completed']} | {log['rows_logged']} | {same} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-log", action="store_true", help="Skip the prediction-log runs.")
    parser.add_argument(
        "--rounds", type=int, default=3, help="c=16 runs per tabship server, taking turns."
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database = None if args.no_log else stack.enter_context(postgres())
        for name in args.models:
            model_dir = trained_model(name, workdir, args.train_budget)
            import tabship

            example = tabship.load(model_dir).schema.example
            (workdir / f"{name}.example.json").write_text(json.dumps(example))
            ours: list[tuple[str, str | None]] = [("tabship", None)]
            if database is not None:
                ours += [
                    ("tabship+sqlite", f"sqlite:///{workdir / f'{name}-log.db'}"),
                    ("tabship+postgresql", database.new_database()),
                ]
            for group, rounds in ((ours, args.rounds), ([("tutorial", None)], 1)):
                for row in measure_group(
                    name, group, model_dir, args.workers, args.duration, workdir, rounds,
                    None if database is None else postmaster_pid(database),
                ):  # fmt: skip
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve.json").write_text(json.dumps(rows, indent=2))
    (args.out / "serve.md").write_text(to_markdown(rows, args.duration))
    print(to_markdown(rows, args.duration))


if __name__ == "__main__":
    main()
