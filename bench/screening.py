"""What each screened family costs next to default LightGBM, as the search measures it.

The search skips a screening candidate whose estimated cost no longer fits its share;
before a candidate has run, that estimate is its ``relative_cost`` times the wall time of
one fold group of default LightGBM (the first candidate). This script measures the real
ratios: every baseline candidate cross-validated on the bench's training split of each
table, with the folds, repeats and threads the search would use at ``--budget``, in the
search's order (so each preprocessing kind is paid by its first candidate, as there).
Writes ``bench/results/screening.md``.

    python bench/screening.py                      # the nine tables with targets
    python bench/screening.py --budget 60 adult diamonds
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from quality import DATASETS, data_file  # noqa: E402

DEFAULT = ["insurance", "adult", "auto-mpg", "college_scorecard", "drug200", "diamonds",
           "penguins", "german_credit", "income"]  # fmt: skip


def measure(name: str, budget: float, workdir: Path) -> list[tuple[str, float, float]]:
    """(candidate, wall seconds per fold group, relative_cost it was given) per candidate."""
    from tabship.search import Deadline
    from tabship.search._candidates import baseline_candidates, lightgbm_threads, thread_limits
    from tabship.search._cv import CVData, cross_validate, fold_groups
    from tabship.search._options import fold_count, repeat_count
    from tabship.search._search import _prep_factory, _target_array
    from tabship.training import _train as run_split  # the train call's reading and split

    file, target, kwargs, _targets = DATASETS[name]
    path = data_file(file, workdir)
    frame = run_split._read(
        path,
        sep=kwargs.get("sep"),
        header=kwargs.get("header", True),
        names=kwargs.get("names"),
        na_values=kwargs.get("na_values", ()),
    )
    schema = run_split.infer_schema(frame, target)
    X, y, _ = run_split.prepare_target(frame, target, schema.task)
    X_train, _X_test, y_train, _y_test = run_split.split_holdout(
        X, y, schema, test_size=0.2, seed=42, stratify=None
    )
    y_arr = _target_array(y_train, schema.task)
    threads = os.cpu_count() or 1
    workers = threads if lightgbm_threads(threads, len(y_arr)) == 1 else 1
    cv = CVData(X_train.reset_index(drop=True), y_arr, schema.task, _prep_factory(schema),
                folds=fold_count(y_arr, schema.task, 5, budget), seed=42,
                repeats=repeat_count(len(y_arr), schema.task, budget), workers=workers)  # fmt: skip
    out = []
    with thread_limits(threads, len(y_arr)):
        for c in baseline_candidates(schema.task, y_arr, seed=42, n_jobs=threads,
                                     n_rows=len(y_arr)):  # fmt: skip
            started = time.perf_counter()
            cross_validate(cv, c.kind, c.build, Deadline(1e9), first_fold_estimate=0.0,
                           parallel=c.parallel_folds)  # fmt: skip
            groups = len(fold_groups(cv, c.parallel_folds))
            out.append((c.name, (time.perf_counter() - started) / groups, c.relative_cost))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args()
    lines = [f"# Screening costs relative to default LightGBM ({args.budget:g} s budget's "
             "folds)", "", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"load {os.getloadavg()[0]:.1f}. Reproduce: `python bench/screening.py "
             f"--budget {args.budget:g}`. Seconds are one fold group's wall time "
             "(folds side by side where the search runs them so); `ratio` is that over "
             "LightGBM's, `given` the candidate's `relative_cost`.", "",
             "| dataset | candidate | s per group | ratio | given |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    ratios: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            rows = measure(name, args.budget, Path(tmp))
            reference = rows[0][1]
            for cand, seconds, given in rows:
                ratio = seconds / reference
                ratios.setdefault(cand, []).append(ratio)
                lines.append(f"| {name} | {cand} | {seconds:.3f} | {ratio:.2f} | {given:g} |")
                print(lines[-1], flush=True)
    lines += ["", "| candidate | median ratio | range |", "| --- | --- | --- |"]
    for cand, values in ratios.items():
        lines.append(f"| {cand} | {statistics.median(values):.2f} | "
                     f"{min(values):.2f}-{max(values):.2f} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results" / "screening.md").write_text(text)


if __name__ == "__main__":
    main()
