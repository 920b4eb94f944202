from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabship.data import DEFAULT_NA_VALUES, clean_frame
from tabship.errors import DuplicateColumnError


def test_markers_whitespace_and_numbers():
    frame = pd.DataFrame(
        {
            " earn ": ["63900", "PS", " 44468 "],
            "state": [" AL", "NULL", "PrivacySuppressed"],
            "ratio": [0.5, np.nan, 1.0],
        }
    )
    df = clean_frame(frame)
    assert list(df.columns) == ["earn", "state", "ratio"]
    assert df["earn"].dtype == "float64"
    assert df["earn"].isna().tolist() == [False, True, False]
    assert df["state"].tolist()[0] == "AL"
    assert df["state"].isna().sum() == 2
    assert df["ratio"].equals(frame["ratio"])


def test_user_na_values_add_to_the_defaults():
    df = clean_frame(pd.DataFrame({"a": ["x", "unknown ", "y"]}), na_values=[" unknown"])
    assert df["a"].isna().tolist() == [False, True, False]


def test_all_missing_text_becomes_an_all_nan_float_column():
    df = clean_frame(pd.DataFrame({"a": ["?", "", " NA "]}))
    assert df["a"].dtype == "float64"
    assert df["a"].isna().all()


def test_mixed_object_column_stays_object():
    df = clean_frame(pd.DataFrame({"a": pd.Series([1, "b ", None], dtype=object)}))
    assert df["a"].tolist()[:2] == [1, "b"]


def test_text_booleans_stay_text():
    df = clean_frame(pd.DataFrame({"a": ["True", "False"]}))
    assert df["a"].tolist() == ["True", "False"]


def test_duplicate_names_after_stripping():
    frame = pd.DataFrame([[1, 2]], columns=["a", "a "])
    with pytest.raises(DuplicateColumnError, match=r"the DataFrame' has duplicate .*'a'"):
        clean_frame(frame, source="the DataFrame")


def test_default_markers_include_the_reference_datasets_spellings():
    assert {"?", "PS", "NULL", "NA", ""} <= set(DEFAULT_NA_VALUES)


_cells = st.one_of(
    st.sampled_from([*DEFAULT_NA_VALUES, " ?", " 1", "2.5 ", "x", " y "]),
    st.text(alphabet=" ab1.-", max_size=5),
    st.integers(-5, 5).map(str),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cells, _cells), min_size=1, max_size=8))
def test_clean_frame_is_idempotent(rows):
    frame = pd.DataFrame(rows, columns=["p", " q"], dtype="str")
    once = clean_frame(frame)
    twice = clean_frame(once)
    pd.testing.assert_frame_equal(once, twice)
    for column in once.columns:
        values = once[column].dropna().tolist()
        assert all(
            v == v.strip() and v not in DEFAULT_NA_VALUES for v in values if isinstance(v, str)
        )


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.none()
        | st.sampled_from([" NA", "? ", "PS", "", " 1", "2.5 ", "-3", "x"])
        | st.text(alphabet=" \t\n\xa0\u2003ab1.-?é", max_size=5),
        min_size=1,
        max_size=30,
    )
)
def test_a_pyarrow_text_column_is_cleaned_as_pandas_string_methods_clean_it(cells):
    """The Arrow kernels on the column's own array, against the pandas methods that call
    them: strip, markers to missing, then numbers when every present value is one."""
    column = pd.Series(cells, dtype=pd.StringDtype("pyarrow", na_value=np.nan), name="c")
    stripped = column.str.strip()
    stripped = stripped.where(~stripped.isin(list(DEFAULT_NA_VALUES)))
    present = stripped.dropna()
    try:
        numbers = pd.to_numeric(stripped) if len(present) else None
    except ValueError:
        numbers = None
    if not len(present):
        expected = pd.Series(np.nan, index=column.index, name="c", dtype="float64")
    elif numbers is not None and pd.api.types.is_numeric_dtype(numbers):
        expected = numbers
    else:
        expected = stripped
    got = clean_frame(column.to_frame())["c"]
    pd.testing.assert_series_equal(got, expected)
