"""Any accepted input shape seen as one table: ``n`` rows of cells reachable by field name.

``validate_records`` takes one record, a list of records, columns (a mapping of equal
length lists) or a DataFrame. All but the single record (checked on its own, without a
table) become a :class:`Table`, so the column checkers have one shape to walk. An input
that cannot be read as records at all raises :class:`BadInput` carrying the error item
(``loc`` empty: the problem is the input as a whole); a list element that is not a
record is refused on its own row, and the others are still checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from tabship.data import is_column
from tabship.errors import ErrorItem, error_item
from tabship.runtime._rules import ABSENT, echo, loaded_pandas, quoted, show

if TYPE_CHECKING:
    from typing import Any, TypeAlias

    import pandas as pd

    # One field's cells: a list (records, columns) or a pandas column (a DataFrame).
    Cells: TypeAlias = Sequence[object] | pd.Series[Any]

__all__ = ["BadInput", "Cells", "Table", "input_error", "is_columns"]

_NO_RECORDS = (
    "Send one record as an object of field values, a list of records, or columns of equal length."
)


def input_error(type_: str, msg: str, got: object = None, expected: object = None) -> ErrorItem:
    """A problem with the whole input rather than one field (``loc`` is empty)."""
    return error_item([], msg, type_, got, expected=expected)


class BadInput(Exception):
    """The input as a whole cannot be read as records; carries the error item."""

    def __init__(self, item: ErrorItem) -> None:
        super().__init__(item["msg"])
        self.item = item


def is_columns(data: Mapping[object, object]) -> bool:
    """A mapping whose every value is a list holds columns, not one record."""
    return all(is_column(v) for v in data.values())


@dataclass
class Table:
    """Any accepted input shape, seen as ``n`` rows of cells reachable by field name.

    ``rows`` holds the records of a list input; ``columns`` the columns of the other
    shapes (a list, array or pandas Series per field). ``rejected`` are the rows that are
    not records at all, with their error; ``nan_is_missing`` is set for a DataFrame,
    where NaN is pandas' missing value.
    """

    n: int
    columns: Mapping[object, Cells] | None
    unknown: list[str]
    nan_is_missing: bool = False
    rejected: dict[int, ErrorItem] = field(default_factory=dict)
    rows: list[Mapping[object, object]] | None = None

    def column(self, name: str) -> Cells:
        """The cells of one field, ``ABSENT`` where a row does not have it."""
        if self.rows is not None:
            return [row.get(name, ABSENT) for row in self.rows]
        found = self.columns.get(name) if self.columns is not None else None
        return found if found is not None else [ABSENT] * self.n

    @classmethod
    def read(cls, data: object, known: frozenset[str]) -> Table:
        pandas = loaded_pandas()
        if pandas is not None and isinstance(data, pandas.DataFrame):
            return cls._from_frame(data, known)
        if isinstance(data, Mapping):  # one record was handled before; these are columns
            if not data:
                raise BadInput(
                    input_error("empty", f"The input holds no fields. {_NO_RECORDS}", {})
                )
            return cls._from_columns(data, known)
        if isinstance(data, list | tuple):
            return cls._from_records(data, known)
        raise BadInput(
            input_error(
                "type_error",
                f"The input must be a record, a list of records or columns. Got {show(data)} "
                f"instead. {_NO_RECORDS}",
                echo(data),
            )
        )

    @classmethod
    def _from_records(cls, records: Sequence[object], known: frozenset[str]) -> Table:
        if not records:
            raise BadInput(input_error("empty", f"The input holds no records. {_NO_RECORDS}", []))
        rejected = {
            i: error_item(
                [i],
                f"Record {i} must be an object of field values. Got {show(r)} instead.",
                "type_error",
                echo(r),
                expected="an object",
            )
            for i, r in enumerate(records)
            if not isinstance(r, Mapping)
        }
        rows: list[Mapping[object, object]] = [
            r if isinstance(r, Mapping) and i not in rejected else {} for i, r in enumerate(records)
        ]
        return cls(len(rows), None, _unknown(rows, known), rejected=rejected, rows=rows)

    @classmethod
    def _from_columns(cls, data: Mapping[object, object], known: frozenset[str]) -> Table:
        columns = {k: _as_list(v) for k, v in data.items()}
        lengths = {str(k): len(v) for k, v in columns.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"'{k}': {n}" for k, n in list(lengths.items())[:20])
            raise BadInput(
                input_error(
                    "column_lengths",
                    f"Columns must all have the same length. Got {shown}. "
                    "Send one value per record in every column.",
                    lengths,
                )
            )
        n = next(iter(lengths.values()))
        if n == 0:
            raise BadInput(input_error("empty", f"The columns hold no values. {_NO_RECORDS}", {}))
        return cls(n, columns, _unknown([columns], known))

    @classmethod
    def _from_frame(cls, frame: pd.DataFrame, known: frozenset[str]) -> Table:
        names = [str(c) for c in frame.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise BadInput(
                input_error(
                    "duplicate_columns",
                    f"The columns {quoted(repeated)} appear more than once. "
                    "Give every column a distinct name.",
                    repeated,
                )
            )
        if len(frame) == 0:
            raise BadInput(input_error("empty", f"The table holds no rows. {_NO_RECORDS}", []))
        columns: dict[object, Cells] = {
            name: frame.iloc[:, j] for j, name in enumerate(names) if name in known
        }
        unknown = [n for n in names if n not in known]
        return cls(len(frame), columns, unknown, nan_is_missing=True)


def _as_list(values: object) -> list[object]:
    """A column's values as a list (``tolist`` gives numpy's values as Python's)."""
    if hasattr(values, "tolist"):
        listed: list[object] = values.tolist()
        return listed
    return list(cast(Iterable[object], values))  # not iterable: a TypeError, as before


def _unknown(rows: Sequence[Mapping[object, object]], known: frozenset[str]) -> list[str]:
    """Field names not in the schema, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in known:
                seen[str(key)] = None
    return list(seen)
