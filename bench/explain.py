"""What an explanation costs: one record explained, against the same record predicted.

For a few reference models (trained here with a short budget, as the test session does)
it times ``Model.score(record, explain=True)`` on one record, next to the plain
``Model.score(record)``, in one process, alternating, and reports medians: the ratio is
what to read on a shared machine. It also reports how the explanation was computed
(exact over every coalition, or permutation sampling) and how many rows it predicted.

    python bench/explain.py                      # insurance, drug200, adult, college
    python bench/explain.py --models insurance --repeats 5

Writes bench/results/explain.md and explain.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

import tabship
from tabship import runtime
from tabship.runtime._explain import EXACT_ROWS

HERE = Path(__file__).parent
DATASETS = HERE.parent / "tests" / "datasets"
MODELS = {
    "insurance": ("charges", {}, None),
    "drug200": ("Drug", {}, None),
    "adult": ("income", {}, 5000),
    "college_scorecard": (
        "EARN_MDN_5YR",
        {"drop": ["UNITID"], "roles": {"CIPCODE": "categorical"}},
        5000,
    ),
}


def trained(name: str, out: Path, budget: float) -> runtime.Model:
    target, options, rows = MODELS[name]
    data: object = DATASETS / f"{name}.csv.gz"
    if rows is not None:
        data = pd.read_csv(data, skipinitialspace=True).sample(n=rows, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tabship.TabshipWarning)
        run = tabship.train(data, target, time_budget=budget, **options)
    return runtime.load(run.save(out / name), lean=True)


def timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(model: runtime.Model, repeats: int) -> dict[str, object]:
    record = model.schema.example
    model.score(record, explain=True)  # the explainer is built once, on first use
    plain: list[float] = []
    explained: list[float] = []
    for _ in range(repeats):  # alternating, so load changes fall on both alike
        plain += timed(lambda: model.score(record), 3)
        explained += timed(lambda: model.score(record, explain=True), 1)
    explainer = model.explainer
    m, b = len(explainer.names), explainer.rows
    exact = (2**m) * b <= EXACT_ROWS
    return {
        "model": model.metrics.get("best_model"),
        "inputs": m,
        "background_rows": b,
        "method": "exact" if exact else "sampled",
        "rows_predicted": (2**m) * b if exact else 2 * b * (m + 1),
        "predict_ms": statistics.median(plain),
        "explain_ms": statistics.median(explained),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--budget", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            results[name] = measure(trained(name, Path(tmp), args.budget), args.repeats)
            print(name, results[name], flush=True)
    load = os.getloadavg()[0]
    lines = [
        "# Explanation cost",
        "",
        f"`python bench/explain.py` — one record, median of {args.repeats} explained and "
        f"{3 * args.repeats} plain scores, alternating; load average {load:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        "| model | winner | inputs | method | rows predicted | score ms | explain ms | ratio |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        ratio = float(r["explain_ms"]) / float(r["predict_ms"])  # type: ignore[arg-type]
        lines.append(
            f"| {name} | {r['model']} | {r['inputs']} | {r['method']} | {r['rows_predicted']:,} "
            f"| {r['predict_ms']:.2f} | {r['explain_ms']:.1f} | {ratio:.0f}x |"
        )
    out = HERE / "results"
    (out / "explain.md").write_text("\n".join(lines) + "\n")
    (out / "explain.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
