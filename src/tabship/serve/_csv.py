"""``POST /predict/csv``: a CSV in, the same CSV out with prediction columns appended.

Problems with the *file* (not text, one column because of another delimiter, required
columns missing, a malformed line) are answered at once with a 422 naming them, before a
byte of the answer is sent. Problems with *rows* are not fatal: each bad row comes back
with its ``error`` column filled and no prediction, the others are scored. Rows are
scored and the columns named by ``tabship.batch``'s table-scoring path, the one batch
files go through too. The whole upload is already in memory (it is bounded by the body
size limit), so it is parsed up front; scoring and writing then go chunk by chunk,
streamed, so the first rows of the answer leave while later chunks are still being
scored. Each scored row gets an ``id`` column (empty on a row that failed), the id its
prediction is logged under and ``POST /feedback`` takes.
"""

from __future__ import annotations

import codecs
import csv
import io
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pandas as pd

from tabship.batch import (
    OUTPUT_PREFIX,
    OutputColumns,
    cleaned_chunk,
    every_row,
    output_columns,
    score_table,
)
from tabship.data import Schema, check_unique_names, header_names
from tabship.errors import DuplicateColumnError, error_item
from tabship.runtime import Model, Scored
from tabship.serve._errors import ProblemError, reject
from tabship.serve._monitoring import new_ids, per_record_warnings

if TYPE_CHECKING:
    from tabship.serve._monitoring import ServedLog

__all__ = ["CHUNK_ROWS", "ROUTE", "id_column", "parse_csv", "scored_csv"]

ROUTE = "POST /predict/csv"

CHUNK_ROWS = 10_000
_OTHER_DELIMITERS = (";", "\t", "|", ",")
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def parse_csv(raw: bytes, schema: Schema, sep: str = ",") -> pd.DataFrame:
    """The uploaded table as text cells, after checking it can be scored at all."""
    sep = _separator(sep)
    text = _decode(raw)
    header = _header(text, sep)
    _check_delimiter(header, text, schema, sep)
    _check_columns(header, schema)
    try:
        frame = pd.read_csv(
            io.StringIO(text, newline=None),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            header=0,
            names=header,  # training's names, not pandas' ('Unnamed: 6' for a blank one)
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as err:
        _malformed(err)
    return frame


def scored_csv(
    model: Model,
    frame: pd.DataFrame,
    on_scored: Callable[[list[Any]], None] | None = None,
    served_log: ServedLog | None = None,
) -> Iterator[str]:
    """CSV text of ``frame`` with prediction, probability, error and id columns, by
    chunk; each chunk's scored rows are handed to ``served_log`` when there is one."""
    columns = output_columns(frame.columns)
    ids_name = id_column(frame.columns)
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
        out = _score_chunk(model, chunk, columns, on_scored, served_log)
        out[ids_name] = out.pop(_IDS)
        yield out.to_csv(index=False, header=start == 0, lineterminator="\n")


def id_column(names: Any) -> str:
    """``id``, or ``tabship_id`` when the upload has an ``id`` column of its own."""
    return f"{OUTPUT_PREFIX}id" if "id" in {str(n) for n in names} else "id"


_IDS = "\0ids"  # the id column until it is named, so no uploaded column is overwritten


class _Keeping:
    """The model for ``score_table``, keeping the last ``Scored`` (its validated inputs
    and per-record probabilities are what the log stores)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.classes = model.classes
        self.scored: Scored | None = None

    def score(self, data: Any, *, strict: bool = True, probability_dicts: bool = True) -> Scored:
        self.scored = self.model.score(data, strict=strict, probability_dicts=probability_dicts)
        return self.scored


def _score_chunk(
    model: Model,
    chunk: pd.DataFrame,
    columns: OutputColumns,
    on_scored: Callable[[list[Any]], None] | None,
    served_log: ServedLog | None,
) -> pd.DataFrame:
    """Every row of ``chunk`` as uploaded (not cleaned), with the added columns."""
    keeping = _Keeping(model)
    started = time.perf_counter()
    # Only the model's columns are cleaned (a wide upload's others go back as sent).
    cleaned = cleaned_chunk(chunk, model.schema.names, model.schema.na_values, "the upload")
    scores = score_table(keeping, cleaned)
    latency_ms = (time.perf_counter() - started) * 1000
    if on_scored is not None and len(chunk):
        on_scored(scores.predictions)
    ids = new_ids(served_log, len(scores.index))
    out = every_row(chunk, scores, columns)
    cells = [""] * len(chunk)
    for position, record_id in zip(scores.index, ids, strict=True):
        cells[position] = record_id
    out[_IDS] = cells
    if served_log is not None and keeping.scored is not None and ids:
        _log_chunk(served_log, keeping.scored, scores.probabilities, ids, latency_ms)
    return out


def _log_chunk(
    served_log: ServedLog,
    scored: Scored,
    probabilities: dict[str, Any],
    ids: list[str],
    latency_ms: float,
) -> None:
    """The chunk's scored rows to the log (probability columns as a dict per row); each
    row's latency is the time its chunk took to validate and predict."""
    per_row = None
    if probabilities:
        table = {label: list(values) for label, values in probabilities.items()}
        per_row = [{label: float(table[label][i]) for label in table} for i in range(len(ids))]
    served_log.submit(
        ROUTE,
        ids,
        scored.columns,
        scored.predictions,
        per_row,
        _row_warnings(scored, len(ids)),
        latency_ms,
    )


def _row_warnings(scored: Scored, n: int) -> list[list[str]]:
    """Warnings per scored row: the runtime locates them by input row, not scored row."""
    if not scored.warnings:
        return []
    by_input = per_record_warnings(scored.warnings, max(scored.index, default=-1) + 1)
    return [by_input[i] for i in scored.index[:n]]


def _separator(sep: str) -> str:
    """The ``?sep=`` parameter as one character (``\\t`` spelled out means a tab)."""
    sep = "\t" if sep in ("\\t", "tab") else sep
    if len(sep) != 1 or sep in '"\r\n' or sep.isalnum():
        reject(
            ["query", "sep"],
            f"The 'sep' parameter must be one separator character such as ',' ';' or tab. "
            f"Got {sep!r}.",
            "csv_separator",
            sep,
            expected="one character",
        )
    return sep


def _decode(raw: bytes) -> str:
    if raw[:2] == b"\x1f\x8b":
        reject(
            ["body"],
            "The upload is gzip-compressed. Decompress it and upload the CSV.",
            "csv_not_text",
            None,
            expected="CSV text",
        )
    unicode_text = _with_utf16_or_32_bom(raw)
    if unicode_text is not None:  # Excel's "Unicode text" export: UTF-16 with a BOM
        return unicode_text
    nul = raw.find(b"\x00")  # the whole body (memchr: about 1 ms for 10 MB)
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        reject(
            ["body"],
            f"The upload is not a text file (it holds a NUL byte at line {line}, byte {nul}). "
            "Upload the table as CSV text.",
            "csv_not_text",
            None,
            expected="CSV text",
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    reject(
        ["body"],
        "The upload is not UTF-8 or Windows-1252 text. Save it as UTF-8 CSV.",
        "csv_not_text",
        None,
        expected="CSV text",
    )


def _with_utf16_or_32_bom(raw: bytes) -> str | None:
    """The text of an upload that starts with a UTF-32 or UTF-16 byte order mark (UTF-32
    first: its little-endian mark begins with UTF-16's); None for any other upload."""
    for bom, encoding in _UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as err:
                reject(
                    ["body"],
                    f"The upload starts with a {encoding} byte order mark but is not "
                    f"{encoding} text (byte {err.start + len(bom)}). Save it as UTF-8 CSV.",
                    "csv_not_text",
                    None,
                    expected="CSV text",
                )
    return None


def _header(text: str, sep: str) -> list[str]:
    try:
        first = next(csv.reader(io.StringIO(text.lstrip("\r\n"), newline=None), delimiter=sep), [])
    except csv.Error as err:
        _malformed(err)
    if not any(name.strip() for name in first):
        reject(
            ["body"],
            "The CSV file is empty. Upload a header row and at least one row.",
            "csv_empty",
            None,
        )
    names = header_names(first)
    try:
        check_unique_names(names, "the upload")
    except DuplicateColumnError as err:
        reject(
            ["body"],
            f"The CSV file repeats the column name(s) {', '.join(map(repr, err.names))}. "
            "Give every column its own name.",
            "csv_repeated_columns",
            err.names[0][:200],
            expected="distinct column names",
        )
    return names


def _malformed(err: Exception) -> NoReturn:
    reject(
        ["body"],
        f"The CSV file is malformed: {err}. Fix that line and upload again.",
        "csv_malformed",
        None,
    )


def _check_delimiter(header: list[str], text: str, schema: Schema, sep: str) -> None:
    if len(header) > 1 or len(schema.feature_fields) <= 1:
        return
    first = header[0]
    guess = next((d for d in _OTHER_DELIMITERS if d != sep and d in first), None)
    seen = f"it looks separated by {guess!r}" if guess else "it has a single column"
    message = (
        f"The CSV file must be separated by {sep!r}, but {seen}. "
        "Save it as comma-separated values"
        + (f", or add ?sep={guess} to the URL." if guess else ".")
    )
    reject(
        ["body"], message, "csv_delimiter", first[:200], expected=f"columns separated by {sep!r}"
    )


def _check_columns(header: list[str], schema: Schema) -> None:
    present = set(header)
    lowered = {name.lower(): name for name in header}
    items = []
    for field in schema.fields:
        if not (field.required and field.used) or field.name in present:
            continue
        hint = lowered.get(field.name.lower())
        msg = f"The CSV file has no '{field.name}' column, which the model needs." + (
            f" Did you mean '{hint}'? Column names are case-sensitive."
            if hint
            else " Add the column to the file."
        )
        items.append(
            error_item(
                ["body", field.name],
                msg,
                "missing_column",
                None,
                expected=f"a column named '{field.name}'",
            )
        )
    if items:
        raise ProblemError(422, None, items)
