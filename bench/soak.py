"""Soak test: ``tabship serve`` under steady load for N minutes, every error counted.

Two clients at once against one server of the insurance model:

- wrk (Debian's HTTP load generator) at 16 connections on ``POST /predict`` with one
  record, for the whole run: requests, non-2xx answers, socket errors, p50/p99;
- a mixed-route client (httpx, one connection) cycling through every other route: the
  form page and a form post, ``GET /predict`` with a query, a CSV upload, /health,
  /ready, /metadata, /metrics, and bad inputs that must get their 4xx (invalid JSON, a
  bad value, a bad query, a CSV with the wrong columns, 10,001 records, an unknown path,
  a wrong method). An answer with the expected status counts as expected (so the 4xx of
  the bad inputs are counted apart from errors); any other status or a transport error
  is an error.

Each worker's resident memory (VmRSS from /proc) is read after a warm-up (every route
once per worker, so the CSV route's first-use cost is already paid) and again at the end.
The goal: 0 errors, 0 socket errors, every worker's RSS growth under 5 %.

    python bench/soak.py                          # 10 minutes, 2 workers
    python bench/soak.py --minutes 1 --workers 1  # a quick check

Writes bench/results/soak.md (``--out`` to change). wrk and the clients share the machine
with the server, so the throughput figures depend on the load (the table notes it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import WRK_SCRIPT, _latency, free_port, start, stop, trained_model  # noqa: E402

HERE = Path(__file__).resolve().parent
RECORD = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0}
RECORD |= {"smoker": "yes", "region": "southwest"}
CSV_ROWS = 200
GOAL_GROWTH = 0.05


@dataclass
class Call:
    """One route of the mixed client and the status it must answer."""

    name: str
    method: str
    path: str
    expected: int
    options: dict[str, Any] = field(default_factory=dict)


def mixed_calls() -> list[Call]:
    query = "&".join(f"{k}={v}" for k, v in RECORD.items())
    table = ",".join(RECORD) + "\n" + (",".join(map(str, RECORD.values())) + "\n") * CSV_ROWS
    form = {k: str(v) for k, v in RECORD.items()}
    json_body = {"headers": {"Content-Type": "application/json"}}
    return [
        Call("form page", "GET", "/", 200),
        Call("form post", "POST", "/", 200, {"data": form}),
        Call("predict query", "GET", f"/predict?{query}", 200),
        Call("predict csv", "POST", "/predict/csv", 200, {"files": {"file": ("r.csv", table)}}),
        Call("health", "GET", "/health", 200),
        Call("ready", "GET", "/ready", 200),
        Call("metadata", "GET", "/metadata", 200),
        Call("metrics", "GET", "/metrics", 200),
        Call("bad json", "POST", "/predict", 422, {"content": b"{", **json_body}),
        Call("bad value", "POST", "/predict", 422, {"json": {**RECORD, "age": "abc"}}),
        Call("bad query", "GET", f"/predict?{query}&age=abc", 422),
        Call("bad csv", "POST", "/predict/csv", 422, {"files": {"file": ("r.csv", "a,b\n1,2\n")}}),
        Call("10,001 records", "POST", "/predict", 413, {"json": [RECORD] * 10_001}),
        Call("unknown path", "GET", "/nowhere", 404),
        Call("wrong method", "DELETE", "/predict", 405),
    ]


@dataclass
class Mixed:
    """The mixed-route client's counts, per route."""

    expected: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def run(self, url: str, stop_event: threading.Event) -> None:
        calls = mixed_calls()
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop_event.is_set():
                for call in calls:
                    self._one(client, call)

    def _one(self, client: httpx.Client, call: Call) -> None:
        started = time.perf_counter()
        try:
            response = client.request(call.method, call.path, **call.options)
        except httpx.HTTPError as err:
            self._error(call, f"{call.name}: {err!r}")
            return
        self.latencies.append(time.perf_counter() - started)
        if response.status_code == call.expected:
            self.expected[call.name] += 1
        else:
            self._error(call, f"{call.name}: {response.status_code} {response.text[:120]}")

    def _error(self, call: Call, text: str) -> None:
        self.errors[call.name] += 1
        if len(self.examples) < 5:
            self.examples.append(text)


def worker_rss_kb(master: int, workers: int) -> dict[int, int]:
    """{pid: VmRSS in kB} of the server's worker processes (the master itself when it
    serves alone): the children ``tabship serve`` forks, not multiprocessing's helpers
    (``python -c "from multiprocessing..."``) nor a worker's log writer (its grandchild)."""
    if workers == 1:
        return {master: _rss_kb(master)}
    sizes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == master and "multiprocessing" not in cmdline:
            sizes[int(entry.name)] = _rss_kb(int(entry.name))
    return sizes


def sample_rss(master: int, workers: int, stop: threading.Event, out: list) -> None:
    """Every worker's RSS every 10 s until ``stop``: the halfway sample tells a leak (still
    growing) from memory that settled early."""
    while not stop.wait(10):
        out.append(worker_rss_kb(master, workers))


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def run_wrk(url: str, seconds: int, connections: int, workdir: Path) -> dict[str, Any]:
    """wrk's counts for ``seconds`` of one-record POST /predict."""
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT.format(body=json.dumps(json.dumps(RECORD))))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"{url}/predict"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(
            zip(["connect", "read", "write", "timeout"], map(int, errors.groups()), strict=True)
        )
        if errors
        else {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "raw": out,
    }


def warm_up(url: str, workers: int) -> None:
    """Every route a few times per worker, concurrently, so that each worker has paid
    its first-use costs (pandas for the CSV route) before RSS is first read."""
    mixed, stop_event = Mixed(), threading.Event()
    threads = [
        threading.Thread(target=mixed.run, args=(url, stop_event)) for _ in range(2 * workers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(10 * workers)
    stop_event.set()
    for thread in threads:
        thread.join()
    if mixed.errors:
        sys.exit(f"warm-up errors: {mixed.examples}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def soak(model: Path, minutes: float, workers: int, connections: int) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tabship", "serve", str(model), "--port", str(port)]
    command += ["--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TABSHIP_")}
    with tempfile.TemporaryDirectory(prefix="tabship-soak-") as tmp:
        workdir = Path(tmp)
        process, _ = start(command, env, f"{url}/ready", workdir / "server.log")
        try:
            warm_up(url, workers)
            before = worker_rss_kb(process.pid, workers)
            load_before = load_average()
            mixed, stop_event = Mixed(), threading.Event()
            samples: list[dict[int, int]] = []
            threads = [
                threading.Thread(target=mixed.run, args=(url, stop_event)),
                threading.Thread(
                    target=sample_rss, args=(process.pid, workers, stop_event, samples)
                ),
            ]
            for thread in threads:
                thread.start()
            wrk = run_wrk(url, round(minutes * 60), connections, workdir)
            stop_event.set()
            for thread in threads:
                thread.join()
            after = worker_rss_kb(process.pid, workers)
            load_after = load_average()
        finally:
            stop(process)
        log = (workdir / "server.log").read_text(errors="replace")
    return {
        "minutes": minutes,
        "workers": workers,
        "connections": connections,
        "wrk": wrk,
        "mixed": mixed,
        "rss_before_kb": before,
        "rss_after_kb": after,
        "rss_halfway_kb": samples[len(samples) // 2] if samples else {},
        "load_before": load_before,
        "load_after": load_after,
        "exit_code": process.returncode,
        "tracebacks": log.count("Traceback"),
        "exceptions": exception_lines(log),
    }


def exception_lines(log: str) -> list[str]:
    """The last line of each traceback in the server's log (what was raised)."""
    found, inside = [], False
    for line in log.splitlines():
        if line.startswith("Traceback"):
            inside = True
        elif inside and line and not line.startswith((" ", "\t")):
            found.append(line[:200])
            inside = False
    return found


def to_markdown(result: dict[str, Any]) -> str:
    wrk, mixed = result["wrk"], result["mixed"]
    socket_errors = sum(wrk["socket_errors"].values())
    mixed_errors = sum(mixed.errors.values())
    bad_routes = [c.name for c in mixed_calls() if c.expected >= 400]
    expected_4xx = sum(mixed.expected[name] for name in bad_routes)
    latencies = sorted(mixed.latencies)
    mixed_p99 = 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0
    growth = rss_growth(result)
    worst = max(growth.values(), default=0.0)
    errors = wrk["non_2xx"] + socket_errors + mixed_errors + result["tracebacks"]
    verdict = "met" if errors == 0 and worst < GOAL_GROWTH and growth else "NOT met"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Soak: tabship serve under steady load",
        "",
        f"{when}; `python bench/soak.py --minutes {result['minutes']:g} --workers "
        f"{result['workers']}`; insurance model; {os.cpu_count()} CPUs shared by the server, "
        f"wrk and the mixed client (and by other work: load average {result['load_before']} "
        f"at the start, {result['load_after']} at the end).",
        "",
        f"Goal: 0 errors, RSS growth < {GOAL_GROWTH:.0%} per worker: **{verdict}**.",
        "",
        "| client | requests | expected 4xx | errors (non-2xx / unexpected) | socket errors "
        "| p50 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| wrk, {result['connections']} connections, POST /predict (one record) "
        f"| {wrk['requests']:,} | - | {wrk['non_2xx']} | {socket_errors} "
        f"| {wrk['p50_ms']:.1f} | {wrk['p99_ms']:.1f} | {wrk['rps']:,.0f} |",
        f"| mixed routes, 1 connection ({len(mixed_calls())} routes) "
        f"| {sum(mixed.expected.values()) + mixed_errors:,} | {expected_4xx:,} "
        f"| {mixed_errors} | - | - | {mixed_p99:.1f} | - |",
        "",
        "| worker pid | RSS before (MiB) | halfway | after | growth | growth, second half |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    before, after = result["rss_before_kb"], result["rss_after_kb"]
    halfway = result["rss_halfway_kb"]
    for pid in sorted(set(before) | set(after)):
        old, mid, new = before.get(pid), halfway.get(pid), after.get(pid)
        total = f"{growth[pid]:+.1%}" if pid in growth else "gone or new"
        second = f"{new / mid - 1:+.1%}" if mid and new else "-"
        lines.append(f"| {pid} | {_mib(old)} | {_mib(mid)} | {_mib(new)} | {total} | {second} |")
    lines += [
        "",
        f"Server log: {result['tracebacks']} tracebacks; exit code after SIGTERM "
        f"{result['exit_code']}. RSS is read after a warm-up that sent every route to every "
        "worker (the CSV route loads pandas on first use).",
    ]
    if result["exceptions"]:
        lines += ["", "Exceptions in the server's log:", ""]
        lines += [f"- `{text}`" for text in dict.fromkeys(result["exceptions"])]
    if mixed.examples:
        lines += ["", "Mixed-client errors (first five):", ""]
        lines += [f"- `{text}`" for text in mixed.examples]
    return "\n".join(lines) + "\n"


def rss_growth(result: dict[str, Any]) -> dict[int, float]:
    before, after = result["rss_before_kb"], result["rss_after_kb"]
    return {pid: after[pid] / before[pid] - 1 for pid in before if pid in after}


def _mib(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "soak.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as tmp:
        model = trained_model("insurance", Path(tmp), budget=20)
    result = soak(model, args.minutes, args.workers, args.connections)
    table = to_markdown(result)
    print(table)
    args.out.write_text(table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
