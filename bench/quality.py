"""Quality benchmark: every reference dataset trained with the same time budget.

Each dataset is trained in its own fresh process (so peak RSS is that run's alone) through
the public API, with the default split (``test_size=0.2, random_state=42``, stratified for
classification), so the test numbers compare with other tools run on the same split.
``wall s`` is the train call plus the save (scoring plan included), as ``tabship train``
spends them; the budget is kept when it is within 110 % of ``--budget``. Two tables are
made here, not shipped: ``houses-synthetic`` (1,460 rows x 80 mixed columns with missing
values, the house-prices shape) and ``adult-10k`` (a seeded 10,000-row sample of adult).
Writes ``bench/results/quality.md`` and ``quality.json`` (``quality-20s.*`` for a 20 s
budget, and so on). ``--repeat 2`` trains each dataset twice with the same seed and adds
a repeatability table: winner and test metrics of each run, and their largest difference.

    python bench/quality.py                     # all datasets, 60 s each
    python bench/quality.py --budget 30 insurance adult
    python bench/quality.py --budget 20 --repeat 2 insurance adult-10k diamonds
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
    "houses-synthetic": ("houses-synthetic.csv", "SalePrice", {}, {}),
    "adult-10k": ("adult-10k.csv", "income", {}, {}),
}
MADE = {"houses-synthetic.csv", "adult-10k.csv"}  # written by make_table, not shipped

WORKER = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import tabship
spec = json.loads(sys.argv[1])
t0 = time.monotonic()
run = tabship.train(spec["path"], target=spec["target"], time_budget=spec["budget"],
                    seed=spec["seed"], **spec["kwargs"])
seconds = time.monotonic() - t0
path = run.save(spec["out"], force=True)
save_seconds = time.monotonic() - t0 - seconds
size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"task": run.schema.task, "holdout": run.metrics["holdout"],
                  "best_model": run.metrics["best_model"], "train_seconds": seconds,
                  "save_seconds": save_seconds, "wall_seconds": seconds + save_seconds,
                  "phase_seconds": run.metrics.get("phase_seconds"),
                  "peak_rss_mb": rss_mb, "artifact_bytes": size,
                  "n_candidates": len(run.leaderboard)}))
"""


def data_file(name: str, workdir: Path) -> Path:
    if name in MADE:
        return make_table(name, workdir)
    shared = SHARED / name
    return shared if shared.exists() else BUNDLED / f"{name}.gz"


def make_table(name: str, workdir: Path) -> Path:
    """Write one of the tables made here (the same rows every time) into ``workdir``."""
    import pandas as pd

    path = workdir / name
    if not path.exists():
        if name == "adult-10k.csv":
            frame = pd.read_csv(data_file("adult.csv", workdir), skipinitialspace=True)
            frame.sample(10_000, random_state=0).to_csv(path, index=False)
        else:
            houses().to_csv(path, index=False)
    return path


def houses(n: int = 1460, seed: int = 0):
    """A house-prices-shaped table: 38 numeric and 42 categorical columns, some missing,
    a skewed positive price driven by a few of them."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    quality = rng.integers(1, 11, n)
    area = rng.lognormal(7.3, 0.35, n)
    signal = 0.12 * quality + 0.5 * np.log(area)
    columns: dict = {}
    for i in range(36):
        values = rng.normal(0, 1, n) * (1 + i % 5) + (signal if i % 6 == 0 else 0)
        values = np.round(np.abs(values) * 100) if i % 4 == 0 else values
        values[rng.random(n) < 0.02 * (i % 7)] = np.nan
        columns[f"num_{i}"] = values
    columns["OverallQual"] = quality
    columns["GrLivArea"] = area.round()
    for j in range(42):
        k = 2 + (j * 7) % 23
        codes = rng.integers(0, k, n)
        if j % 5 == 0:
            signal = signal + 0.03 * (codes % 3)
        labels = np.array([f"L{j}_{c}" for c in range(k)], dtype=object)[codes]
        labels[rng.random(n) < 0.03 * (j % 4)] = None
        columns[f"cat_{j}"] = labels
    frame = pd.DataFrame(columns)
    frame["SalePrice"] = np.exp(10.5 + signal + rng.normal(0, 0.12, n)).round()
    return frame


def run_one(name: str, budget: float, workdir: Path, seed: int = 42) -> dict:
    file, target, kwargs, targets = DATASETS[name]
    spec = {
        "path": str(data_file(file, workdir)),
        "target": target,
        "budget": budget,
        "seed": seed,
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
        "classification. Reproduce: `python bench/quality.py` (see its docstring for the "
        "options). `wall s` = train + save, the budget is kept within 110 %.",
        "",
        "| dataset | task | best model | test metrics (target) | all met | train s "
        "| save s | wall s | within 10 % | peak RSS MB | artifact KB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['dataset']} | error: {row['error']} | | | no | | | | | | |")
            continue
        shown = "; ".join(f"{m} {c['value']:.4f} ({c['target']})" for m, c in row["checks"].items())
        other = ", ".join(
            f"{k} {v:.4f}"
            for k, v in row["holdout"].items()
            if isinstance(v, float) and k not in row["checks"]
        )
        met = all(c["met"] for c in row["checks"].values()) and row["peak_rss_mb"] <= 2048
        kept = row["wall_seconds"] <= 1.1 * budget
        lines.append(
            f"| {row['dataset']} | {row['task']} | {row['best_model']} | {shown}; {other} | "
            f"{'yes' if met else 'NO'} | {row['train_seconds']:.1f} | "
            f"{row['save_seconds']:.1f} | {row['wall_seconds']:.1f} | "
            f"{'yes' if kept else 'NO'} | {row['peak_rss_mb']:.0f} | "
            f"{row['artifact_bytes'] / 1024:.0f} |"
        )
    return "\n".join(lines) + "\n" + phase_markdown(rows)


PHASES = ("prepare", "search", "holdout_fit", "importance", "refit", "report", "summary")


def phase_markdown(rows: list[dict]) -> str:
    """Where each run's seconds went (``metrics["phase_seconds"]``, then the save)."""
    lines = [
        "",
        "## Where the time went (seconds)",
        "",
        "| dataset | " + " | ".join(PHASES) + " | save | wall |",
        "| --- |" + " --- |" * (len(PHASES) + 2),
    ]
    for row in rows:
        phases = row.get("phase_seconds")
        if not phases:
            continue
        cells = " | ".join(f"{phases.get(name, 0.0):.1f}" for name in PHASES)
        lines.append(
            f"| {row['dataset']} | {cells} | {row['save_seconds']:.1f} | "
            f"{row['wall_seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def repeat_markdown(runs: list[list[dict]]) -> str:
    """One line per dataset: each run's winner and test metrics, and the largest gap."""
    lines = [
        "",
        "## Repeatability (same seed, same budget)",
        "",
        "| dataset | winners | test metrics per run | largest difference | same winner |",
        "| --- | --- | --- | --- | --- |",
    ]
    for tries in runs:
        ok = [r for r in tries if "error" not in r]
        if len(ok) < 2:
            lines.append(f"| {tries[0]['dataset']} | error | | | no |")
            continue
        metrics = [k for k, v in ok[0]["holdout"].items() if isinstance(v, float)]
        gaps = {m: max(r["holdout"][m] for r in ok) - min(r["holdout"][m] for r in ok)
                for m in metrics}  # fmt: skip
        shown = " / ".join(", ".join(f"{m} {r['holdout'][m]:.4f}" for m in metrics[:2]) for r in ok)
        worst = ", ".join(f"{m} {gap:.4g}" for m, gap in gaps.items())
        winners = " / ".join(r["best_model"] for r in ok)
        same = len({r["best_model"] for r in ok}) == 1
        lines.append(f"| {ok[0]['dataset']} | {winners} | {shown} | {worst} | "
                     f"{'yes' if same else 'NO'} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="Runs per dataset, same seed.")
    parser.add_argument("--stem", help="Result file name [quality, quality-<budget>s].")
    args = parser.parse_args()
    runs: list[list[dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            tries = [run_one(name, args.budget, Path(tmp), args.seed) for _ in range(args.repeat)]
            runs.append(tries)
            for row in tries:
                print(json.dumps({k: v for k, v in row.items() if k != "holdout"}), flush=True)
    rows = [row for tries in runs for row in tries]
    text = to_markdown(rows, args.budget)
    if args.repeat > 1:
        text += repeat_markdown(runs)
    stem = args.stem or ("quality" if args.budget == 60 else f"quality-{args.budget:g}s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(rows, indent=2, default=str))
    (args.out / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
