"""CPU per logged row of the prediction log's writer: the work its thread does per record.

The writer runs beside every serving worker (in the process each worker forks, on the
machine's cores), so its CPU per row is most of what ``tabship serve --log`` costs a request
(bench/serve.py measures that end to end, which a loaded machine blurs).
This times, with ``time.thread_time`` (CPU of this thread, not the clock), what the
writer's thread does for each batch: prepare the rows (JSON, drift bins, hourly sums) and
append them in one transaction — on SQLite and on a real PostgreSQL started here as the
tests start theirs, whose own CPU for the rows (the server's processes, from /proc) is
a column of its own. The records are
insurance rows, one per request (each with its own time), as the server logs them.

    python bench/log_writer.py                     # 20,000 rows, batches of 200 and 500
    python bench/log_writer.py --rows 5000 --batch 500 --backends sqlite
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests._postgres, bench.monitor

from bench.serve import cpu_seconds, postgres, postmaster_pid  # noqa: E402

from tabship.data import DriftReferences  # noqa: E402
from tabship.monitor import LogRecord, new_record_id, open_log  # noqa: E402
from tabship.monitor._record import prepare_batch  # noqa: E402

MODEL = "f" * 64
NUMBERS = ("age", "bmi", "children")
CATEGORIES = ("sex", "smoker", "region")


def insurance() -> tuple[list[dict[str, object]], list[float]]:
    """The demo's records as a server validates them, and their charges."""
    with (ROOT / "src/tabship/demo/insurance.csv").open() as file:
        rows = list(csv.DictReader(file))
    records: list[dict[str, object]] = [
        {"age": int(r["age"]), "sex": r["sex"], "bmi": float(r["bmi"]),
         "children": int(r["children"]), "smoker": r["smoker"], "region": r["region"]}
        for r in rows
    ]  # fmt: skip
    return records, [float(r["charges"]) for r in rows]


def references(records: list[dict[str, object]], charges: list[float]) -> DriftReferences:
    from tabship.data._drift import categorical_reference, numeric_reference

    features = {
        name: numeric_reference(np.array([r[name] for r in records], dtype=float))
        for name in NUMBERS
    } | {name: categorical_reference(Counter(str(r[name]) for r in records)) for name in CATEGORIES}
    return {"features": features, "prediction": numeric_reference(np.array(charges))}


def logged(records: list[dict[str, object]], charges: list[float], n: int) -> list[LogRecord]:
    return [
        LogRecord(
            id=new_record_id(),
            ts=datetime.now(UTC),
            route="/predict",
            inputs=dict(records[i % len(records)]),
            prediction=charges[i % len(charges)] * 1.01,
            latency_ms=1.7,
        )
        for i in range(n)
    ]


def measure(
    url: str, rows: int, batch: int, server_cpu: Callable[[], float]
) -> tuple[float, float, float]:
    """Microseconds of CPU per row: (prepare, append, the database server's)."""
    records, charges = insurance()
    reference = references(records, charges)
    log = open_log(url)
    log.append(MODEL, prepare_batch(MODEL, logged(records, charges, batch), reference))  # warm
    sent = logged(records, charges, rows)
    prepare = append = 0.0
    server_before = server_cpu()
    for start in range(0, rows, batch):
        began = time.thread_time()
        prepared = prepare_batch(MODEL, sent[start : start + batch], reference)
        middle = time.thread_time()
        log.append(MODEL, prepared)
        prepare += middle - began
        append += time.thread_time() - middle
    time.sleep(0.5)  # the server's WAL writer finishes its part
    server = server_cpu() - server_before
    assert log.count(MODEL) == rows + batch
    log.close()
    return prepare / rows * 1e6, append / rows * 1e6, server / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, action="append")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print("| backend | batch | prepare µs/row | append µs/row | total µs/row | database µs/row |")
    print("|---|---:|---:|---:|---:|---:|")
    for backend in args.backends:
        for batch in args.batch or [200, 500]:
            with database(backend) as (url, server_cpu):
                prepare, append, server = measure(url, args.rows, batch, server_cpu)
            shown = f"{server:.1f}" if backend == "postgresql" else "-"
            print(
                f"| {backend} | {batch} | {prepare:.1f} | {append:.1f} | {prepare + append:.1f} "
                f"| {shown} |"
            )


@contextmanager
def database(backend: str) -> Iterator[tuple[str, Callable[[], float]]]:
    """A fresh SQLite file, or a database on a PostgreSQL server of its own; with a
    reader of the server's CPU seconds (its main process and children; 0 for SQLite)."""
    if backend == "postgresql":
        with postgres() as server:
            main = postmaster_pid(server)
            yield server.new_database(), lambda: cpu_seconds({main})
        return
    folder = Path(tempfile.mkdtemp(prefix="tabship-logcpu-"))
    try:
        yield f"sqlite:///{folder}/log.db", lambda: 0.0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
