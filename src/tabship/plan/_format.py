"""The plan's files: their names, the format version, and reading untyped JSON values.

``plan.json`` holds the steps and their tables; each tree model is a zlib-deflated
Treelite file ``plan-N.treelite`` (plus ``plan-N.lightgbm``, LightGBM's own model text,
for batch speed). A reader checks every value's type while it builds the typed spec, so
a file this version cannot run fails at load with ``PlanError``, never mid-prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = [
    "PLAN_FILE",
    "PLAN_FORMAT",
    "Json",
    "PlanError",
    "Reader",
    "float_table",
    "floats",
    "integer",
    "integers",
    "items",
    "mapping",
    "number",
    "row_table",
    "rows",
    "tagged",
    "text",
    "texts",
]

PLAN_FILE = "plan.json"
PLAN_FORMAT = 2  # 2: model files deflated with zlib


class PlanError(ValueError):
    """A plan file that this version cannot execute (the pipeline is used instead)."""


T = TypeVar("T")
Json = Mapping[str, object]
Reader = Callable[[Json], T]


def tagged(value: object, key: str, what: str, readers: Mapping[str, Reader[T]]) -> T:
    """One of a tagged union: the reader named by the object's ``key`` (``op``, ``kind``)."""
    data = mapping(value, f"a {what}")
    tag = text(data[key], f"a {what}'s {key}")
    if tag not in readers:
        raise PlanError(f"unknown {what} {tag!r}")
    return readers[tag](data)


def mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise PlanError(f"{what} is not an object")
    return value


def items(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise PlanError(f"{what} is not a list")
    return value


def text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise PlanError(f"{what} is not text")
    return value


def number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanError(f"{what} is not a number")
    return float(value)


def integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(f"{what} is not an integer")
    return value


def texts(value: object, what: str) -> list[str]:
    return [text(v, what) for v in items(value, what)]


def floats(value: object, what: str) -> list[float]:
    return [number(v, what) for v in items(value, what)]


def integers(value: object, what: str) -> list[int]:
    return [integer(v, what) for v in items(value, what)]


def rows(value: object, what: str) -> list[list[float]]:
    return [floats(row, what) for row in items(value, what)]


def float_table(value: object, what: str) -> dict[str, float]:
    """Category text -> one number (category codes)."""
    return {key: number(v, what) for key, v in mapping(value, what).items()}


def row_table(value: object, what: str) -> dict[str, list[float]]:
    """Category text -> a row of numbers (one-hot blocks, target encodings)."""
    return {key: floats(v, what) for key, v in mapping(value, what).items()}
