"""Canonical category text: the one spelling a category has everywhere."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabship.features import canonical_text
from tabship.features._frame import canonical_series


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_canonical_text_integer_valued_numbers_have_no_decimal_point(number):
    expected = str(number)
    assert canonical_text(number) == expected
    assert canonical_text(float(number)) == expected
    assert canonical_text(np.int64(number)) == expected
    assert canonical_text(np.float64(number)) == expected


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
def test_canonical_text_fractions_round_trip_exactly(number):
    text = canonical_text(number)
    assert float(text) == number
    assert text == text.strip()


@given(st.text())
def test_canonical_text_strips_text_and_blank_is_missing(text):
    result = canonical_text(text)
    if text.strip():
        assert result == text.strip()
    else:
        assert isinstance(result, float) and math.isnan(result)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, "", "   "])
def test_canonical_text_missing_stays_missing(missing):
    assert math.isnan(canonical_text(missing))


def test_canonical_text_booleans_and_huge_integers():
    assert canonical_text(True) == "True"
    assert canonical_text(np.bool_(False)) == "False"
    assert canonical_text(10**30) == str(10**30)


@given(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=20))
def test_canonical_series_of_str_dtype_matches_cellwise(values):
    series = pd.Series(values, dtype="str")
    fast = canonical_series(series)
    slow = pd.Series([canonical_text(v) for v in series.astype(object)], dtype=object)
    assert fast.dtype == object
    pd.testing.assert_series_equal(fast.reset_index(drop=True), slow, check_names=False)
