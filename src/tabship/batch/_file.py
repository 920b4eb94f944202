"""Batch scoring of files of any size: read in chunks, score, append, write atomically.

Memory stays bounded by the chunk size whatever the file size, every input column is
kept, rows that fail validation go to a separate errors file with the reason (the run
goes on), and the outputs appear only when the whole run succeeded (written under a
temporary name, renamed at the end) so a failed run never leaves a half-scored file that
looks complete; a killed run's temporaries are removed by the next run into the folder
(``_leftovers``). Formula-like text cells of CSV outputs are quoted (``escape_formulas``).
Every scored row gets a record id (the ``id`` column), the one its
prediction is logged under when the run keeps a prediction log (``log``), as the CSV
upload of ``tabship serve`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tabship.artifact import atomic_output
from tabship.batch._leftovers import holding, remove_leftovers
from tabship.batch._overlap import ReadAhead, WriteBehind
from tabship.batch._read import check_columns, read_chunks
from tabship.batch._table import TableScorer, score_chunk
from tabship.batch._write import ChunkWriter
from tabship.errors import DataFileError, OutputError, OutputExistsError

if TYPE_CHECKING:
    import pandas as pd

    from tabship.batch._log import BatchLog

__all__ = ["BatchReport", "errors_path", "score_file"]

_SUFFIXES = (".csv.gz", ".csv", ".parquet")


@dataclass
class BatchReport:
    """What one batch run did."""

    rows: int
    scored: int
    failed: int
    seconds: float
    output: Path
    errors_output: Path | None


@dataclass
class _Counts:
    rows: int = 0
    scored: int = 0
    failed: int = 0


def score_file(
    model: TableScorer,
    source: str | Path,
    output: str | Path,
    *,
    chunk_size: int = 50_000,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    log: BatchLog | None = None,
    escape_formulas: bool = True,
) -> BatchReport:
    """Score ``source`` (CSV, ``.csv.gz`` or Parquet) into ``output`` chunk by chunk.

    Rows that fail validation go to ``errors_path(output)`` (written only when there
    are some), led by their row number and the reason. ``force`` replaces existing
    outputs; a failed run leaves them as they were. With ``log``
    (``BatchLog.open(url, model)``) the scored rows are logged chunk by chunk under their
    ids (the caller closes it, which writes the last rows). ``escape_formulas`` quotes
    the text cells of CSV outputs that a spreadsheet would run as formulas (``=``, ``+``,
    ``-``, ``@``, tab, carriage return; numbers stay numbers). Temporaries a killed run
    left beside the outputs are removed first.

    Raises
    ------
    OutputExistsError, OutputError
        An output exists (without ``force``), or ``output``'s folder does not exist.
    DataFileError, DataError
        ``source`` cannot be read, has no rows, or lacks columns the model needs.
    """
    source, output = Path(source), Path(output)
    errors_output = errors_path(output)
    _check_outputs(output, errors_output, force=force)
    remove_leftovers(output, errors_output)
    started = time.monotonic()
    # The locks outlive the renames: the temporaries are never without a writer.
    with (
        ExitStack() as locks,
        atomic_output(errors_output, replace=force) as errors_temp,
        atomic_output(output, replace=force) as output_temp,
    ):
        locks.enter_context(holding(errors_temp))
        locks.enter_context(holding(output_temp))
        counts = _score_chunks(
            model, source, chunk_size,
            ChunkWriter(output_temp, output, escape=escape_formulas),
            ChunkWriter(errors_temp, errors_output, escape=escape_formulas), progress, log,
        )  # fmt: skip
        if counts.rows == 0:
            raise DataFileError(source, "it has no rows to score")
        if not counts.failed:
            errors_temp.unlink()  # no errors file: an earlier one stays as it was
    return BatchReport(
        rows=counts.rows,
        scored=counts.scored,
        failed=counts.failed,
        seconds=time.monotonic() - started,
        output=output,
        errors_output=errors_output if counts.failed else None,
    )


def errors_path(output: Path) -> Path:
    """Where the rows that failed go: ``scored.csv`` -> ``scored.errors.csv``."""
    name = output.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return output.with_name(name[: -len(suffix)] + ".errors" + suffix)
    return output.with_name(name + ".errors.csv")


def _score_chunks(
    model: TableScorer,
    source: Path,
    chunk_size: int,
    scored_writer: ChunkWriter,
    errors_writer: ChunkWriter,
    progress: Callable[[int], None] | None,
    log: BatchLog | None,
) -> _Counts:
    schema = getattr(model, "schema", None)
    chunks = read_chunks(
        source,
        chunk_size,
        na_values=getattr(schema, "na_values", ()),
        columns=None if schema is None else schema.names,
    )
    counts = _Counts()
    on_scores = None if log is None else log.submit

    def write(scored: tuple[pd.DataFrame, pd.DataFrame]) -> None:
        good, bad = scored
        scored_writer.write(good)
        if not bad.empty:
            errors_writer.write(bad)

    # The next chunk is parsed and the last one written while this one is scored.
    with scored_writer, errors_writer, ReadAhead(chunks) as ahead, WriteBehind(write) as behind:
        for chunk in ahead:
            if counts.rows == 0:
                check_columns(schema, chunk.columns, source)
            good, bad = score_chunk(
                model, chunk, first_row=counts.rows, ids=True, on_scores=on_scores
            )
            behind.submit((good, bad))
            counts.rows += len(chunk)
            counts.scored += len(good)
            counts.failed += len(bad)
            if progress:
                progress(counts.rows)
    return counts


def _check_outputs(output: Path, errors_output: Path, *, force: bool) -> None:
    for path in (output, errors_output):
        if path.exists() and not force:
            raise OutputExistsError(path)
    if not output.parent.is_dir():
        raise OutputError(output, f"the folder '{output.parent}' does not exist")
