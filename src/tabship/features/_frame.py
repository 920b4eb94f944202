"""Turning whatever a transformer receives into a DataFrame, and canonical category text.

tabship's transformers work on named columns, but scikit-learn (and its estimator checks)
also hand them plain arrays. One helper makes both look the same, so each transformer
keeps a single code path.
"""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import numpy as np
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


def is_missing(value: Any) -> bool:
    """Whether a single cell is missing (None, NaN, NA, NaT or blank text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return False


def canonical_text(value: Any) -> str | float:
    """The canonical category text of one cell, or NaN when it is missing.

    Text is stripped; an integer-valued number is written without a decimal point
    (``1``, ``1.0`` and ``np.int64(1)`` all become ``"1"``), so that a category read from
    a CSV as a number and one typed into a form as text meet as the same string.
    """
    if is_missing(value):
        return np.nan
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, Number) and not isinstance(value, complex):
        number = float(value)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip()


def canonical_series(values: pd.Series) -> pd.Series:
    """Canonical category text of a whole column, as object dtype with NaN for missing.

    Object dtype (not pandas' "str" dtype) because it is what every scikit-learn encoder
    accepts without conversion surprises.
    """
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
        values.dtype
    ):
        stripped = values.str.strip()
        out = stripped.astype(object).where(stripped.notna() & (stripped != ""), np.nan)
        return out
    # Convert each distinct value once: a column has far fewer categories than rows.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = np.asarray([canonical_text(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object, name=values.name)


def input_names(estimator: Any, input_features: Any = None) -> list[str]:
    """The input column names, as ``get_feature_names_out`` implementations need them."""
    if input_features is not None:
        return [str(name) for name in input_features]
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return [f"x{i}" for i in range(estimator.n_features_in_)]
