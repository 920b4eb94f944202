"""One :class:`Field` from a column and its role: range, categories, default, missingness.

The statistics recorded here are what serving shows and checks: the form's dropdown
choices and number ranges, the defaults it pre-fills, whether a field may be left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabship.data._canonical import canonical_series, is_integer_valued
from tabship.data._roles import parse_dates
from tabship.data._schema import Field, Role

__all__ = ["build_field", "category_counts", "json_value"]


def build_field(column: pd.Series, role: Role) -> Field:
    """The schema entry for ``column`` playing ``role``."""
    n_missing = int(column.isna().sum())
    field = Field(
        name=str(column.name),
        role=role,
        dtype=str(column.dtype),
        required=n_missing == 0,
        missing_fraction=round(n_missing / len(column), 6) if len(column) else 0.0,
        n_unique=int(column.nunique()),
    )
    if role == "numeric":
        _describe_numbers(field, column)
    elif role in ("categorical", "boolean"):
        _describe_categories(field, column)
    elif role == "datetime":
        _describe_dates(field, column)
    return field


def category_counts(column: pd.Series) -> pd.Series:
    """Counts of canonical category text, most frequent first (ties by text, stable)."""
    counts = canonical_series(column.dropna()).value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    return counts.loc[order]


def json_value(value: Any, field: Field) -> Any:
    """A raw cell as the JSON-native value a user would send for ``field``."""
    if field.role in ("categorical", "boolean"):
        return canonical_series(pd.Series([value])).iloc[0]
    if field.role == "numeric":
        number = float(value)
        return int(round(number)) if field.is_integer else number
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value.item() if isinstance(value, np.generic) else value


def _describe_numbers(field: Field, column: pd.Series) -> None:
    numbers = pd.to_numeric(column, errors="coerce").dropna()
    if numbers.empty:
        return
    field.is_integer = is_integer_valued(numbers)
    field.minimum, field.maximum = float(numbers.min()), float(numbers.max())
    median = float(numbers.median())
    field.default = int(round(median)) if field.is_integer else median


def _describe_categories(field: Field, column: pd.Series) -> None:
    counts = category_counts(column)
    field.categories = [str(c) for c in counts.index]
    field.default = field.categories[0] if field.categories else None
    field.n_unique = len(field.categories)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        field.is_integer = is_integer_valued(column.dropna())


def _describe_dates(field: Field, column: pd.Series) -> None:
    dates = parse_dates(column).dropna()
    if not dates.empty:
        field.default = dates.sort_values().iloc[len(dates) // 2].isoformat()
