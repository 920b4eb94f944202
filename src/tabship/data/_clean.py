"""Text cleaning shared by files and in-memory frames: whitespace, NA markers, numbers.

Real tables spell "missing" in many ways (``?``, ``NULL``, ``PS`` for privacy-suppressed,
an empty cell) and often pad text (adult.csv has a space before every value). Cleaning
once, right after reading, lets everything downstream trust that text is stripped, that
missing is NaN and that a column of numbers is numeric.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from tabship.data._markers import DEFAULT_NA_VALUES, na_markers
from tabship.errors import DuplicateColumnError

__all__ = ["DEFAULT_NA_VALUES", "check_unique_names", "clean_frame", "na_markers"]


def clean_frame(
    df: pd.DataFrame, na_values: Iterable[str] = (), *, source: object = "the data"
) -> pd.DataFrame:
    """Strip text, turn NA markers into NaN and make all-number text columns numeric.

    Returns a new frame; ``df`` is not modified. Column names are stripped too, and a
    name that then appears twice raises :class:`DuplicateColumnError`.
    """
    markers = set(na_markers(na_values))
    names = [str(c).strip() for c in df.columns]
    check_unique_names(names, source)
    cleaned = {name: clean_column(df.iloc[:, i], markers) for i, name in enumerate(names)}
    out = pd.DataFrame(cleaned, index=df.index)
    out.columns = names
    return out


def check_unique_names(names: list[str], source: object) -> None:
    """Raise on repeated column names, which would make every later lookup ambiguous."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        if name in seen:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise DuplicateColumnError(source, list(dict.fromkeys(repeated)))


def clean_column(column: pd.Series, markers: set[str]) -> pd.Series:
    """One column cleaned; non-text columns come back unchanged."""
    if not is_text_column(column):
        return column.copy()
    stripped = _stripped_without_markers(column, markers)
    numbers = _as_numbers(stripped)
    if numbers is not None:
        return numbers
    if pd.api.types.is_object_dtype(column) and _all_text(stripped):
        return stripped.astype("str")
    return stripped


def _stripped_without_markers(column: pd.Series, markers: set[str]) -> pd.Series:
    """The text stripped, the NA markers missing."""
    if _is_arrow_text(column):
        return _arrow_stripped_without_markers(column, markers)
    if _is_string_dtype(column):  # vectorised: batch scoring cleans millions of cells
        stripped = column.str.strip()
    else:
        stripped = column.map(_strip, na_action="ignore")
    return stripped.where(~stripped.isin(markers))


def _arrow_stripped_without_markers(column: pd.Series, markers: set[str]) -> pd.Series:
    """A text column held by pyarrow, through the kernels pandas' string methods call
    (``utf8_trim_whitespace``, ``is_in``) on its own array, without their wrapping: that
    wrapping was half of what batch scoring spent cleaning a chunk."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stripped = pc.utf8_trim_whitespace(pa.array(column.array))
    missing = pc.is_in(stripped, value_set=pa.array(sorted(markers), stripped.type))
    if pc.any(missing).as_py():
        stripped = pc.if_else(missing, pa.scalar(None, stripped.type), stripped)
    return pd.Series(
        pd.array(stripped, dtype=column.dtype), index=column.index, name=column.name, copy=False
    )


def _is_arrow_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def is_text_column(column: pd.Series) -> bool:
    """Text-holding columns: pandas ``str``/string dtype or object dtype."""
    return pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)


def _is_string_dtype(column: pd.Series) -> bool:
    """pandas' text dtypes ("str", "string"), whose values are all text or missing."""
    return pd.api.types.is_string_dtype(column) and not pd.api.types.is_object_dtype(column)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _all_text(column: pd.Series) -> bool:
    return all(isinstance(v, str) for v in column.dropna().tolist())


def _looks_numeric(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _as_numbers(column: pd.Series) -> pd.Series | None:
    """The column as numbers when every present value is a number, else None."""
    filled = column.notna().to_numpy()
    if not filled.any():
        return pd.Series(float("nan"), index=column.index, name=column.name, dtype="float64")
    if not _is_string_dtype(column) and any(isinstance(v, bool) for v in column.dropna().tolist()):
        return None
    if not _looks_numeric(column.iloc[int(filled.argmax())]):
        return None  # a text column: skip parsing every cell only to fail
    try:
        numbers = pd.to_numeric(column, errors="raise")
    except (ValueError, TypeError):
        return None
    if not pd.api.types.is_numeric_dtype(numbers) or pd.api.types.is_bool_dtype(numbers):
        return None
    return numbers
