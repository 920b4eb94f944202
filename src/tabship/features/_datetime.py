"""``DatetimeParts``: datetime columns turned into numeric calendar parts.

Estimators cannot use a timestamp directly; its year, month, day and weekday (and hour,
for columns that carry a time of day) are what usually matters, as plain float columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.features._frame import FrameTransformer, as_frame, input_names

__all__ = ["DatetimeParts"]

_DATE_PARTS = ("year", "month", "day", "dayofweek")
# Output suffix -> pandas accessor (``dt.dayofweek`` is deprecated in pandas 3).
_ACCESSORS = {
    "year": "year",
    "month": "month",
    "day": "day",
    "dayofweek": "day_of_week",
    "hour": "hour",
}


class DatetimeParts(FrameTransformer):
    """Replace each datetime64 column ``c`` with ``c_year, c_month, c_day, c_dayofweek``.

    ``c_hour`` is added for columns with any non-midnight time at fit. Other columns
    pass through unchanged, in place; missing dates give NaN parts.

    Attributes
    ----------
    datetime_parts_ : dict of str to list of str
        For each datetime column, the parts it is expanded into.
    """

    _parameter_constraints: dict[str, list[Any]] = {}

    def fit(self, X: Any, y: Any = None) -> DatetimeParts:
        """Find the datetime columns and which of them carry a time of day."""
        frame = as_frame(self, X, reset=True)
        parts: dict[str, list[str]] = {}
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
                parts[str(name)] = list(_DATE_PARTS) + (["hour"] if _has_time(frame[name]) else [])
        self.datetime_parts_ = parts
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "datetime_parts_")
        frame = as_frame(self, X, reset=False)
        columns: dict[str, pd.Series] = {}
        for name in frame.columns:
            parts = self.datetime_parts_.get(str(name))
            if parts is None:
                columns[name] = frame[name]
                continue
            stamps = pd.to_datetime(frame[name], errors="coerce")
            for part in parts:
                values = getattr(stamps.dt, _ACCESSORS[part]).to_numpy(
                    dtype="float64", na_value=np.nan
                )
                columns[f"{name}_{part}"] = pd.Series(values, index=frame.index)
        return pd.DataFrame(columns, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "datetime_parts_")
        names: list[str] = []
        for name in input_names(self, input_features):
            parts = self.datetime_parts_.get(name)
            names.extend([f"{name}_{p}" for p in parts] if parts is not None else [name])
        return np.asarray(names, dtype=object)


def _has_time(stamps: pd.Series) -> bool:
    valid = stamps.dropna()
    return bool(len(valid)) and bool((valid != valid.dt.normalize()).any())
