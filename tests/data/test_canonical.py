from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabship.data import canonical_series, canonical_text


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


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_canonical_float_text_round_trips(number):
    assert float(canonical_text(number)) == number


def test_canonical_series_keeps_missing_values():
    out = canonical_series(pd.Series([1.0, np.nan, 3.0], name="Origin"))
    assert out.name == "Origin"
    assert out.iloc[0] == "1" and out.iloc[2] == "3"
    assert out.isna().tolist() == [False, True, False]
