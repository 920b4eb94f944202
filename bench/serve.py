"""Serving benchmark: tabship serve against the floor, MLflow and the tutorials' Flask app.

For the insurance and adult models it measures, for each server, in the same run and with
the same worker count:
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

The references, all serving the same fitted pipeline (or, for the floor, none):

- ``floor``: the cheapest Python answer, a bare Starlette app on uvicorn that parses the
  JSON body and returns a constant (uvicorn's defaults, access log off, TCP_NODELAY on
  the shared socket as tabship has it);
- ``mlflow``: ``mlflow models serve --env-manager local`` of the pipeline saved with
  ``mlflow.sklearn.save_model`` and a signature, answering ``POST /invocations`` with
  ``{"dataframe_records": [record]}``. MLflow cannot share the project's environment (it
  pins pyarrow < 26, importlib-metadata < 10 and gunicorn < 27), so it runs from its own
  virtual environment, which sees the project's packages behind its own: made on first use
  from bench/mlflow-constraints.txt (``--mlflow-env``, ``pip install`` once; nothing is
  fetched while the servers run);
- ``tutorial``: what the tutorials build, a Flask app that unpickles the pipeline once at
  startup and builds a one-row DataFrame per request, served by gunicorn.

The servers run side by side on this machine with wrk beside them on the same 2 cores
and take turns, so the ratios are what to read, not the absolutes.

    python bench/serve.py --workers 1      # needs: apt-get install wrk; pip install -e '.[bench]'
    python bench/serve.py --duration 5 --models insurance --no-mlflow

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
FLOOR_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def predict(request):
    await request.json()
    return JSONResponse({"predictions": [0.0]})


async def health(request):
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/health", health)])
"""
# The floor's uvicorn, on a listening socket with TCP_NODELAY as `tabship serve` makes it
# (uvicorn's own multi-worker socket leaves Nagle's algorithm on: 44 ms per request).
FLOOR_SERVER = """
import socket, sys, uvicorn
port, workers = int(sys.argv[1]), int(sys.argv[2])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
listener.bind(("127.0.0.1", port))
listener.set_inheritable(True)
uvicorn.run("floor_app:app", fd=listener.fileno(), workers=workers, access_log=False,
            log_level="warning")
"""
MLFLOW_SAVE = """
import json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
import mlflow.sklearn
from mlflow.models import infer_signature
import tabship

model_dir, out = sys.argv[1], sys.argv[2]
model = tabship.load(model_dir)
frame = pd.DataFrame([model.schema.example])
signature = infer_signature(frame, model.pipeline.predict(frame))
mlflow.sklearn.save_model(model.pipeline, out, signature=signature,
                          serialization_format="cloudpickle")
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
    """RSS of every process in the server's session except the master, in MB; the
    master's own when it is the only one (one worker served in-process). A worker's
    prediction-log writer (a child named tabship-log) is not a worker: left out."""
    sizes, own = [], []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, rest = (entry / "stat").read_text().rsplit(")", 1)
            stat = rest.split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if int(stat[3]) != master_pid or name.endswith("(tabship-log"):  # session id
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            (own if int(entry.name) == master_pid else sizes).append(int(match.group(1)) / 1024)
    return sizes or own


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


def mlflow_python(env: Path) -> Path:
    """The MLflow environment's Python, made on first use (see the module doc): a venv
    that sees this project's packages after its own, with MLflow and the versions it
    needs where they differ from the project's pins."""
    python = env / "bin" / "python"
    if python.exists():
        return python
    print(f"Making the MLflow environment in {env} (once)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    ours = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "zz_project.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    pins = HERE / "mlflow-constraints.txt"
    pip = [str(python), "-m", "pip", "install", "-q", "-c", str(pins)]
    subprocess.run([*pip, "mlflow", "pyarrow", "importlib-metadata", "gunicorn"], check=True)
    # `mlflow models serve` runs `uvicorn` from PATH: one that starts this Python.
    subprocess.run([*pip, "--no-deps", "--ignore-installed", "uvicorn"], check=True)
    return python


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
        path = "/invocations" if self.kind == "mlflow" else "/predict"
        return f"http://127.0.0.1:{self.port}{path}"

    def wrk(self, connections: int, duration: int, workdir: Path) -> dict:
        result = run_wrk(self.url, self.body, connections, duration, workdir)
        self.completed += result["requests"]
        return result


def launch(
    name: str, kind: str, model_dir: Path, workers: int, workdir: Path, log: str | None
) -> Running:
    """Start one server, check one prediction and warm it up."""
    port = free_port()
    command, env, ready = server_command(name, kind, model_dir, workers, workdir, port)
    command += ["--log", log] if log else []
    process, startup = start(command, env, ready, workdir / f"{name}-{kind}.log")
    try:
        example = json.loads((workdir / f"{name}.example.json").read_text())
        body = {"dataframe_records": [example]} if kind == "mlflow" else example
        server = Running(kind, process, port, startup, json.dumps(body), log)
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


def server_command(
    name: str, kind: str, model_dir: Path, workers: int, workdir: Path, port: int
) -> tuple[list[str], dict[str, str], str]:
    """The command starting ``kind``, its environment and the URL that answers 200 once
    it is ready."""
    env = {**os.environ}
    base = f"http://127.0.0.1:{port}"
    if kind.startswith("tabship"):
        command = [sys.executable, "-m", "tabship", "serve", str(model_dir), "--port", str(port),
                   "--workers", str(workers)]  # fmt: skip
        return command, env, f"{base}/ready"
    if kind == "floor":
        (workdir / "floor_app.py").write_text(FLOOR_APP)
        (workdir / "floor_server.py").write_text(FLOOR_SERVER)
        env["PYTHONPATH"] = str(workdir)
        command = [sys.executable, str(workdir / "floor_server.py"), str(port), str(workers)]
        return command, env, f"{base}/health"
    if kind == "mlflow":
        python = Path(env["BENCH_MLFLOW_PYTHON"])
        saved = workdir / f"{name}-mlflow"
        if not saved.exists():
            subprocess.run([str(python), "-c", MLFLOW_SAVE, str(model_dir), str(saved)], check=True)
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        env["MLFLOW_TRACKING_URI"] = (workdir / "mlruns").as_uri()
        command = [str(python.parent / "mlflow"), "models", "serve", "-m", str(saved),
                   "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port),
                   "-w", str(workers)]  # fmt: skip
        return command, env, f"{base}/ping"
    import tabship

    pickled = workdir / f"{name}.pkl"
    with pickled.open("wb") as handle:
        pickle.dump(tabship.load(model_dir).pipeline, handle)
    (workdir / "tutorial_app.py").write_text(FLASK_APP)
    env["BENCH_PICKLE"] = str(pickled)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--chdir", str(workdir), "-w",
               str(workers), "-b", f"127.0.0.1:{port}", "tutorial_app:app"]  # fmt: skip
    return command, env, f"{base}/health"


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
    median round is reported (and its CPU per request, the median over rounds). Then
    SIGTERM, and the rows each log holds."""
    servers: list[Running] = []
    try:
        for kind, log in kinds:
            servers.append(launch(name, kind, model_dir, workers, workdir, log))
            if log and log.startswith("postgresql"):
                servers[-1].database_pid = database_pid
        c1 = [server.wrk(1, duration, workdir) for server in servers]
        for turn in range(rounds):  # every other round in reverse: a trend in the load
            for server in servers[:: -1 if turn % 2 else 1]:  # falls on all alike
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
        f"wrk on loopback, {duration} s per run, same 2-core machine for servers and load; "
        "the servers run side by side and take turns at c=16 (median round shown). "
        "`floor` = bare Starlette on uvicorn (parses the JSON body, returns a constant); "
        "`mlflow` = `mlflow models serve --env-manager local` of the same pipeline; "
        "`tutorial` = Flask + gunicorn, pickled pipeline loaded once, one-row DataFrame "
        "per request; same worker count for all. `first 200` = seconds from process start "
        "to the first 200; `CPU ms/req` = the server's CPU time per request at c=16. "
        "Reproduce: `python bench/serve.py --workers 1`.",
        "",
        "| model | server | workers | rps c=1 | p50 ms c=1 | p99 ms c=1 | rps c=16 | p50 ms c=16 "
        "| p99 ms c=16 | CPU ms/req | first 200 s | RSS/worker MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['server']} | {r['workers']} | {r['c1']['rps']:.0f} | "
            f"{r['c1']['p50_ms']:.2f} | {r['c1']['p99_ms']:.2f} | {r['c16']['rps']:.0f} | "
            f"{r['c16']['p50_ms']:.2f} | {r['c16']['p99_ms']:.2f} | "
            f"{r['c16_cpu_ms_per_request']:.3f} | {r['startup_s']:.2f} | {_rss(r):.0f} |"
        )
    return "\n".join(lines + ratio_table(rows) + log_table(rows)) + "\n"


def _rss(row: dict) -> float:
    return max(row["worker_rss_mb"]) if row["worker_rss_mb"] else float("nan")


# (label, how to read it, lower is better)
_MEASURES: list[tuple[str, Any, bool]] = [
    ("rps c=1", lambda r: r["c1"]["rps"], False),
    ("rps c=16", lambda r: r["c16"]["rps"], False),
    ("p50 ms c=1", lambda r: r["c1"]["p50_ms"], True),
    ("p99 ms c=1", lambda r: r["c1"]["p99_ms"], True),
    ("p50 ms c=16", lambda r: r["c16"]["p50_ms"], True),
    ("p99 ms c=16", lambda r: r["c16"]["p99_ms"], True),
    ("CPU ms/req c=16", lambda r: r["c16_cpu_ms_per_request"], True),
    ("first 200 s", lambda r: r["startup_s"], True),
    ("RSS/worker MB", _rss, True),
]


def ratio_table(rows: list[dict]) -> list[str]:
    """tabship against MLflow (how many times better tabship is) and against the floor
    (how many times the floor's cost tabship's is: the target is <= 3 for throughput)."""
    lines = [
        "",
        "## Ratios",
        "",
        "`tabship vs MLflow` = how many times better tabship is (rps: tabship / MLflow; "
        "times and sizes: MLflow / tabship). `floor vs tabship` = how many times better the "
        "floor is (rps: floor / tabship; times: tabship / floor). Target: floor vs tabship "
        "<= 3 in rps at c=1 and c=16.",
        "",
        "| model | measure | floor | tabship | MLflow | tabship vs MLflow | floor vs tabship |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in dict.fromkeys(r["model"] for r in rows):
        found = {r["server"]: r for r in rows if r["model"] == name}
        ours, floor, mlflow = found.get("tabship"), found.get("floor"), found.get("mlflow")
        if ours is None:
            continue
        for label, value, lower_better in _MEASURES:
            mine = value(ours)
            cells = [_fmt(value(floor)) if floor else "", _fmt(mine)]
            cells.append(_fmt(value(mlflow)) if mlflow else "")
            for better, worse in ((ours, mlflow), (floor, ours)):
                if better is None or worse is None:
                    cells.append("")
                    continue
                a, b = value(better), value(worse)
                cells.append(f"{(b / a if lower_better else a / b):.1f}x" if a and b else "")
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return lines


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}"


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
        "and take turns (every other round in reverse order), the median round of each is "
        "shown (all rounds in serve.json); `rps ratio` is the median over the rounds of "
        "the round's ratio (each run with the log against the run without it next to it "
        "in time, which a change in the machine's load touches least), its range after "
        "it; rows "
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
        ratios = sorted(
            mine / theirs
            for mine, theirs in zip(r["c16_rounds_rps"], base["c16_rounds_rps"], strict=True)
        )
        ratio = ratios[len(ratios) // 2]
        spread = f"{ratios[0]:.0%}-{ratios[-1]:.0%}"
        cpu, base_cpu = r["c16_cpu_ms_per_request"], base["c16_cpu_ms_per_request"]
        same = "yes" if log["rows_logged"] == log["answered"] else "**no**"
        lines.append(
            f"| {r['model']} | {r['server'].removeprefix('tabship+')} | {r['c16']['rps']:.0f} | "
            f"{base['c16']['rps']:.0f} | {ratio:.0%} ({spread}) | {cpu:.3f} | {base_cpu:.3f} | "
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
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--train-budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--no-log", action="store_true", help="Skip the prediction-log runs.")
    parser.add_argument("--no-mlflow", action="store_true", help="Skip MLflow.")
    parser.add_argument("--no-tutorial", action="store_true", help="Skip the Flask tutorial.")
    parser.add_argument(
        "--mlflow-env",
        type=Path,
        default=Path.home() / ".cache" / "tabship-bench" / "mlflow",
        help="MLflow's own virtual environment, made here on first use.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="c=16 runs per server, taking turns.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    if not args.no_mlflow:
        os.environ["BENCH_MLFLOW_PYTHON"] = str(mlflow_python(args.mlflow_env))
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        database = None if args.no_log else stack.enter_context(postgres())
        for name in args.models:
            model_dir = trained_model(name, workdir, args.train_budget)
            import tabship

            example = tabship.load(model_dir).schema.example
            (workdir / f"{name}.example.json").write_text(json.dumps(example))
            group: list[tuple[str, str | None]] = [("floor", None), ("tabship", None)]
            if database is not None:
                group += [
                    ("tabship+sqlite", f"sqlite:///{workdir / f'{name}-log.db'}"),
                    ("tabship+postgresql", database.new_database()),
                ]
            group += [] if args.no_mlflow else [("mlflow", None)]
            group += [] if args.no_tutorial else [("tutorial", None)]
            for row in measure_group(
                name, group, model_dir, args.workers, args.duration, workdir, args.rounds,
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
