"""What the type audit costs at start: the quick audit against skops' full one.

Every load audits the stored pipeline's types (issue 10: ``tabship serve`` skipped it for
a model with a scoring plan). skops' audit imports every scikit-learn estimator to build
its trusted list; the quick audit reads the skops file's own listing instead
(``tabship.artifact._audit``). For each model folder given, in fresh processes,
alternating, median of ``--runs``:

- ``audit``: seconds from interpreter start to a finished audit, imports included, each way;
- ``first 200``: seconds from spawning ``tabship serve MODEL --workers 1`` to the first
  200 on ``/ready`` (the worker audits with the quick audit);
- ``predict``: the whole ``tabship predict MODEL ONE_ROW.csv`` command.

Usage: ``python bench/audit.py MODEL [MODEL ...] [--runs 5]`` (model folders written by
``tabship train``); prints a Markdown table and saves it to ``bench/results/audit.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results" / "audit.md"

AUDIT = """
import sys, time
started = time.perf_counter()
data = open(sys.argv[2] + "/pipeline.skops", "rb").read()
if sys.argv[1] == "quick":
    from tabship.artifact._audit import quick_audit_passes
    assert quick_audit_passes(data, sys.argv[2])
else:
    from tabship.artifact._trusted import untrusted_types
    assert untrusted_types(data) == []
print(time.perf_counter() - started)
"""


def audit_seconds(model: Path, way: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", AUDIT, way, str(model)], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_200(model: Path) -> float:
    port = free_port()
    command = [sys.executable, "-m", "tabship", "serve", str(model)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"tabship serve {model} exited with {process.returncode}")
    finally:
        process.terminate()
        process.wait()


def one_row_file(model: Path, folder: Path) -> Path:
    example = json.loads((model / "schema.json").read_text())["example"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(example))
    writer.writeheader()
    writer.writerow(example)
    path = folder / f"{model.name}-one.csv"
    path.write_text(buffer.getvalue())
    return path


def predict_seconds(model: Path, data: Path) -> float:
    out = data.with_suffix(".scored.csv")
    command = [sys.executable, "-m", "tabship", "predict", str(model), str(data)]
    started = time.perf_counter()
    subprocess.run([*command, "-o", str(out), "--force"], check=True, capture_output=True)
    return time.perf_counter() - started


MEASURES = {
    "audit, quick": lambda model, row: audit_seconds(model, "quick"),
    "audit, skops": lambda model, row: audit_seconds(model, "skops"),
    "serve: first 200": lambda model, row: first_200(model),
    "predict, one row": predict_seconds,
}


def measure(models: list[Path], runs: int) -> dict[tuple[str, str], list[float]]:
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        rows = {m: one_row_file(m, Path(folder)) for m in models}
        for _ in range(runs):
            for model in models:
                for name, seconds in MEASURES.items():
                    times.setdefault((model.name, name), []).append(seconds(model, rows[model]))
    return times


def table(times: dict[tuple[str, str], list[float]], runs: int) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Median of {runs} runs, fresh processes, alternating; load average at the end: {load} "
        f"on {os.cpu_count()} cores.",
        "",
        "| model | measure | median s | runs s |",
        "|---|---|---:|---|",
    ]
    for (model, name), values in times.items():
        runs_text = " ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {model} | {name} | {statistics.median(values):.3f} | {runs_text} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    text = table(measure(args.models, args.runs), args.runs)
    print(text)
    RESULTS.write_text("# Type audit at start (bench/audit.py)\n\n" + text)


if __name__ == "__main__":
    main()
