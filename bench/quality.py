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
``--small`` runs the small multiclass tables (drug200, penguins, and tables made here from
scikit-learn's bundled data or generated, 178-900 rows, 3-10 unbalanced classes) into
``quality-small*``, with a default LightGBM on the same split beside tabship; ``--flaml
DIR`` adds FLAML's AutoML at the same budget, run from ``DIR`` (a folder holding FLAML
and XGBoost, which the project does not depend on: ``pip install --no-deps --target DIR
flaml==2.7.0 "xgboost-cpu<3"``).

    python bench/quality.py                     # all datasets, 60 s each
    python bench/quality.py --budget 30 insurance adult
    python bench/quality.py --budget 20 --repeat 2 insurance adult-10k diamonds
    python bench/quality.py --small --budget 60 --flaml /tmp/flaml
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
    # Small multiclass tables (issue 11 item 2), made here from scikit-learn's bundled
    # data or generated: no targets of their own; ``--flaml`` adds FLAML's figures.
    "wine": ("wine.csv", "cultivar", {}, {}),
    "digits-unbalanced": ("digits-unbalanced.csv", "digit", {}, {}),
    "synth-5class-600": ("synth-5class-600.csv", "label", {}, {}),
    "synth-6class-400": ("synth-6class-400.csv", "label", {}, {}),
    "synth-4class-900-mixed": ("synth-4class-900-mixed.csv", "label", {}, {}),
    "synth-6class-214": ("synth-6class-214.csv", "label", {}, {}),
}
SMALL = ["drug200", "penguins", "wine", "digits-unbalanced", "synth-5class-600",
         "synth-6class-400", "synth-4class-900-mixed", "synth-6class-214"]  # fmt: skip
MADE = {"houses-synthetic.csv", "adult-10k.csv"} | {
    DATASETS[name][0] for name in SMALL if name not in ("drug200", "penguins")
}  # written by make_table, not shipped

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
                  "n_candidates": len(run.leaderboard),
                  "n_train": run.metrics["n_train"], "n_test": run.metrics["n_test"]}))
"""

# The reference on the same split: FLAML's AutoML at the same budget (default metric)
# and a default LightGBM, in a process whose PYTHONPATH holds FLAML (``--flaml DIR``).
REFERENCE = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import lightgbm as lgb, numpy as np, pandas as pd
from sklearn import metrics
from sklearn.model_selection import train_test_split
spec = json.loads(sys.argv[1])
frame = pd.read_csv(spec["path"], **spec["read"]).dropna(subset=[spec["target"]])
y = frame.pop(spec["target"]).astype(str)
for col in frame.select_dtypes(exclude="number").columns:
    frame[col] = frame[col].astype("category")
X_tr, X_te, y_tr, y_te = train_test_split(frame, y, test_size=0.2, random_state=42, stratify=y)
out = {}
def scores(model, seconds):
    pred = np.asarray(model.predict(X_te)).astype(str)
    return {"accuracy": metrics.accuracy_score(y_te, pred),
            "balanced_accuracy": metrics.balanced_accuracy_score(y_te, pred),
            "seconds": seconds}
t0 = time.monotonic()
base = lgb.LGBMClassifier(verbose=-1, random_state=42, n_jobs=2).fit(X_tr, y_tr)
out["lightgbm_default"] = scores(base, time.monotonic() - t0)
if spec["flaml"]:
    from flaml import AutoML
    t0 = time.monotonic()
    automl = AutoML()
    automl.fit(X_tr, y_tr, task="classification", time_budget=spec["budget"], seed=42,
               verbose=0)
    out["flaml"] = scores(automl, time.monotonic() - t0)
    out["flaml"]["best"] = automl.best_estimator
print(json.dumps(out))
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
        elif name == "houses-synthetic.csv":
            houses().to_csv(path, index=False)
        else:
            small_table(name).to_csv(path, index=False)
    return path


def small_table(name: str):
    """One of the small multiclass tables, the same rows every time."""
    import numpy as np
    import pandas as pd
    from sklearn import datasets

    if name == "wine.csv":  # 178 rows, 3 classes (59 / 71 / 48)
        frame = datasets.load_wine(as_frame=True).frame
        return frame.rename(columns={"target": "cultivar"})
    if name == "digits-unbalanced.csv":  # 10 classes, 20 to 120 rows each: 700 rows
        frame = datasets.load_digits(as_frame=True).frame.rename(columns={"target": "digit"})
        rng = np.random.default_rng(0)
        keep = [rng.choice(frame.index[frame["digit"] == d], 20 + 11 * d, replace=False)
                for d in range(10)]  # fmt: skip
        return frame.loc[np.sort(np.concatenate(keep))].reset_index(drop=True)
    spec = {
        "synth-5class-600.csv": (600, [0.45, 0.25, 0.15, 0.1, 0.05], 12, 0.8),
        "synth-6class-400.csv": (400, [0.35, 0.25, 0.15, 0.1, 0.1, 0.05], 10, 1.0),
        "synth-4class-900-mixed.csv": (900, [0.55, 0.25, 0.12, 0.08], 14, 0.7),
        # the shape of a glass-identification table: two big classes, four small ones
        "synth-6class-214.csv": (214, [0.33, 0.35, 0.08, 0.06, 0.04, 0.14], 9, 1.5),
    }[name]
    n, weights, n_features, sep = spec
    X, y = datasets.make_classification(
        n_samples=n, n_features=n_features, n_informative=6, n_redundant=2,
        n_classes=len(weights), weights=weights, n_clusters_per_class=2, class_sep=sep,
        flip_y=0.02, random_state=0,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    if "mixed" in name:  # three columns become categories with text labels
        for i in range(3):
            codes = pd.qcut(frame[f"x{i}"], 4 + i, labels=False)
            frame[f"x{i}"] = [f"c{i}_{c}" for c in codes]
    frame["label"] = [f"class_{c}" for c in y]
    return frame


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


def run_reference(name: str, budget: float, workdir: Path, flaml: str | None) -> dict:
    """FLAML (when ``flaml`` names the folder holding it) and default LightGBM on the
    same split of one classification dataset."""
    import os

    file, target, kwargs, _ = DATASETS[name]
    read = {"sep": kwargs["sep"]} if "sep" in kwargs else {}
    spec = {"path": str(data_file(file, workdir)), "target": target, "read": read,
            "budget": budget, "flaml": bool(flaml)}  # fmt: skip
    env = dict(os.environ, PYTHONPATH=flaml) if flaml else None
    done = subprocess.run(
        [sys.executable, "-c", REFERENCE, json.dumps(spec)],
        capture_output=True, text=True, timeout=budget * 3 + 120, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference_markdown(rows: list[dict]) -> str:
    """Test accuracy (balanced accuracy) of tabship next to the references."""
    lines = [
        "",
        "## Against FLAML and default LightGBM on the same split",
        "",
        "| dataset | rows | classes | tabship | FLAML | LightGBM default | tabship - FLAML |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        ref = row.get("reference", {})
        if "error" in row or "error" in ref:
            lines.append(f"| {row['dataset']} | error | | | | | |")
            continue
        cells = [row["holdout"]] + [ref.get(k) for k in ("flaml", "lightgbm_default")]
        shown = [
            "" if c is None else f"{c['accuracy']:.4f} ({c['balanced_accuracy']:.4f})"
            for c in cells
        ]
        gap = f"{cells[0]['accuracy'] - cells[1]['accuracy']:+.4f}" if cells[1] else ""
        n = row.get("n_train", 0) + row.get("n_test", 0)
        lines.append(f"| {row['dataset']} | {n} | {len(row['holdout'].get('labels', []))} | "
                     f"{' | '.join(shown)} | {gap} |")  # fmt: skip
    return "\n".join(lines) + "\n"


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


PHASES = ("prepare", "imports", "search", "holdout_fit", "importance", "refit", "report", "summary")


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
    parser.add_argument("--small", action="store_true", help="The small multiclass tables.")
    parser.add_argument(
        "--flaml",
        help="A folder holding FLAML (and XGBoost) to compare "
        "with on classification tables; default LightGBM is always run.",
    )
    args = parser.parse_args()
    if args.small:
        args.datasets = SMALL
    runs: list[list[dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            tries = [run_one(name, args.budget, Path(tmp), args.seed) for _ in range(args.repeat)]
            if args.small or args.flaml:
                reference = run_reference(name, args.budget, Path(tmp), args.flaml)
                for row in tries:
                    row["reference"] = reference
            runs.append(tries)
            for row in tries:
                print(json.dumps({k: v for k, v in row.items() if k != "holdout"}), flush=True)
    rows = [row for tries in runs for row in tries]
    text = to_markdown(rows, args.budget)
    if args.repeat > 1:
        text += repeat_markdown(runs)
    if args.small or args.flaml:
        text += reference_markdown([r for r in rows if r.get("task") != "regression"])
    stem = args.stem or ("quality" if args.budget == 60 else f"quality-{args.budget:g}s")
    if args.small and not args.stem:
        stem = "quality-small" + ("" if args.budget == 60 else f"-{args.budget:g}s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(rows, indent=2, default=str))
    (args.out / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
