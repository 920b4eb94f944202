"""DatetimeParts: timestamps to numeric calendar parts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabship.features import DatetimeParts


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-02-29", None, "2023-12-31"]),
            "x": [1.0, 2.0, 3.0],
            "at": pd.to_datetime(["2024-01-01 13:45", "2024-01-02 00:00", None]),
        }
    )


def test_datetime_parts_replace_datetime_columns_in_place():
    parts = DatetimeParts().fit(frame())
    out = parts.transform(frame())
    expected = [
        "day_year", "day_month", "day_day", "day_dayofweek", "x",
        "at_year", "at_month", "at_day", "at_dayofweek", "at_hour",
    ]  # fmt: skip
    assert list(out.columns) == expected == list(parts.get_feature_names_out())
    assert (out.dtypes == "float64").all()
    np.testing.assert_array_equal(out.iloc[0, :4], [2024, 2, 29, 3])
    assert out.iloc[1, :4].isna().all()
    assert out["at_hour"].tolist()[:2] == [13.0, 0.0]


def test_datetime_parts_add_hour_only_for_columns_with_a_time_of_day():
    parts = DatetimeParts().fit(frame())
    assert parts.datetime_parts_ == {
        "day": ["year", "month", "day", "dayofweek"],
        "at": ["year", "month", "day", "dayofweek", "hour"],
    }


def test_datetime_parts_one_row_matches_batch():
    parts = DatetimeParts().fit(frame())
    pd.testing.assert_frame_equal(
        parts.transform(frame().iloc[[2]]), parts.transform(frame()).iloc[[2]]
    )
