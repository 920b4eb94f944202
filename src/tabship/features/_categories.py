"""``CategoryEncoder``: categoricals as pandas ``category`` dtype with categories fixed at fit.

LightGBM and HistGradientBoosting split on categories natively when they receive a
``category`` column. Fixing the categories at fit gives every later frame (a batch or a
single served record) the same codes, and an unseen value becomes missing instead of a
new code the model never saw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.data import canonical_object_series
from tabship.features._frame import FrameTransformer, as_frame, input_names

__all__ = ["CategoryEncoder"]


class CategoryEncoder(FrameTransformer):
    """Encode columns as pandas ``category`` dtype with the categories seen at fit.

    Values are first brought to canonical category text (stripped; ``1.0 -> "1"``).

    Attributes
    ----------
    categories_ : list of list of str
        Per input column, its categories ordered by decreasing training frequency (ties
        by text). Plain lists of str so that skops persists them without custom types.
    """

    _parameter_constraints: dict[str, list[Any]] = {}

    def fit(self, X: Any, y: Any = None) -> CategoryEncoder:
        """Learn each column's categories, most frequent first."""
        frame = as_frame(self, X, reset=True)
        self.categories_ = [_by_frequency(canonical_object_series(frame[c])) for c in frame.columns]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Columns as ``category`` dtype with the fitted categories; unknown values -> NaN."""
        check_is_fitted(self, "categories_")
        frame = as_frame(self, X, reset=False)
        names = self.get_feature_names_out()
        columns = {
            name: _as_category(canonical_object_series(frame[column]), categories)
            for name, column, categories in zip(names, frame.columns, self.categories_, strict=True)
        }
        return pd.DataFrame(columns, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "categories_")
        return np.asarray(input_names(self, input_features), dtype=object)


def _by_frequency(values: pd.Series) -> list[str]:
    counts = values.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return [str(value) for value, _ in ranked]


def _as_category(values: pd.Series, categories: list[str]) -> pd.Series:
    """``values`` with the fixed categories; values outside them become missing first."""
    known = values.where(values.isin(categories), np.nan)
    return known.astype(pd.CategoricalDtype(categories=categories))
