"""Serving benchmark: tabship serve against the tutorials' Flask app, in the same run.

For the insurance and adult models it measures, for each server:
- requests/s and p50/p99 latency of one-record ``POST /predict`` at concurrency 1 and 16
  (wrk, Debian's HTTP load generator, on loopback);
- startup time from process start to the first 200;
- resident memory of each worker process.

The baseline is what the tutorials build: a Flask app that unpickles the same fitted
pipeline once at startup and builds a one-row DataFrame per request, served by gunicorn
with the same number of workers. Both servers run on this machine, one at a time, with
wrk beside them on the same 2 cores, so the ratio is what to read, not the absolutes.

    python bench/serve.py                  # needs: apt-get install wrk; pip install flask gunicorn
    python bench/serve.py --duration 5 --models insurance

Writes bench/results/serve.md and serve.json.
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
from pathlib import Path

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


def measure(
    name: str, kind: str, model_dir: Path, workers: int, duration: int, workdir: Path
) -> dict:
    port = free_port()
    env = {**os.environ}
    if kind == "tabship":
        command = [sys.executable, "-m", "tabship", "serve", str(model_dir), "--port", str(port),
                   "--workers", str(workers)]  # fmt: skip
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
            if kind == "tabship"
            else json.loads((workdir / f"{name}.example.json").read_text())
        )
        body = json.dumps(example)
        url = f"http://127.0.0.1:{port}/predict"
        check = httpx.post(url, content=body, headers={"content-type": "application/json"})
        assert check.status_code == 200, check.text
        run_wrk(url, body, 4, 2, workdir)  # warm-up
        c1 = run_wrk(url, body, 1, duration, workdir)
        c16 = run_wrk(url, body, 16, duration, workdir)
        rss = worker_rss_mb(process.pid)
    finally:
        stop(process)
    return {"model": name, "server": kind, "workers": workers, "startup_s": startup,
            "c1": c1, "c16": c16, "worker_rss_mb": rss}  # fmt: skip


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
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in args.models:
            model_dir = trained_model(name, workdir, args.train_budget)
            import tabship

            example = tabship.load(model_dir).schema.example
            (workdir / f"{name}.example.json").write_text(json.dumps(example))
            for kind in ("tabship", "tutorial"):
                row = measure(name, kind, model_dir, args.workers, args.duration, workdir)
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve.json").write_text(json.dumps(rows, indent=2))
    (args.out / "serve.md").write_text(to_markdown(rows, args.duration))
    print(to_markdown(rows, args.duration))


if __name__ == "__main__":
    main()
