"""Start-up benchmark: ``tabship serve`` from process start to its first 200, per worker count.

For each model and worker count it starts ``tabship serve MODEL --workers N`` (the console
script, as a container's CMD does), polls ``/health`` every 10 ms and records:

- ``first 200 s``: from the process start to the first 200 (any worker);
- ``all ready s``: to the last worker's "Application startup complete" line;
- ``worker RSS MiB`` / ``worker PSS MiB``: the largest worker's resident and proportional
  set once every worker is ready (PSS splits pages shared between processes, such as a
  forked worker's copy-on-write pages of the parent, between them);

then stops it with SIGTERM. Runs alternate between the configurations, so the load other
work puts on the machine falls on all of them alike; medians of ``--runs`` are reported
with the load average. ``--version NAME=SRC`` compares source trees in the same run
(each served with ``PYTHONPATH=SRC``, e.g. an older commit's ``git archive``).

    python bench/start.py --model insurance=models/charges --model adult=models/income
    python bench/start.py --model insurance=models/charges --workers 1 2 --runs 7
    git archive HEAD~1 src | tar -x -C /tmp/before
    python bench/start.py --model insurance=models/charges \
        --version before=/tmp/before/src --version after=src

Writes bench/results/start.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.batch import compile_bytecode  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TABSHIP = Path(sys.executable).with_name("tabship")
Config = tuple[str, int, str]  # model, workers, version


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_mib(pid: int) -> tuple[float, float]:
    """RSS and PSS of one process, in MiB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    rss = int(re.search(r"^Rss:\s+(\d+) kB", rollup, re.M)[1])
    pss = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)[1])
    return rss / 1024, pss / 1024


def one_start(model: str, workers: int, source: str | None, log: Path) -> dict[str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TABSHIP_", "PROMETHEUS_"))}
    if source:
        env["PYTHONPATH"] = str(Path(source).resolve())
    with open(log, "wb") as sink:
        started = time.monotonic()
        process = subprocess.Popen(
            [str(TABSHIP), "serve", model, "--port", str(port), "--workers", str(workers)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        first = _first_200(f"http://127.0.0.1:{port}/health", process, started)
        ready = _all_ready(log, workers, process, started)
        pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", log.read_text())]
        memory = [memory_mib(pid) for pid in pids]
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    if code not in (0, -signal.SIGTERM):
        raise SystemExit(f"exit {code}:\n{log.read_text()}")
    return {
        "first 200 s": first,
        "all ready s": ready,
        "worker RSS MiB": max(m[0] for m in memory),
        "worker PSS MiB": max(m[1] for m in memory),
    }


def _first_200(url: str, process: subprocess.Popen, started: float) -> float:
    while process.poll() is None:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise SystemExit(f"the server exited with {process.returncode}")


def _all_ready(log: Path, workers: int, process: subprocess.Popen, started: float) -> float:
    while process.poll() is None:
        if log.read_text().count("Application startup complete") >= workers:
            return time.monotonic() - started
        time.sleep(0.01)
    raise SystemExit(f"the server exited with {process.returncode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--version", action="append", default=[], help="NAME=SRC")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    models = dict(item.split("=", 1) for item in args.model)
    versions: dict[str, str | None] = dict(v.split("=", 1) for v in args.version) or {"": None}
    for source in {ROOT / "src", *(Path(s) for s in versions.values() if s)}:
        compile_bytecode(source)
    configs = [(m, n, v) for m in models for n in args.workers for v in versions]
    samples: dict[Config, list[dict[str, float]]] = {c: [] for c in configs}
    loads = [os.getloadavg()[0]]
    for run in range(args.runs):
        for name, n, version in configs:
            log = args.log_dir / f"start-{name}-{n}-{version}-{run}.log"
            samples[name, n, version].append(one_start(models[name], n, versions[version], log))
        loads.append(os.getloadavg()[0])
    table = _table(samples, statistics.median(loads), min(loads), max(loads))
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "start.md").write_text(
        "# Start-up: `tabship serve` to its first 200\n\n"
        f"Medians of {args.runs} runs, alternating; reproduce: `python bench/start.py "
        + " ".join(sys.argv[1:])
        + "`.\n\n"
        + table,
        encoding="utf-8",
    )


def _table(samples: dict[Config, list[dict[str, float]]], *loads: float) -> str:
    columns = ["first 200 s", "all ready s", "worker RSS MiB", "worker PSS MiB"]
    head = ["model", "workers", "version", *columns]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (name, n, version), runs in samples.items():
        cells = [name, str(n), version or "-"]
        cells += [f"{statistics.median(r[c] for r in runs):.2f}" for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    median, low, high = loads
    return (
        "\n".join(lines) + f"\n\nLoad average over the runs: {median:.1f} ({low:.1f}-{high:.1f}).\n"
    )


if __name__ == "__main__":
    main()
