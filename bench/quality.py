"""Quality benchmark: every reference dataset trained with the same time budget.

Each dataset is trained in its own fresh process (so peak RSS is that run's alone) through
the public API, with the default split (``test_size=0.2, random_state=42``, stratified for
classification), so the test numbers compare with other tools run on the same split.
Writes ``bench/results/quality.md`` and ``quality.json``.

    python bench/quality.py                     # all datasets, 60 s each
    python bench/quality.py --budget 30 insurance adult
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "datasets"
BUNDLED = ROOT / "tests" / "datasets"

AUTO_MPG_NAMES = [
    "MPG",
    "Cylinders",
    "Displacement",
    "Horsepower",
    "Weight",
    "Acceleration",
    "Model Year",
    "Origin",
    "Car Name",
]

# name -> (file, target, extra train kwargs, target metrics: name -> (op, threshold))
DATASETS: dict[str, tuple[str, str, dict, dict[str, tuple[str, float]]]] = {
    "insurance": ("insurance.csv", "charges", {}, {"r2": (">=", 0.88)}),
    "adult": ("adult.csv", "income", {}, {"accuracy": (">=", 0.876), "roc_auc": (">=", 0.931)}),
    "auto-mpg": ("auto-mpg.csv", "MPG", {}, {"rmse": ("<=", 2.25)}),
    "auto-mpg.data": (
        "auto-mpg.data",
        "MPG",
        {"sep": r"\s+", "header": False, "names": AUTO_MPG_NAMES},
        {"rmse": ("<=", 2.25)},
    ),
    "college_scorecard": ("college_scorecard.csv", "EARN_MDN_5YR", {}, {"r2": (">=", 0.85)}),
    "drug200": ("drug200.csv", "Drug", {}, {"accuracy": (">=", 0.975)}),
    "diamonds": ("diamonds.csv", "price", {}, {"r2": (">=", 0.9815)}),
    "penguins": ("penguins.csv", "species", {}, {"accuracy": (">=", 0.985)}),
    "german_credit": ("german_credit.csv", "default", {}, {"roc_auc": (">=", 0.78)}),
    "income": ("income.csv", "income >50K", {}, {"accuracy": (">=", 0.876)}),
}

WORKER = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import tabship
spec = json.loads(sys.argv[1])
t0 = time.monotonic()
run = tabship.train(spec["path"], target=spec["target"], time_budget=spec["budget"],
                    **spec["kwargs"])
seconds = time.monotonic() - t0
path = run.save(spec["out"])
size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"task": run.schema.task, "holdout": run.metrics["holdout"],
                  "best_model": run.metrics["best_model"], "train_seconds": seconds,
                  "peak_rss_mb": rss_mb, "artifact_bytes": size,
                  "n_candidates": len(run.leaderboard)}))
"""


def data_file(name: str) -> Path:
    shared = SHARED / name
    return shared if shared.exists() else BUNDLED / f"{name}.gz"


def run_one(name: str, budget: float, workdir: Path) -> dict:
    file, target, kwargs, targets = DATASETS[name]
    spec = {
        "path": str(data_file(file)),
        "target": target,
        "budget": budget,
        "kwargs": kwargs,
        "out": str(workdir / name),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=budget * 3 + 120,
    )
    if done.returncode != 0:
        return {
            "dataset": name,
            "error": done.stderr.strip().splitlines()[-1:],
            "wall": time.monotonic() - started,
        }
    result = json.loads(done.stdout.strip().splitlines()[-1])
    checks = {}
    for metric, (op, threshold) in targets.items():
        value = result["holdout"].get(metric)
        ok = value is not None and (value >= threshold if op == ">=" else value <= threshold)
        checks[metric] = {"value": value, "target": f"{op} {threshold}", "met": ok}
    return {"dataset": name, "budget": budget, **result, "checks": checks}


def to_markdown(rows: list[dict], budget: float) -> str:
    lines = [
        f"# Quality benchmark (time budget {budget:g} s per dataset, 2-core machine)",
        "",
        "Test split: `train_test_split(test_size=0.2, random_state=42)`, stratified for "
        "classification. Reproduce: `python bench/quality.py`.",
        "",
        "| dataset | task | best model | test metrics (target) | all met | train s "
        "| peak RSS MB | artifact KB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['dataset']} | error: {row['error']} | | | no | | | |")
            continue
        shown = "; ".join(f"{m} {c['value']:.4f} ({c['target']})" for m, c in row["checks"].items())
        other = ", ".join(
            f"{k} {v:.4f}"
            for k, v in row["holdout"].items()
            if isinstance(v, float) and k not in row["checks"]
        )
        met = all(c["met"] for c in row["checks"].values()) and row["peak_rss_mb"] <= 2048
        lines.append(
            f"| {row['dataset']} | {row['task']} | {row['best_model']} | {shown}; {other} | "
            f"{'yes' if met else 'NO'} | {row['train_seconds']:.1f} | {row['peak_rss_mb']:.0f} | "
            f"{row['artifact_bytes'] / 1024:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            row = run_one(name, args.budget, Path(tmp))
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "holdout"}), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(json.dumps(rows, indent=2, default=str))
    (args.out / "quality.md").write_text(to_markdown(rows, args.budget))
    print(to_markdown(rows, args.budget))


if __name__ == "__main__":
    main()
