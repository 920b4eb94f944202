"""User-declared derived columns (``--derive "power_to_weight = Horsepower / Weight"``).

Expressions come from the command line and end up inside a saved model, so they are
never handed to ``eval``: :func:`parse_derived` reads them with :mod:`ast` and accepts
only column names, numbers, ``+ - * / **``, unary signs, parentheses and a handful of
numeric functions; :class:`DerivedColumns` walks that tree with numpy. Column names with
spaces are written in backticks: ``age_at_sale = `Sale Year` - `Model Year```.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.data import (
    DERIVED_FUNCTIONS,
    derived_columns_used,
    evaluate_derived,
    parse_derived,
)
from tabship.errors import DerivedColumnError
from tabship.features._frame import FrameTransformer, as_frame, input_names

__all__ = ["DERIVED_FUNCTIONS", "DerivedColumns", "derived_columns_used", "parse_derived"]


class DerivedColumns(FrameTransformer):
    """Append user-declared float columns computed from the existing ones.

    Parameters
    ----------
    expressions : tuple of str, default=()
        ``"name = expression"`` strings (see :func:`parse_derived`). A later expression
        may use an earlier one's name. Division by zero, logs of negatives and overflow
        give NaN (never ``inf``), which the imputers downstream handle.

    Attributes
    ----------
    derived_names_ : list of str
        The names of the appended columns, in order.
    """

    _parameter_constraints: dict[str, list[Any]] = {"expressions": [tuple, list]}

    def __init__(self, expressions: tuple[str, ...] = ()) -> None:
        self.expressions = expressions

    def fit(self, X: Any, y: Any = None) -> DerivedColumns:
        """Parse every expression and check that the columns it reads exist in ``X``."""
        self._validate_params()
        frame = as_frame(self, X, reset=True)
        available = [str(c) for c in frame.columns]
        names: list[str] = []
        for expression in self.expressions:
            name, tree = parse_derived(expression)
            _check_names(expression, name, tree, available + names)
            names.append(name)
        self.derived_names_ = names
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """``X`` plus one float64 column per expression."""
        check_is_fitted(self, "derived_names_")
        frame = as_frame(self, X, reset=False)
        out = frame.copy()
        for expression in self.expressions:
            name, tree = parse_derived(expression)
            out[name] = _compute(tree, out)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "derived_names_")
        names = input_names(self, input_features)
        return np.asarray(names + self.derived_names_, dtype=object)


def _check_names(expression: str, name: str, tree: ast.expr, available: list[str]) -> None:
    """The new name must be new, and every name read must be a column."""
    if name in available:
        raise DerivedColumnError(expression, f"'{name}' is already a column")
    unknown = [c for c in derived_columns_used(tree) if c not in available]
    if unknown:
        listed = ", ".join(f"'{c}'" for c in available[:30])
        raise DerivedColumnError(
            expression,
            f"{', '.join(repr(c) for c in unknown)} is not a column (columns are {listed}; "
            "put names with spaces in backticks)",
        )


def _compute(tree: ast.expr, frame: pd.DataFrame) -> pd.Series:
    columns = {
        name: pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        for name in derived_columns_used(tree)
    }
    values = evaluate_derived(tree, columns, len(frame))
    return pd.Series(values, index=frame.index, dtype="float64")
