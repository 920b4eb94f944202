"""From a raw request to a list of records, and runtime errors back to request locations.

The body is parsed here, not by FastAPI, so that every problem about the *content* of the
records comes from the runtime validator in one shape. What is checked here is only the
envelope: the body is JSON at all, and it is one of the three accepted forms::

    {"age": 19, "sex": "female"}                 # one record      -> loc ["body", field]
    [{"age": 19, ...}, {"age": 40, ...}]         # list of records -> loc ["body", i, field]
    {"age": [19, 40], "sex": ["female", "male"]} # columns         -> loc ["body", field, i]

``json.loads`` accepts the non-standard ``NaN`` and ``Infinity`` tokens; they are kept as
floats on purpose so that the validator names the field that carried them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from tabship.errors import ErrorItem, error_item
from tabship.serve._errors import ProblemError, reject

__all__ = ["Form", "parse_flag", "parse_records", "relocate", "too_many_records"]

Form = Literal["record", "records", "columns", "query"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_records(raw: bytes) -> tuple[list[dict[str, Any]], Form]:
    """The records in a JSON body, and which of the three forms carried them."""
    if not raw.strip():
        reject(
            ["body"],
            "The request body is empty. Send one record, a list of records or columns as JSON.",
            "missing",
            None,
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, huge ints
        text = raw[:80].decode("utf-8", errors="replace")
        reject(
            ["body"],
            f"The request body is not valid JSON ({_reason(err)}). "
            "Send JSON with 'Content-Type: application/json'.",
            "json_invalid",
            text,
        )
    if isinstance(data, list):
        return _list_form(data), "records"
    if isinstance(data, dict):
        if data and all(isinstance(v, list) for v in data.values()):
            return _columns_form(data), "columns"
        return [data], "record"
    reject(["body"], _shape_message(data), "body_type", data)


def _list_form(data: list[Any]) -> list[dict[str, Any]]:
    if not data:
        reject(["body"], "The list of records is empty. Send at least one record.", "too_short", [])
    bad = [
        error_item(
            ["body", i],
            f"Record {i} must be a JSON object. Got {_kind(item)}.",
            "dict_type",
            item,
            expected="an object of field: value",
        )
        for i, item in enumerate(data)
        if not isinstance(item, dict)
    ]
    if bad:
        raise ProblemError(422, None, bad)
    return data


def _columns_form(data: dict[str, list[Any]]) -> list[dict[str, Any]]:
    lengths = {name: len(values) for name, values in data.items()}
    n = max(lengths.values())
    uneven = [
        error_item(
            ["body", name],
            f"The column '{name}' has {length} values; the longest has {n}. "
            "Give every column the same number of values.",
            "column_length",
            length,
            expected=n,
        )
        for name, length in lengths.items()
        if length != n
    ]
    if uneven:
        raise ProblemError(422, None, uneven)
    if n == 0:
        reject(
            ["body"],
            "The columns hold no values. Send at least one value per column.",
            "too_short",
            data,
        )
    return [{name: values[i] for name, values in data.items()} for i in range(n)]


def too_many_records(n: int, limit: int) -> ProblemError:
    message = (
        f"A request may hold at most {limit:,} records. Got {n:,}. "
        "Split the records over several requests, or upload a CSV to /predict/csv."
    )
    item = error_item(["body"], message, "too_many_records", n, expected=f"<= {limit}")
    return ProblemError(413, message, [item])


def relocate(errors: Sequence[ErrorItem], form: Form) -> list[ErrorItem]:
    """Runtime error items (``loc = [index, field, ...]``) with the location in the request."""
    moved = []
    for item in errors:
        loc = list(item.get("loc", []))
        index, rest = (loc[0], loc[1:]) if loc and isinstance(loc[0], int) else (None, loc)
        where: list[int | str]
        if form == "records" and index is not None:
            where = ["body", index, *rest]
        elif form == "columns" and index is not None and rest:
            where = ["body", rest[0], index, *rest[1:]]
        else:
            where = ["query" if form == "query" else "body", *rest]
        relocated = item.copy()
        relocated["loc"] = where
        moved.append(relocated)
    return moved


def parse_flag(value: str | None, name: str) -> bool:
    """A boolean query parameter such as ``?explain=true``."""
    if value is None:
        return False
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    reject(
        ["query", name],
        f"The '{name}' parameter must be true or false. Got {value!r}.",
        "bool_parsing",
        value,
        expected="true or false",
    )


def _shape_message(data: object) -> str:
    return (
        "The request body must be a record (object), a list of records, or columns "
        f"(object of lists). Got {_kind(data)}."
    )


def _kind(value: object) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _reason(err: BaseException) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at line {err.lineno}, column {err.colno}"
    if isinstance(err, RecursionError):
        return "nested too deeply"
    return str(err).split(":")[0]
