"""Turning whatever a transformer receives into a DataFrame.

tabship's transformers work on named columns, but scikit-learn (and its estimator checks)
also hand them plain arrays. One helper makes both look the same, so each transformer
keeps a single code path. Category text comes from ``tabship.data``
(``canonical_object_series``), the one spelling every layer shares.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, validate_data


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Base of tabship's transformers: any columns in (NaN and text too), a DataFrame out."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        # The output is a DataFrame with per-column dtypes, not an array of X's dtype.
        tags.transformer_tags.preserves_dtype = []
        return tags


def as_frame(estimator: Any, X: Any, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame; records ``n_features_in_``/``feature_names_in_`` when ``reset``.

    Arrays get scikit-learn's default names ``x0, x1, ...`` so that fitted column lists
    and ``get_feature_names_out`` agree whichever way the data came.
    """
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X
    array = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=1)
    validate_data(estimator, array, reset=reset, skip_check_array=True)
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def input_names(estimator: Any, input_features: Any = None) -> list[str]:
    """The input column names, as ``get_feature_names_out`` implementations need them."""
    if input_features is not None:
        return [str(name) for name in input_features]
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return [f"x{i}" for i in range(estimator.n_features_in_)]
