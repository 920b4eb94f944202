"""``tabship predict`` on a wide file: one row, the model's columns plus thousands more.

A 10,000-column export took 7.6 s for one row (issue 10, item 9) because every column
was cleaned and validated; now only the model's columns are, the rest pass through as
read. For a model folder, writes a CSV of its example record plus ``--columns`` extra
text columns and runs ``tabship predict`` in fresh processes ``--runs`` times: wall time
of the command and the seconds ``score_file`` reports ("Scored 1 of 1 rows in X s"),
median and range.

Usage: ``python bench/batch_wide.py MODEL [--columns 10000] [--runs 3]``; prints a
Markdown table and saves it to ``bench/results/batch_wide.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "batch_wide.md"


def wide_file(model: Path, columns: int, folder: Path) -> Path:
    example = json.loads((model / "schema.json").read_text())["example"]
    path = folder / "wide.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*example, *(f"extra_{i}" for i in range(columns))])
        writer.writerow([*example.values(), *(f"v{i}" for i in range(columns))])
    return path


def run_once(model: Path, source: Path, output: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "tabship", "predict", str(model), str(source),
               "-o", str(output), "--force", "-q"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    scored = re.search(r"rows in ([\d.]+) s", done.stdout)
    return wall, float(scored.group(1)) if scored else float("nan")


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--columns", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = wide_file(args.model, args.columns, Path(folder))
        runs = [run_once(args.model, source, Path(folder) / "out.csv") for _ in range(args.runs)]
    load = os.getloadavg()[0]
    table = "\n".join([
        f"`tabship predict` on one row with {args.columns:,} extra columns "
        f"({args.model.name}, {args.runs} runs, load average {load:.1f} on "
        f"{os.cpu_count()} cores): median (range), seconds",
        "",
        "| wall (command) | score_file |",
        "| --- | --- |",
        f"| {spread([w for w, _ in runs])} | {spread([s for _, s in runs])} |",
    ])  # fmt: skip
    print(table)
    RESULTS.write_text(table + "\n")


if __name__ == "__main__":
    main()
