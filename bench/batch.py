"""Batch-scoring benchmark: rows per second and peak memory, 100k rows against 1M rows.

Generates CSV files by resampling adult.csv (with replacement, fixed seed), trains a
model on adult.csv once (kept under bench/.models), then scores each file in a fresh
process with ``tabship predict`` semantics (``tabship.batch.score_file``) and reports
rows/s and the peak RSS of that process. Memory must stay flat: it is bounded by the chunk
size, not by the file size.

    python bench/batch.py                       # 100k and 1M rows, chunks of 50k
    python bench/batch.py --rows 100000 1000000 --chunk-size 50000

Writes bench/results/batch.md and batch.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

WORKER = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import tabship.runtime
from tabship.batch import score_file
model_dir, source, output, chunk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
model = tabship.runtime.load(model_dir, native_lightgbm=True)  # as tabship predict
started = time.perf_counter()
report = score_file(model, source, output, chunk_size=chunk, force=True)
seconds = time.perf_counter() - started
print(json.dumps({"rows": report.rows, "failed": report.failed, "seconds": seconds,
                  "rows_per_s": report.rows / seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def adult_path() -> Path:
    shared = ROOT.parent / "shared" / "datasets" / "adult.csv"
    return shared if shared.exists() else ROOT / "tests" / "datasets" / "adult.csv.gz"


def model_dir(budget: float) -> Path:
    path = HERE / ".models" / "adult"
    if not (path / "manifest.json").exists():
        subprocess.run(
            [sys.executable, "-m", "tabship", "train", str(adult_path()), "-t", "income",
             "--time-budget", str(budget), "-o", str(path), "--force", "-q"],
            check=True,
        )  # fmt: skip
    return path


def resampled_csv(rows: int, out: Path) -> Path:
    """``rows`` rows drawn from adult.csv with replacement, written in slices."""
    adult = pd.read_csv(adult_path())
    path = out / f"adult-{rows}.csv"
    step = 200_000
    for i, start in enumerate(range(0, rows, step)):
        n = min(step, rows - start)
        part = adult.sample(n=n, replace=True, random_state=i)
        part.to_csv(path, mode="w" if i == 0 else "a", header=i == 0, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--train-budget", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--model", type=Path, help="score with this adult model instead")
    args = parser.parse_args()
    model = args.model or model_dir(args.train_budget)
    best = json.loads((model / "metrics.json").read_text()).get("best_model", "?")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.rows:
            source = resampled_csv(n, Path(tmp))
            done = subprocess.run(
                [sys.executable, "-c", WORKER, str(model), str(source),
                 str(Path(tmp) / "scored.csv"), str(args.chunk_size)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = {"file_rows": n, "chunk_size": args.chunk_size, **json.loads(done.stdout)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    base = rows[0]["peak_rss_mb"]
    lines = [
        "# Batch scoring: adult.csv resampled, scored to CSV in chunks",
        "",
        f"Model: {model.name}, {best} (trained by tabship on adult.csv). One fresh process "
        "per file. Reproduce: `python bench/batch.py`.",
        "",
        "| file rows | chunk | rows/s | seconds | peak RSS MB | RSS vs first |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['file_rows']:,} | {r['chunk_size']:,} | {r['rows_per_s']:,.0f} | "
            f"{r['seconds']:.1f} | {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] / base - 1:+.0%} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.json").write_text(json.dumps(rows, indent=2))
    (args.out / "batch.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
