"""Spreadsheet formulas in scored CSV files, made inert (OWASP "CSV injection").

A scored file echoes its input: a cell that arrived as ``=HYPERLINK("http://evil",
"click")`` or ``@SUM(1+1)*cmd|'/c calc'!A0`` would run as a formula when someone opens the
result in a spreadsheet. OWASP's advice: prefix such a text cell (one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) with a single quote, which the
spreadsheet shows as text. Numbers stay numbers: a numeric column is left alone, and so
is a text cell that is a plain number (``-3.5``, ``+1e5``). Column names are cells too.

One rule (``FORMULA_START``, ``PLAIN_NUMBER``), applied to a pandas frame
(``escape_formulas``: the CSV upload's answer, Dask parts) and to the Arrow table a batch
file is written from (``escape_table``: column by column in Arrow's compute kernels, so a
10,000-column export costs milliseconds, not a pandas operation per column).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["FORMULA_START", "PLAIN_NUMBER", "escape_formulas", "escape_table"]

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$"
_QUOTE = "'"
_FORMULA = re.compile(FORMULA_START)
_FORMULA_BYTES = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)  # FORMULA_START's characters
_NUMBER = re.compile(PLAIN_NUMBER)


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every formula-like text cell and column name quoted (a new frame
    only when something changed; ``frame`` itself is never modified)."""
    out = frame
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not (pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)):
            continue
        try:
            formula = column.str.contains(FORMULA_START, regex=True, na=False)
        except AttributeError:  # an object column holding no text (bools, dates)
            continue
        if not formula.any():
            continue
        number = column.str.contains(PLAIN_NUMBER, regex=True, na=False)
        mask = (formula & ~number).to_numpy(dtype=bool)
        if mask.any():
            values = column.to_numpy(dtype=object, copy=True)
            values[mask] = [_QUOTE + text for text in values[mask]]
            if out is frame:
                out = frame.copy(deep=False)
            out.isetitem(position, values)
    names = _escaped_names([str(name) for name in frame.columns])
    return out if names is None else out.set_axis(names, axis=1)


def escape_table(table: Any) -> Any:
    """A ``pyarrow.Table`` with every formula-like string cell and column name quoted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = [i for i, f in enumerate(table.schema) if _is_arrow_text(f.type)]
    if text and _any_formula(table, text):
        for position in text:
            field, column = table.schema.field(position), table.column(position)
            formula = pc.fill_null(pc.match_substring_regex(column, FORMULA_START), False)
            if not pc.any(formula).as_py():
                continue
            number = pc.fill_null(pc.match_substring_regex(column, PLAIN_NUMBER), False)
            mask = pc.and_(formula, pc.invert(number))
            quote, empty = pa.scalar(_QUOTE, field.type), pa.scalar("", field.type)
            quoted = pc.binary_join_element_wise(quote, column, empty)
            table = table.set_column(position, field, pc.if_else(mask, quoted, column))
    names = _escaped_names(list(table.column_names))
    return table if names is None else table.rename_columns(names)


def _is_arrow_text(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _any_formula(table: Any, positions: list[int]) -> bool:
    """Whether any of those string columns has a cell starting like a formula (most
    tables have none: then that is all), read from each cell's first byte with numpy.

    A regex over every cell took a third of the writer's time (0.055 s of CPU per
    300,000 adult rows); a formula character is ASCII, so it is the first byte.
    """
    return any(
        bool(_formula_starts(chunk).any())
        for position in positions
        for chunk in table.column(position).chunks
    )


def _formula_starts(array: Any) -> NDArray[np.bool_]:
    """Per cell of a pyarrow string array, whether it starts like a formula
    (``FORMULA_START``); False for a null or empty cell."""
    import pyarrow as pa

    n, first = len(array), array.offset
    _, offsets_buffer, data_buffer = array.buffers()
    wide = pa.types.is_large_string(array.type)
    every: NDArray[np.signedinteger[Any]] = np.frombuffer(
        offsets_buffer, dtype=np.int64 if wide else np.int32
    )
    offsets = every[first : first + n + 1]
    starts = offsets[:-1]
    filled = offsets[1:] > starts
    leading = np.zeros(n, dtype=np.uint8)
    if data_buffer is not None and filled.any():
        leading[filled] = np.frombuffer(data_buffer, dtype=np.uint8)[starts[filled]]
    found = np.isin(leading, _FORMULA_BYTES)
    if array.null_count:
        found &= array.is_valid().to_numpy(zero_copy_only=False)
    return found


def _escaped_names(names: list[str]) -> list[str] | None:
    """The column names with formula-like ones quoted, or None when none is."""
    escaped = [_QUOTE + n if _FORMULA.match(n) and not _NUMBER.match(n) else n for n in names]
    return None if escaped == names else escaped
