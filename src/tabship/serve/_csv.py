"""``POST /predict/csv``: a CSV in, the same CSV out with prediction columns appended.

Problems with the *file* (not text, one column because of another delimiter, required
columns missing, a malformed line) are answered at once with a 422 naming them, before a
byte of the answer is sent. Problems with *rows* are not fatal: each bad row comes back
with its ``error`` column filled and no prediction, the others are scored. The whole
upload is already in memory (it is bounded by the body size limit), so it is parsed up
front; scoring and writing then go chunk by chunk, streamed, so the first rows of the
answer leave while later chunks are still being scored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, NoReturn

import pandas as pd

from tabship.data import Schema, clean_frame
from tabship.errors import ValidationError
from tabship.serve._errors import ProblemError, problem, reject

__all__ = ["CHUNK_ROWS", "parse_csv", "scored_csv"]

CHUNK_ROWS = 10_000
_OTHER_DELIMITERS = (";", "\t", "|", ",")


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
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as err:
        _malformed(err)
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def scored_csv(model: Any, frame: pd.DataFrame, on_scored: Any = None) -> Iterator[str]:
    """CSV text of ``frame`` with prediction, probability and error columns, by chunk."""
    names = _output_names(frame.columns)
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS].reset_index(drop=True)
        out = _score_chunk(model, chunk, names, on_scored)
        yield out.to_csv(index=False, header=start == 0, lineterminator="\n")


def _score_chunk(
    model: Any, chunk: pd.DataFrame, names: dict[str, str], on_scored: Any
) -> pd.DataFrame:
    out = chunk.copy()
    prediction = [""] * len(chunk)
    probabilities: dict[str, list[Any]] = {}
    errors: list[dict[str, Any]] = []
    if len(chunk):
        cleaned = clean_frame(chunk, na_values=model.schema.na_values)
        try:
            scored = model.score(cleaned, strict=False)
        except ValidationError as err:  # no row of the chunk is valid
            errors = err.errors
        else:
            errors = scored.errors
            for position, value in zip(scored.index, scored.predictions, strict=True):
                prediction[position] = value
            for position, row in zip(scored.index, scored.probabilities or [], strict=False):
                for cls, p in row.items():
                    probabilities.setdefault(cls, [""] * len(chunk))[position] = p
            if on_scored is not None:
                on_scored(scored.predictions)
    out[names["prediction"]] = prediction
    for cls in model.classes or []:
        out[names["probability"] + str(cls)] = probabilities.get(str(cls), [""] * len(chunk))
    out[names["error"]] = _reasons(errors, len(chunk))
    return out


def _reasons(errors: list[dict[str, Any]], n: int) -> list[str]:
    """One text per row: its error messages joined, empty for rows that were scored."""
    reasons: list[list[str]] = [[] for _ in range(n)]
    for item in errors:
        loc = item.get("loc") or [None]
        if isinstance(loc[0], int) and 0 <= loc[0] < n:
            reasons[loc[0]].append(str(item.get("msg", "invalid value")))
    return [" ".join(r) for r in reasons]


def _output_names(columns: pd.Index) -> dict[str, str]:
    """Appended column names, prefixed when the upload already has such a column."""
    taken = set(map(str, columns))
    prefix = "tabship_" if taken & {"prediction", "error"} else ""
    return {
        "prediction": f"{prefix}prediction",
        "probability": f"{prefix}probability_",
        "error": f"{prefix}error",
    }


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
    if b"\x00" in raw[:65536]:
        reject(
            ["body"],
            "The upload is not a text file (it contains NUL bytes). Upload the table as CSV text.",
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
    return [name.strip() for name in first]


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
            problem(
                ["body", field.name],
                msg,
                "missing_column",
                None,
                expected=f"a column named '{field.name}'",
            )
        )
    if items:
        raise ProblemError(422, None, items)
