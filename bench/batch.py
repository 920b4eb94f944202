"""Batch-scoring benchmark: the whole ``tabship predict`` command, CSV in and CSV out.

Generates CSV files by resampling adult.csv (with replacement, fixed seed) and times
``tabship predict MODEL FILE -o scored.csv`` as a fresh process per file: rows/s of the
whole command (start, model load, read, validate, score, write), its peak RSS, and the
wall time of a one-row file (how soon a first row is scored). Two adult models (kept
under bench/.models): the ensemble a 60 s ``tabship train`` chooses, and a single
LightGBM, its "LightGBM (tuned)" member saved alone. Memory must stay flat: it is
bounded by the chunk size, not by the file size. The machine's load (``uptime``) is
noted before and after: this machine is shared, so compare ratios within one run.

    python bench/batch.py                               # 300k and 1M rows
    python bench/batch.py --baseline /tmp/wt-batch      # also an older checkout, same run

Each file is scored alternately by three variants of the current code: LightGBM's C
library alone (``TABSHIP_COMPILED_TREES=0``), a first run on an empty cache (it scores
with the C library and starts the build as it exits, in a process of its own), and the
compiled models from the cache of an earlier run (what every run after the first gets).
``--baseline`` adds a checkout of an older commit (``git worktree add /tmp/wt-batch
SHA``) on the same files and models.

Writes bench/results/batch.md and batch.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODELS = HERE / ".models"

# Runs the command in this process's place and reports its wall time and peak RSS.
WORKER = r"""
import json, os, resource, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "status": status,
                  "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


def adult_path() -> Path:
    shared = ROOT.parent / "shared" / "datasets" / "adult.csv"
    return shared if shared.exists() else ROOT / "tests" / "datasets" / "adult.csv.gz"


def ensemble_model(budget: float) -> Path:
    path = MODELS / f"adult-ensemble-{budget:g}s"
    if not (path / "manifest.json").exists():
        subprocess.run(
            [sys.executable, "-m", "tabship", "train", str(adult_path()), "-t", "income",
             "--time-budget", str(budget), "-o", str(path), "--force", "-q"],
            check=True,
        )  # fmt: skip
    return path


def single_lightgbm_model(ensemble: Path) -> Path:
    """The ensemble's first LightGBM member saved alone, with its own scoring plan."""
    path = MODELS / "adult-lightgbm"
    if (path / "manifest.json").exists():
        return path
    import tabship.artifact as artifact
    from tabship.plan import plan_files
    from tabship.runtime import pipeline_probe

    loaded = artifact.load(ensemble)
    weights = loaded.metrics["params"]["weights"]
    members = dict(zip(weights, loaded.pipeline.estimators_, strict=True))
    name = next(n for n in members if n.startswith("LightGBM"))
    metrics = {**loaded.metrics, "best_model": f"{name} (the {ensemble.name} member)"}
    pipeline = members[name]
    artifact.save(
        path, pipeline=pipeline, schema=loaded.schema, metrics=metrics,
        summary=loaded.summary, report_html=loaded.report_html, force=True,
        extra_files=plan_files(pipeline, loaded.schema, probe=pipeline_probe),
    )  # fmt: skip
    return path


def resampled_csv(rows: int, out: Path) -> Path:
    """``rows`` rows drawn from adult.csv with replacement, written in slices."""
    path = out / f"adult-{rows}.csv"
    if path.exists():
        return path
    adult = pd.read_csv(adult_path())
    step = 200_000
    for i, start in enumerate(range(0, rows, step)):
        n = min(step, rows - start)
        part = adult.sample(n=n, replace=True, random_state=i)
        part.to_csv(path, mode="w" if i == 0 else "a", header=i == 0, index=False)
    return path


@dataclass
class Variant:
    """A way to run ``tabship predict``: the code of ``checkout``, with ``env()`` added
    to the environment of each run."""

    label: str
    checkout: Path
    env: Callable[[], dict[str, str]]


def variants(baseline: Path | None, tmp: Path) -> list[Variant]:
    warm = tmp / "warm-cache"
    fresh = (tmp / f"cold-cache-{i}" for i in itertools.count())
    found = [
        Variant("C library", ROOT, lambda: {"TABSHIP_COMPILED_TREES": "0"}),
        Variant("compiled, first run", ROOT, lambda: {"TABSHIP_CACHE_DIR": str(next(fresh))}),
        Variant("compiled", ROOT, lambda: {"TABSHIP_CACHE_DIR": str(warm)}),
    ]
    if baseline:
        found.insert(0, Variant("before", baseline, dict))
    return found


def compile_bytecode(source: Path) -> None:
    """pip compiles a package's modules as it installs them. A checkout run with
    PYTHONDONTWRITEBYTECODE set (as on our machines) would instead compile some 70
    modules from source in every run: 0.06 s of a one-row file that users never pay."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)


def timed_predict(variant: Variant, model: Path, source: Path, out: Path) -> dict[str, float]:
    """One ``tabship predict`` of ``source`` the way ``variant`` says."""
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python), "-m", "tabship", "predict", str(model), str(source),
               "-o", str(out), "--force", "-q"]  # fmt: skip
    added = variant.env()
    env = {
        **os.environ, "PYTHONPATH": str(variant.checkout / "src"), "PYTHONWARNINGS": "ignore",
        **added,
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *command],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if "TABSHIP_CACHE_DIR" in added:  # a build it left would slow down the next runs
        wait_for_builders(Path(added["TABSHIP_CACHE_DIR"]))
    if measured["status"] != 0:
        raise SystemExit(f"tabship predict failed ({variant.label}): {done.stderr}")
    return measured


def build_compiled(model: Path, cache: Path) -> None:
    """The compiled forms of ``model``'s LightGBM models, built into ``cache`` (waited for)."""
    code = (
        "import sys\n"
        "from tabship.runtime import load\n"
        "plan = load(sys.argv[1], lean=True).plan\n"
        "for forest in plan.compiled_trees():\n"
        "    assert forest.wait() is not None, forest.failure\n"
    )
    env = {**os.environ, "TABSHIP_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src")}
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run([str(python), "-c", code, str(model)], check=True, env=env)


def wait_for_builders(cache: Path) -> None:
    """Until the compiled-model builders at work on ``cache`` have ended (they are not
    our children: waited on through their pidfds)."""
    for entry in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"tabship.plan._compiled_build" not in command or str(cache).encode() not in command:
            continue
        try:
            handle = os.pidfd_open(int(entry))
        except ProcessLookupError:
            continue
        try:
            select.select([handle], [], [])
        finally:
            os.close(handle)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(
    found: list[Variant],
    models: dict[str, Path],
    sizes: list[int],
    repeats: tuple[int, int],
    tmp: Path,
) -> list[dict[str, object]]:
    """Every model, file and variant; ``repeats``: runs of the one-row file, of the others."""
    rows: list[dict[str, object]] = []
    one = tmp / "adult-1.csv"
    pd.read_csv(adult_path(), nrows=1).to_csv(one, index=False)
    for model_name, model in models.items():
        build_compiled(model, tmp / "warm-cache")
        for n in [1, *sizes]:
            source = one if n == 1 else resampled_csv(n, tmp)
            runs: dict[str, list[dict[str, float]]] = {v.label: [] for v in found}
            for _ in range(repeats[0] if n == 1 else repeats[1]):
                for variant in found:  # alternately: the same load for each
                    runs[variant.label].append(
                        timed_predict(variant, model, source, tmp / "out.csv")
                    )
            for label, measured in runs.items():
                seconds = statistics.median(m["seconds"] for m in measured)
                row = {
                    "model": model_name, "code": label, "file_rows": n,
                    "seconds": seconds, "rows_per_s": n / seconds,
                    "peak_rss_mb": max(m["peak_rss_mb"] for m in measured),
                    "runs": len(measured), "load_average": load_average(),
                }  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def table(rows: list[dict[str, object]], before: str, after: str) -> list[str]:
    lines = [
        "| model | code | file rows | seconds | rows/s | peak RSS MB | load average |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        rate = "-" if r["file_rows"] == 1 else f"{r['rows_per_s']:,.0f}"
        lines.append(
            f"| {r['model']} | {r['code']} | {r['file_rows']:,} | {r['seconds']:.2f} | {rate} | "
            f"{r['peak_rss_mb']:.0f} | {r['load_average']} |"
        )
    if before in {str(r["code"]) for r in rows}:
        lines += ["", f"Ratios ({after} / {before}, same run):", ""]
        by = {(r["model"], r["code"], r["file_rows"]): r for r in rows}
        for (model, code, n), r in by.items():
            old = by.get((model, before, n))
            if code == after and old:
                what = "wall time" if n == 1 else "rows/s"
                ratio = (
                    float(old["seconds"]) / float(r["seconds"])  # type: ignore[arg-type]
                )
                rows_text = "1 row" if n == 1 else f"{n:,} rows"
                lines.append(f"- {model}, {rows_text}: {what} {ratio:.2f}x better")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="*", default=[300_000, 1_000_000])
    parser.add_argument("--train-budget", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5, help="runs of the one-row file")
    parser.add_argument("--big-repeats", type=int, default=3, help="runs of the other files")
    parser.add_argument("--baseline", type=Path, help="a checkout of an older commit")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    ensemble = ensemble_model(args.train_budget)
    models = {"adult LightGBM": single_lightgbm_model(ensemble), "adult ensemble": ensemble}
    started_load, started = load_average(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory() as tmp:
        found = variants(args.baseline, Path(tmp))
        for checkout in {v.checkout for v in found}:
            compile_bytecode(checkout / "src")
        rows = measure(found, models, args.rows, (args.repeats, args.big_repeats), Path(tmp))
    members = {name: json.loads((m / "metrics.json").read_text())["best_model"]
               for name, m in models.items()}  # fmt: skip
    lines = [
        "# Batch scoring: `tabship predict` on adult.csv resampled, CSV in and CSV out",
        "",
        f"Run {started} on {os.cpu_count()} cores; load average (1, 5, 15 min) "
        f"{started_load} at the start, {load_average()} at the end (a shared machine: "
        "compare the ratios measured in one run). Whole command timed in a fresh process "
        "(start, load, read, validate, score, write; modules compiled to bytecode, as pip "
        "installs them); a file of 1 row is the time to a "
        f"first scored row (median of {args.repeats} runs; of {args.big_repeats} for the "
        "others); peak RSS of the process. 'C library': LightGBM's; 'compiled': the models "
        "lleaves compiled, from the cache; 'compiled, first run': an empty cache (the build "
        "starts as it exits and outlives it). Models: "
        + "; ".join(f"{name}: {best}" for name, best in members.items())
        + ". Reproduce: `python bench/batch.py [--baseline CHECKOUT]`.",
        "",
        *table(rows, "C library", "compiled"),
        *(table(rows, "before", "compiled")[len(rows) + 2 :] if args.baseline else []),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch.json").write_text(json.dumps(rows, indent=2))
    (args.out / "batch.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
