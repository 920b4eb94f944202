"""Canonical category text: the one spelling a category has everywhere."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabship.data import (
    canonical_object_series,
    canonical_series,
    canonical_text,
    canonical_text_or_nan,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (np.float64(3.0), "3"),
        (np.int64(2), "2"),
        (2.5, "2.5"),
        (" drugY ", "drugY"),
        (True, "True"),
        (-0.0, "0"),
        (np.float64(2.0), "2"),
        (1.5, "1.5"),
        (">50K", ">50K"),
        (Fraction(3, 1), "3"),
        (Decimal("2.0"), "2"),
    ],
)
def test_canonical_text(value, text):
    assert canonical_text(value) == text


@given(st.integers(min_value=-(2**52), max_value=2**52))
def test_an_integer_has_one_spelling_whatever_its_type(number):
    spellings = {
        canonical_text(number),
        canonical_text(float(number)),
        canonical_text(np.int64(number)),
    }
    assert spellings == {str(number)}


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_canonical_text_integer_valued_numbers_have_no_decimal_point(number):
    expected = str(number)
    assert canonical_text_or_nan(number) == expected
    assert canonical_text_or_nan(float(number)) == expected
    assert canonical_text_or_nan(np.int64(number)) == expected
    assert canonical_text_or_nan(np.float64(number)) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_canonical_float_text_round_trips(number):
    assert float(canonical_text(number)) == number


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
def test_canonical_text_fractions_round_trip_exactly(number):
    text = canonical_text_or_nan(number)
    assert float(text) == number
    assert text == text.strip()


@given(st.text())
def test_canonical_text_or_nan_strips_text_and_blank_is_missing(text):
    result = canonical_text_or_nan(text)
    if text.strip():
        assert result == text.strip()
    else:
        assert isinstance(result, float) and math.isnan(result)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, "", "   "])
def test_canonical_text_or_nan_missing_stays_missing(missing):
    assert math.isnan(canonical_text_or_nan(missing))


def test_canonical_text_booleans_and_huge_integers():
    assert canonical_text_or_nan(True) == "True"
    assert canonical_text_or_nan(np.bool_(False)) == "False"
    assert canonical_text_or_nan(10**30) == str(10**30)


def test_canonical_series_keeps_missing_values():
    out = canonical_series(pd.Series([1.0, np.nan, 3.0], name="Origin"))
    assert out.name == "Origin"
    assert out.iloc[0] == "1" and out.iloc[2] == "3"
    assert out.isna().tolist() == [False, True, False]


@given(st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=20))
def test_canonical_object_series_of_str_dtype_matches_cellwise(values):
    series = pd.Series(values, dtype="str")
    fast = canonical_object_series(series)
    slow = pd.Series([canonical_text_or_nan(v) for v in series.astype(object)], dtype=object)
    assert fast.dtype == object
    pd.testing.assert_series_equal(fast.reset_index(drop=True), slow, check_names=False)


def test_canonical_object_series_blank_and_missing_become_nan():
    out = canonical_object_series(pd.Series([1.0, None, " a ", "  "], dtype=object, name="c"))
    assert out.name == "c" and out.dtype == object
    assert out.iloc[0] == "1" and out.iloc[2] == "a"
    assert math.isnan(out.iloc[1]) and math.isnan(out.iloc[3])


def test_canonical_text_needs_no_pandas():
    import subprocess
    import sys

    code = (
        "import sys\nfrom tabship.data import canonical_text, json_safe\n"
        "assert canonical_text(1.0) == '1'\nassert 'pandas' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
