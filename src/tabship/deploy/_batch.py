"""Batch scoring of files of any size: read in chunks, score, append, write atomically.

Memory stays bounded by the chunk size whatever the file size, every input column is
kept, rows that fail validation go to a separate errors file with the reason (the run
goes on), and the outputs appear only when the whole run succeeded (written under a
temporary name, renamed at the end) so a failed run never leaves a half-scored file that
looks complete.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tabship.data import clean_frame
from tabship.data._clean import na_markers
from tabship.errors import DataError, DataFileError, OutputError, OutputExistsError

__all__ = ["BatchReport", "score_file"]

Scorer = Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass
class BatchReport:
    """What one batch run did."""

    rows: int
    scored: int
    failed: int
    seconds: float
    output: Path
    errors_output: Path | None


def score_file(
    model: Any,
    source: str | Path,
    output: str | Path,
    *,
    chunk_size: int = 50_000,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Score ``source`` (CSV, ``.csv.gz`` or Parquet) into ``output`` chunk by chunk."""
    source, output = Path(source), Path(output)
    errors_output = output.with_name(_errors_name(output))
    _check_outputs(output, errors_output, force=force)
    started = time.monotonic()
    rows = scored = failed = 0
    tmp_out = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    tmp_err = errors_output.with_name(f".{errors_output.name}.tmp-{os.getpid()}")
    try:
        na_values = getattr(getattr(model, "schema", None), "na_values", ())
        chunks = read_chunks(source, chunk_size, na_values=na_values)
        with (
            closing(chunks),
            _Writer(tmp_out, output) as out,
            _Writer(tmp_err, errors_output) as err,
        ):
            for chunk in chunks:
                if rows == 0:
                    check_columns(getattr(model, "schema", None), chunk.columns, source)
                good, bad = score_chunk(model, chunk, first_row=rows)
                out.write(good)
                if not bad.empty:
                    err.write(bad)
                rows += len(chunk)
                scored += len(good)
                failed += len(bad)
                if progress:
                    progress(rows)
        if rows == 0:
            raise DataFileError(source, "it has no rows to score")
        tmp_out.replace(output)
        if failed:
            tmp_err.replace(errors_output)
    finally:
        for leftover in (tmp_out, tmp_err):
            leftover.unlink(missing_ok=True)
    return BatchReport(
        rows=rows,
        scored=scored,
        failed=failed,
        seconds=time.monotonic() - started,
        output=output,
        errors_output=errors_output if failed else None,
    )


def score_chunk(
    model: Any, chunk: pd.DataFrame, *, first_row: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score one chunk: (scored rows with prediction columns, failed rows with reasons)."""
    result = model.score(chunk, strict=False, probability_dicts=False)
    good = chunk.iloc[result.index].reset_index(drop=True)
    names = _output_names(model, chunk.columns)
    good[names["prediction"]] = result.predictions
    if result.probability_matrix is not None:
        for j, cls in enumerate(model.classes):
            good[names["proba"] + str(cls)] = result.probability_matrix[:, j]
    elif result.probabilities is not None:
        proba = pd.DataFrame(result.probabilities)
        for cls in proba.columns:
            good[names["proba"] + str(cls)] = proba[cls].to_numpy()
    bad_rows = sorted(set(range(len(chunk))) - set(result.index))
    bad = chunk.iloc[bad_rows].reset_index(drop=True)
    if bad_rows:
        reasons = _reasons_by_row(result.errors)
        bad.insert(0, "error", [reasons.get(i, "invalid record") for i in bad_rows])
        bad.insert(0, "row", [first_row + i + 1 for i in bad_rows])
    return good, bad


def check_columns(schema: Any, columns: pd.Index, source: Path) -> None:
    """Refuse a file whose columns do not match the schema, naming what is off.

    Without this every row would fail alone with the same message; one clear line is
    what a user needs when they picked the wrong file or a renamed export.
    """
    if schema is None:
        return
    present = {str(c) for c in columns}
    missing = [f.name for f in schema.feature_fields if f.required and f.name not in present]
    if not missing:
        return
    known = set(schema.names) | {schema.target.name}
    unexpected = [str(c) for c in columns if str(c) not in known]
    extra = f"; columns it does not know: {_names(unexpected)}" if unexpected else ""
    raise DataError(
        f"'{source}' lacks columns the model needs: {_names(missing)}{extra}.",
        hint="Score a file with the training columns (see 'tabship info MODEL').",
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:10])
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def read_chunks(source: Path, chunk_size: int, *, na_values: Any = ()) -> Iterator[pd.DataFrame]:
    """Chunks of a CSV (plain or gzip) or Parquet file, cleaned as training data was."""
    if not source.exists():
        raise DataFileError(source, "no such file")
    if source.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source).iter_batches(batch_size=chunk_size):
            yield clean_frame(batch.to_pandas(), na_values=na_values)
        return
    # pandas' C parser reads the numbers and the NA markers itself (parsing numbers from
    # text afterwards took a quarter of the run); clean_frame still strips, and still
    # makes numeric any column the parser left as text.
    markers = na_markers(na_values)
    try:
        with pd.read_csv(
            source,
            chunksize=chunk_size,
            keep_default_na=False,
            na_values=markers,
            skipinitialspace=True,
        ) as reader:
            for chunk in reader:
                yield clean_frame(chunk, na_values=na_values)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataFileError(source, f"it is not a readable CSV ({err})") from None


class _Writer:
    """Appends chunks to a CSV (plain or gzip) or Parquet file, opened on the first chunk.

    CSV is written by pyarrow: about eight times faster than ``DataFrame.to_csv`` here
    (0.39 s against 0.05 s per 50,000 adult rows), which matters when the model itself
    needs a fraction of a second per chunk.
    """

    def __init__(self, tmp: Path, final: Path) -> None:
        self.tmp, self.final = tmp, final
        self._parquet: Any = None
        self._sink: Any = None

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._sink is not None:
            self._sink.close()

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.final.suffix == ".parquet":
            self._write_parquet(table)
        else:
            self._write_csv(table)

    def _write_csv(self, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        first = self._sink is None
        if first:
            raw = pa.OSFile(str(self.tmp), "wb")
            gzip = self.final.suffix == ".gz"
            self._sink = pa.CompressedOutputStream(raw, "gzip") if gzip else raw
        options = pa_csv.WriteOptions(include_header=first, quoting_style="needed")
        pa_csv.write_csv(table, self._sink, write_options=options)

    def _write_parquet(self, table: Any) -> None:
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.tmp, table.schema)
        self._parquet.write_table(table.cast(self._parquet.schema))


def _check_outputs(output: Path, errors_output: Path, *, force: bool) -> None:
    for path in (output, errors_output):
        if path.exists() and not force:
            raise OutputExistsError(path)
    if not output.parent.is_dir():
        raise OutputError(output, f"the folder '{output.parent}' does not exist")


def _errors_name(output: Path) -> str:
    name = output.name
    for suffix in (".csv.gz", ".csv", ".parquet"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + ".errors" + suffix
    return name + ".errors.csv"


def _output_names(model: Any, columns: pd.Index) -> dict[str, str]:
    prefix = "tabship_" if "prediction" in columns else ""
    return {"prediction": f"{prefix}prediction", "proba": f"{prefix}probability_"}


def _reasons_by_row(errors: list[dict[str, Any]]) -> dict[int, str]:
    reasons: dict[int, list[str]] = {}
    for item in errors:
        loc = item.get("loc", [])
        if loc and isinstance(loc[0], int):
            reasons.setdefault(loc[0], []).append(item.get("msg", "invalid"))
    return {row: " ".join(msgs) for row, msgs in reasons.items()}
