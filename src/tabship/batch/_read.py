"""Reading a file to score in chunks, cleaned as the training data was, and checking it.

Chunks keep memory bounded whatever the file size. The columns are checked against the
model's schema once, on the first chunk, so that a wrong file fails with one clear line
instead of every row failing alone.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from tabship.data import clean_frame, na_markers
from tabship.errors import DataError, DataFileError

if TYPE_CHECKING:
    from tabship.data import Schema

__all__ = ["check_columns", "read_chunks"]

_SHOWN_NAMES = 10


def read_chunks(
    source: Path, chunk_size: int, *, na_values: Iterable[str] = ()
) -> Generator[pd.DataFrame, None, None]:
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


def check_columns(schema: Schema | None, columns: Iterable[object], source: Path) -> None:
    """Refuse a file whose columns do not match the schema, naming what is off.

    Without this every row would fail alone with the same message; one clear line is
    what a user needs when they picked the wrong file or a renamed export.
    """
    if schema is None:
        return
    names = [str(c) for c in columns]
    present = set(names)
    missing = [f.name for f in schema.feature_fields if f.required and f.name not in present]
    if not missing:
        return
    known = set(schema.names) | {schema.target.name}
    unexpected = [name for name in names if name not in known]
    extra = f"; columns it does not know: {_listed(unexpected)}" if unexpected else ""
    raise DataError(
        f"'{source}' lacks columns the model needs: {_listed(missing)}{extra}.",
        hint="Score a file with the training columns (see 'tabship info MODEL').",
    )


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return shown + (f" and {more} more" if more > 0 else "")
