"""Feedback: the true outcomes of logged predictions, checked item by item.

One bad item never costs the others: each problem becomes an :class:`ErrorItem` located at
``[*prefix, index, key]`` (``["body", 3, "actual"]`` for ``POST /feedback``, ``["row", 7,
"charges"]`` for a CSV), and every good item is stored. The actual's type follows the
model's task when it is known (a number for regression, one of the classes for
classification) and otherwise the kind of the logged prediction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, update

from tabship.errors import ErrorItem, error_item
from tabship.monitor._queries import utc_now
from tabship.monitor._tables import predictions

if TYPE_CHECKING:
    from tabship.monitor._log import PredictionLog

__all__ = ["FeedbackResult", "add_feedback"]


@dataclass
class FeedbackResult:
    """How many outcomes were stored, and the problems of the items that were not."""

    stored: int = 0
    errors: list[ErrorItem] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """How many items were not stored (an item may have more than one error)."""
        return len({_position(e)[0] for e in self.errors})


@dataclass(frozen=True)
class _Item:
    index: int
    id: str
    actual: object


class _Checker:
    """Collects the errors of one request, located under ``prefix``."""

    def __init__(self, prefix: Sequence[str | int]) -> None:
        self.prefix = list(prefix)
        self.errors: list[ErrorItem] = []

    def add(
        self, index: int, key: str, msg: str, type_: str, value: object, **extra: object
    ) -> None:
        self.errors.append(error_item([*self.prefix, index, key], msg, type_, value, **extra))


def add_feedback(
    log: PredictionLog,
    items: Sequence[object],
    task: str | None,
    classes: Sequence[str] | None,
    *,
    model: str | None = None,
    loc_prefix: Sequence[str | int] = ("body",),
) -> FeedbackResult:
    """See :meth:`PredictionLog.add_feedback`."""
    check = _Checker(loc_prefix)
    candidates = _unique(_well_formed(items, check), check)
    kinds = log.row_kinds([item.id for item in candidates], model)
    values: dict[str, tuple[float | None, str | None]] = {}
    for item in candidates:
        if item.id not in kinds:
            where = " for this model" if model else ""
            check.add(
                item.index,
                "id",
                f"The id '{item.id}' is not in the log{where}.",
                "unknown_id",
                item.id,
            )
            continue
        numeric = task == "regression" if task else kinds[item.id]
        value = _number(item, check) if numeric else _label(item, classes, check)
        if value is not None:
            values[item.id] = value
    _store(log, values)
    return FeedbackResult(stored=len(values), errors=sorted(check.errors, key=_position))


def _well_formed(items: Sequence[object], check: _Checker) -> list[_Item]:
    found: list[_Item] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            msg = "Each item must be an object with 'id' and 'actual'."
            check.errors.append(error_item([*check.prefix, index], msg, "dict_type", item))
            continue
        id_ = item.get("id")
        if "id" not in item or id_ is None or id_ == "":
            check.add(index, "id", "The item has no 'id'.", "missing", None)
        elif not isinstance(id_, str):
            check.add(index, "id", "The 'id' must be a string.", "string_type", id_)
        if "actual" not in item or item["actual"] is None or item["actual"] == "":
            check.add(index, "actual", "The item has no 'actual' value.", "missing", None)
        elif isinstance(id_, str) and id_:
            found.append(_Item(index, id_, item["actual"]))
    return found


def _unique(items: list[_Item], check: _Checker) -> list[_Item]:
    """The first item of each id; the later ones are errors (which one would be right?)."""
    first: dict[str, int] = {}
    kept: list[_Item] = []
    for item in items:
        if item.id in first:
            msg = f"The id '{item.id}' appears more than once (first as item {first[item.id]})."
            check.add(item.index, "id", msg, "duplicate_id", item.id)
        else:
            first[item.id] = item.index
            kept.append(item)
    return kept


def _number(item: _Item, check: _Checker) -> tuple[float | None, str | None] | None:
    value = item.actual
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None:
        check.add(item.index, "actual", "The 'actual' value must be a number.", "float_type", value)
        return None
    if not math.isfinite(number):
        check.add(
            item.index,
            "actual",
            "The 'actual' value must be a finite number.",
            "finite_number",
            value,
        )
        return None
    return number, None


def _label(
    item: _Item, classes: Sequence[str] | None, check: _Checker
) -> tuple[float | None, str | None] | None:
    value = item.actual
    if isinstance(value, float) and not math.isfinite(value):
        check.add(
            item.index,
            "actual",
            "The 'actual' value must be a class, not NaN.",
            "finite_number",
            value,
        )
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | bool):
        check.add(
            item.index, "actual", "The 'actual' value must be a class label.", "string_type", value
        )
        return None
    label = str(value)
    if classes is not None and label not in classes:
        check.add(
            item.index,
            "actual",
            f"The 'actual' value '{label}' is not one of the model's classes.",
            "unknown_class",
            value,
            expected=list(classes),
        )
        return None
    return None, label


def _store(log: PredictionLog, values: Mapping[str, tuple[float | None, str | None]]) -> None:
    if not values:
        return
    now = utc_now()
    rows = [
        {"b_id": id_, "actual_num": number, "actual_label": label, "feedback_ts": now}
        for id_, (number, label) in sorted(values.items())
    ]
    stmt = update(predictions).where(predictions.c.id == bindparam("b_id"))
    with log.writing() as conn:
        conn.execute(stmt, rows)


def _position(error: ErrorItem) -> tuple[int, str]:
    loc = error["loc"]
    index = next((part for part in loc if isinstance(part, int)), -1)
    return index, str(loc[-1])
