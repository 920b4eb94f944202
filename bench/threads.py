"""Thread benchmark: what one fit costs on one or two threads under OpenMP's wait policies.

tabship sets ``OMP_WAIT_POLICY=PASSIVE`` (idle OpenMP threads sleep; see
``tabship/__init__.py``), so every parallel region wakes its threads; this measures what
that costs LightGBM and HistGradientBoosting on a mid-sized table, alone and with a
second process fitting beside it, against one thread and against spinning policies. It
is the measurement behind ``search.lightgbm_threads`` (one thread up to 200,000 rows).

Each setting runs in fresh processes (the policy is read when the OpenMP runtime
loads): ``--rows`` rows of adult.csv (sampled with replacement above its 32,561), 100
trees, ``--fits`` fits each; medians reported. "2 at once" starts two such processes
together.

    python bench/threads.py                  # 17,000 rows
    python bench/threads.py --rows 200000

Writes bench/results/threads.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "datasets" / "adult.csv"
BUNDLED = HERE.parent / "tests" / "datasets" / "adult.csv.gz"

SETTINGS = {
    "PASSIVE, 2 threads": ({"OMP_WAIT_POLICY": "PASSIVE"}, 2),
    "PASSIVE, 1 thread": ({"OMP_WAIT_POLICY": "PASSIVE"}, 1),
    "default policy, 2 threads": ({}, 2),
    "PASSIVE + GOMP_SPINCOUNT=10000, 2 threads": (
        {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"},
        2,
    ),
}

CHILD = r"""
import json, statistics, sys, time
import numpy as np, pandas as pd, lightgbm as lgb
from threadpoolctl import threadpool_limits
from sklearn.ensemble import HistGradientBoostingClassifier
path, rows, threads, fits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(path, skipinitialspace=True)
y = (df.pop("income").astype(str).str.strip().str.startswith(">50K")).astype(int)
for c in df.columns:
    if not pd.api.types.is_numeric_dtype(df[c]):
        df[c] = df[c].astype("category")
idx = np.random.default_rng(0).integers(0, len(df), rows)
X, y = df.iloc[idx].reset_index(drop=True), y.iloc[idx].reset_index(drop=True)
out = {"lightgbm": [], "hist_gradient_boosting": []}
for _ in range(fits):
    t = time.perf_counter()
    lgb.LGBMClassifier(verbose=-1, n_jobs=threads, deterministic=True,
                       force_row_wise=True).fit(X, y)
    out["lightgbm"].append(time.perf_counter() - t)
    with threadpool_limits(threads):
        t = time.perf_counter()
        HistGradientBoostingClassifier(categorical_features="from_dtype").fit(X, y)
        out["hist_gradient_boosting"].append(time.perf_counter() - t)
print(json.dumps({k: statistics.median(v) for k, v in out.items()}))
"""


def run(env: dict[str, str], threads: int, rows: int, fits: int, together: int) -> list[dict]:
    data = ADULT if ADULT.exists() else BUNDLED
    full = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    full.update(env)
    args = [sys.executable, "-c", CHILD, str(data), str(rows), str(threads), str(fits)]
    procs = [
        subprocess.Popen(args, env=full, stdout=subprocess.PIPE, text=True) for _ in range(together)
    ]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=17_000)
    parser.add_argument("--fits", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    load = os.getloadavg()
    lines = [
        "# Threads: one fit on one or two threads under OpenMP's wait policies",
        "",
        f"{args.rows:,} adult rows, 100 trees, median of {args.fits} fits per process; "
        f"load average at the start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} (2 cores). "
        "'2 at once': two processes fitting together (each one's median shown). "
        f"Reproduce: `python bench/threads.py --rows {args.rows}`.",
        "",
        "| setting | LightGBM alone s | LightGBM, 2 at once s | HistGradientBoosting alone s |",
        "| --- | --- | --- | --- |",
    ]
    for name, (env, threads) in SETTINGS.items():
        alone = run(env, threads, args.rows, args.fits, 1)[0]
        pair = run(env, threads, args.rows, args.fits, 2)
        both = " / ".join(f"{r['lightgbm']:.2f}" for r in pair)
        row = (
            f"| {name} | {alone['lightgbm']:.2f} | {both} | {alone['hist_gradient_boosting']:.2f} |"
        )
        print(row, flush=True)
        lines.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.rows == 17_000 else f"-{args.rows}"
    (args.out / f"threads{suffix}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
