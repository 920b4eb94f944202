"""``SchemaCoercer``: the raw frame, whatever its dtypes, brought to the schema's types.

The same column can reach a model as float64 from a CSV, as text from a web form, as
``int`` from JSON or as pandas' "str" dtype from a user's frame. Coercing at the head of
the pipeline means everything after it sees one dtype per role, at training and at
serving alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.data import canonical_object_series
from tabship.errors import ColumnNotFoundError, DataError, DuplicateColumnError
from tabship.features._frame import FrameTransformer, as_frame

__all__ = ["COERCED_ROLES", "SchemaCoercer"]

COERCED_ROLES: tuple[str, ...] = ("numeric", "categorical", "boolean", "datetime", "text")


class SchemaCoercer(FrameTransformer):
    """Select the schema's feature columns, in schema order, with one dtype per role.

    Parameters
    ----------
    fields : tuple of (name, role) pairs or None, default=None
        The columns to keep and their roles (``numeric`` -> float64, ``categorical`` and
        ``boolean`` -> canonical text, ``datetime`` -> datetime64, ``text`` -> stripped
        text). ``None`` infers them
        from the frame seen at ``fit`` (numbers numeric, datetimes datetime, the rest
        categorical). Plain data, so the fitted object persists with skops.

    Attributes
    ----------
    fields_ : list of (name, role) pairs
        The fields used, in output order.
    feature_names_in_ : ndarray of str
        The input columns the transformer needs (extra columns are ignored).
    """

    _parameter_constraints: dict[str, list[Any]] = {"fields": [tuple, list, None]}

    def __init__(self, fields: tuple[tuple[str, str], ...] | None = None) -> None:
        self.fields = fields

    def fit(self, X: Any, y: Any = None) -> SchemaCoercer:
        """Check the fields against ``X``; infer them when ``fields`` is None."""
        self._validate_params()
        frame = as_frame(self, X, reset=True)
        fields = self._checked_fields() if self.fields is not None else _inferred(frame)
        _missing_columns(frame, fields)
        self.fields_ = fields
        if isinstance(X, pd.DataFrame):
            # The columns the pipeline needs; extra columns in X are ignored, not required.
            self.feature_names_in_ = np.asarray([name for name, _ in fields], dtype=object)
            self.n_features_in_ = len(fields)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Return the used fields of ``X`` in schema order, each with its role's dtype."""
        check_is_fitted(self, "fields_")
        frame = self._input_frame(X)
        _missing_columns(frame, self.fields_)
        return pd.DataFrame(
            {name: coerce_column(frame[name], role) for name, role in self.fields_},
            index=frame.index,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "fields_")
        return np.asarray([name for name, _ in self.fields_], dtype=object)

    def _checked_fields(self) -> list[tuple[str, str]]:
        fields: list[tuple[str, str]] = []
        for pair in self.fields or ():
            if len(pair) != 2 or not isinstance(pair[0], str) or pair[1] not in COERCED_ROLES:
                raise DataError(
                    f"SchemaCoercer fields must be (name, role) pairs with a role in "
                    f"{', '.join(COERCED_ROLES)}. Got {pair!r} instead.",
                    hint="Build it from Schema.feature_fields.",
                )
            fields.append((pair[0], pair[1]))
        names = [name for name, _ in fields]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise DuplicateColumnError("SchemaCoercer fields", repeated)
        return fields

    def _input_frame(self, X: Any) -> pd.DataFrame:
        """A frame for ``transform``: a DataFrame as it is, an array checked like at fit."""
        if isinstance(X, pd.DataFrame):
            return X
        return as_frame(self, X, reset=False)


def coerce_column(values: pd.Series, role: str) -> pd.Series:
    """One column converted to the dtype of its role."""
    if role == "numeric":
        return _to_float(values)
    if role == "datetime":
        return _to_datetime(values)
    return canonical_object_series(values)


def _to_float(values: pd.Series) -> pd.Series:
    """float64 with NaN for anything that is not a finite number (text is parsed)."""
    dtype = values.dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    else:
        text = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    return pd.Series(numbers, index=values.index, name=values.name, dtype="float64")


def _to_datetime(values: pd.Series) -> pd.Series:
    """datetime64 (timezone-naive UTC), NaT for anything unparseable."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
    else:
        text = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        out = pd.to_datetime(text, errors="coerce", format="mixed")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _inferred(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Roles read from dtypes, for ``fields=None``: a convenience for plain arrays."""
    fields = []
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            role = "datetime"
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            role = "numeric"
        else:
            role = "categorical"
        fields.append((str(name), role))
    return fields


def _missing_columns(frame: pd.DataFrame, fields: list[tuple[str, str]]) -> None:
    """Raise ColumnNotFoundError for the first expected column the frame lacks."""
    available = [str(c) for c in frame.columns]
    for name, _ in fields:
        if name not in frame.columns:
            raise ColumnNotFoundError(name, available, what="input field")
