"""``read_table``: any supported table source to a clean DataFrame.

Parsing is done with every cell as text and without pandas' own NA handling, so that
cleaning (strip, NA markers, numbers) happens in one place, :func:`clean_frame`, for files
and in-memory frames alike. The header row is split off by hand because pandas silently
renames duplicate names (``a``, ``a.1``), hiding the very problem we must report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from tabship.data._clean import clean_frame
from tabship.data._source import decode_text, fetch_bytes, is_parquet
from tabship.errors import DataFileError, OptionError

__all__ = ["header_names", "read_table", "sniff_delimiter"]

_CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50


def read_table(
    source: str | Path | pd.DataFrame,
    *,
    sep: str | None = None,
    header: bool = True,
    names: Sequence[str] | None = None,
    na_values: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV / TSV / whitespace / Parquet table (local, gzip or http(s)) and clean it.

    ``sep=None`` sniffs the delimiter among ``, ; \\t |``; ``sep=r"\\s+"`` reads
    whitespace-separated files. ``header=False`` means the first line is data; columns are
    then ``names`` or ``column_1 ... column_n``. Text is stripped and the default NA
    markers plus ``na_values`` become missing (see :func:`clean_frame`).
    """
    na_values = list(na_values)
    if isinstance(source, pd.DataFrame):
        return clean_frame(_rename(source, names, source="the DataFrame"), na_values)
    raw = fetch_bytes(source)
    if is_parquet(raw):
        frame = _parse_parquet(raw, source)
    else:
        text = decode_text(raw, source)
        frame = _parse_text(text, source, sep=sep, header=header)
    frame = _rename(frame, names, source=source)
    cleaned = clean_frame(frame, na_values, source=source)
    _check_has_rows(cleaned, source)
    return cleaned


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits the first lines into the most, equal-width fields.

    ``csv.Sniffer`` guesses badly on quoted text containing commas and on files with
    few columns, so each candidate is tried with the real CSV reader and judged on
    whether every sampled line gets the same number of fields.
    """
    lines = text.splitlines()[:_SNIFF_LINES]
    if len(text.splitlines()) > _SNIFF_LINES:
        lines = lines[:-1]  # the last sampled line may be cut inside a quoted field
    best, best_score = ",", (False, 1)
    for delimiter in _CANDIDATE_DELIMITERS:
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter) if row}
        if not widths:
            continue
        score = (len(widths) == 1, max(widths))
        if max(widths) > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _parse_text(text: str, source: object, *, sep: str | None, header: bool) -> pd.DataFrame:
    if not text.strip():
        raise DataFileError(source, "it is empty", hint="Give a file with a header and rows.")
    delimiter = sep if sep is not None else sniff_delimiter(text)
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise DataFileError(
            source, "it is empty", hint="Give a file with a header and rows."
        ) from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFileError(
            source,
            f"it is not a well-formed table ({reason})",
            hint="Check the separator (sep=...) and that every row has the same number of fields.",
        ) from None
    if not header:
        cells.columns = [f"column_{i + 1}" for i in range(cells.shape[1])]
        return cells
    return _split_header(cells)


def header_names(cells: Sequence[object]) -> list[str]:
    """A header row's cells as column names: stripped, a blank one ``column_<position>``.

    The one naming rule for a table's header, whoever reads it (training, batch
    scoring), so that a file scores with the names its schema was trained with.
    """
    return [
        str(v).strip() if isinstance(v, str) and v.strip() else f"column_{i + 1}"
        for i, v in enumerate(cells)
    ]


def _split_header(cells: pd.DataFrame) -> pd.DataFrame:
    """Use the first row as column names, exactly as written (no pandas mangling)."""
    names = header_names(cells.iloc[0].tolist())
    body = cells.iloc[1:].reset_index(drop=True)
    body.columns = names
    return body


def _parse_parquet(raw: bytes, source: object) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises many unrelated types for a damaged file
        raise DataFileError(source, f"it is not a readable Parquet file ({exc})") from None


def _rename(frame: pd.DataFrame, names: Sequence[str] | None, *, source: object) -> pd.DataFrame:
    if names is None:
        return frame
    names = [str(n) for n in names]
    if len(names) != frame.shape[1]:
        raise OptionError(
            "names",
            f"a list of {frame.shape[1]} column names (one per column of '{source}')",
            names,
        )
    renamed = frame.copy()
    renamed.columns = names
    return renamed


def _check_has_rows(frame: pd.DataFrame, source: object) -> None:
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataFileError(
            source, "it has no data rows", hint="Give a file with a header and at least one row."
        )
