"""Monitor benchmark: how long the report (/monitor.json) takes over a million logged records.

Trains a small insurance model once (kept under bench/.models), fills a prediction log
with N records (default 1,000,000: insurance rows resampled with replacement, predicted by
the model, spread over the last 6.5 days) through the log's bulk write path (the
``LogWriter`` in batch mode, as ``tabship predict --log`` uses it: 5,000 rows per
transaction), gives a share of them their true outcome (``add_feedback``), and times
``build_report`` for ``--since 7d`` (every record in the window: the worst case), for
``--since 1d`` and for ``--last 1000``: the first call and the median of the next ones.
The target is under 1 s for ``--since 7d``.

    python bench/monitor.py                                 # SQLite, 1M records
    python bench/monitor.py --postgres auto                 # and a temporary PostgreSQL
    python bench/monitor.py --postgres postgresql://u:p@host/db --rows 200000

Writes bench/results/monitor.md and monitor.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # tests._postgres, for --postgres auto

CHUNK = 50_000  # records handed to the writer at a time
BULK_ROWS = 5_000  # rows per transaction, as tabship.batch's log
SPAN = timedelta(days=6.5)
REPEATS = 5


def model_dir(budget: float) -> Path:
    path = HERE / ".models" / "insurance"
    if not (path / "manifest.json").exists():
        data = ROOT / "tests" / "datasets" / "insurance.csv.gz"
        subprocess.run(
            [sys.executable, "-m", "tabship", "train", str(data), "-t", "charges",
             "--time-budget", str(budget), "-o", str(path), "--force", "-q"],
            check=True,
        )  # fmt: skip
    return path


def fill(url: str, model: Any, rows: int, feedback_share: float, seed: int) -> dict[str, float]:
    """Log ``rows`` predicted records through the bulk writer; then their feedback."""
    from tabship.data import read_table
    from tabship.monitor import LogRecord, LogWriter, MonitoredModel, new_record_id, open_log

    frame = read_table(ROOT / "tests" / "datasets" / "insurance.csv.gz")
    names = model.schema.names
    watched = MonitoredModel.from_model(model)
    rng = np.random.default_rng(seed)
    log = open_log(url)
    writer = LogWriter(
        log,
        model=watched.sha,
        reference=watched.references,
        max_queue=2 * CHUNK + BULK_ROWS,
        flush_rows=BULK_ROWS,
    )
    now = datetime.now(UTC)
    ids: list[str] = []
    actuals: list[float] = []
    started = time.perf_counter()
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        sample = frame.iloc[rng.integers(0, len(frame), n)]
        predictions = model.predict(sample[names])
        offsets = np.sort(rng.uniform(0, SPAN.total_seconds(), n))[::-1]
        records = [
            LogRecord(
                id=new_record_id(),
                ts=now - timedelta(seconds=float(offset)),
                route="/predict",
                inputs=inputs,
                prediction=float(prediction),
                latency_ms=float(latency),
            )
            for inputs, prediction, offset, latency in zip(
                sample[names].to_dict(orient="records"),
                predictions,
                offsets,
                rng.gamma(2.0, 1.5, n),
                strict=True,
            )
        ]
        writer.flush(600)
        writer.submit(records)
        keep = rng.random(n) < feedback_share
        ids += [r.id for r, k in zip(records, keep, strict=True) if k]
        actuals += sample["charges"].to_numpy()[keep].tolist()
        print(f"  {start + n:,} records handed over", file=sys.stderr, flush=True)
    writer.close(600)
    stats = writer.snapshot()
    write_s = time.perf_counter() - started
    assert stats.written == rows, stats
    started = time.perf_counter()
    pairs = list(zip(ids, actuals, strict=True))
    for i in range(0, len(pairs), 10_000):
        items = [{"id": a, "actual": b} for a, b in pairs[i : i + 10_000]]
        log.add_feedback(items, "regression", model=watched.sha)
    feedback_s = time.perf_counter() - started
    log.close()
    return {
        "write_s": write_s,
        "rows_per_s": rows / write_s,
        "feedback_rows": len(ids),
        "feedback_s": feedback_s,
    }


def time_reports(url: str, model: Any) -> dict[str, dict[str, float]]:
    """First and median (of the next REPEATS) build_report seconds per window."""
    from tabship.monitor import MonitoredModel, open_log

    watched = MonitoredModel.from_model(model)
    windows: dict[str, dict[str, Any]] = {
        "--since 7d": {"since": timedelta(days=7)},
        "--since 1d": {"since": timedelta(days=1)},
        "--last 1000": {"last": 1000},
    }
    found = {}
    for name, window in windows.items():
        log = open_log(url)  # a fresh connection pool: the first call pays for connecting
        seconds = []
        for _ in range(REPEATS + 1):
            started = time.perf_counter()
            report = watched.report(log, **window)
            seconds.append(time.perf_counter() - started)
        log.close()
        found[name] = {
            "first_s": seconds[0],
            "median_s": statistics.median(seconds[1:]),
            "records": report["records"],
            "feedback": report["feedback"]["records"],
            "status": report["status"],
        }
        print(f"  {name}: {found[name]}", file=sys.stderr, flush=True)
    return found


@contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    """The given URL, or with ``auto`` a temporary server (tests/_postgres.py)."""
    if url != "auto":
        yield url
        return
    import shutil

    from tests._postgres import _init, find_binaries

    bin_ = find_binaries()
    if bin_ is None:
        raise SystemExit("--postgres auto needs Debian's postgresql package")
    server = _init(bin_)
    server.start()
    try:
        yield server.new_database()
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def run(backend: str, url: str, model: Any, args: argparse.Namespace) -> dict[str, Any]:
    print(f"{backend}: filling {args.rows:,} records", file=sys.stderr, flush=True)
    filled = fill(url, model, args.rows, args.feedback, args.seed)
    return {"backend": backend, **filled, "reports": time_reports(url, model)}


def write_results(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "# Monitor benchmark",
        "",
        f"`python bench/monitor.py --rows {args.rows}` on {platform.machine()}, "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}: {args.rows:,} records "
        f"logged over the last 6.5 days through the bulk writer ({BULK_ROWS:,} rows per "
        f"transaction), {args.feedback:.0%} of them with feedback. `build_report` seconds: "
        f"the first call on a new connection, and the median of the next {REPEATS}. "
        "Target: under 1 s for `--since 7d` (every record in the window).",
        "",
        "| backend | window | records | with feedback | first (s) | median (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for result in results:
        for window, t in result["reports"].items():
            lines.append(
                f"| {result['backend']} | `{window}` | {t['records']:,} | {t['feedback']:,} "
                f"| {t['first_s']:.3f} | {t['median_s']:.3f} |"
            )
    lines += ["", "| backend | write (s) | records/s | feedback rows | feedback (s) |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['write_s']:.1f} | {r['rows_per_s']:,.0f} "
            f"| {r['feedback_rows']:,} | {r['feedback_s']:.1f} |"
        )
    lines += [
        "",
        "Write: records/s through the bulk writer, binning and the hourly counts included. "
        "Feedback: `add_feedback` in requests of 10,000 outcomes for records picked at random "
        "over the whole log (every update touches another page: a worst case for SQLite).",
    ]
    text = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "monitor.md").write_text(text)
    (HERE / "results" / "monitor.json").write_text(json.dumps(results, indent=2) + "\n")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--feedback", type=float, default=0.1, help="share with feedback")
    parser.add_argument("--postgres", help="a postgresql:// URL, or 'auto' for a temp server")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import tabship.runtime

    model = tabship.runtime.load(model_dir(args.budget), lean=True)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            results.append(run("SQLite", f"sqlite:///{folder}/log.db", model, args))
        with postgres(args.postgres) as url:
            if url:
                results.append(run("PostgreSQL", url, model, args))
    print(write_results(results, args))


if __name__ == "__main__":
    main()
