"""json_safe: the one conversion to JSON-ready values, in each of the ways its callers use it."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabship.data import is_column, json_safe


@pytest.mark.parametrize(
    ("nonfinite", "nan", "inf", "minus_inf"),
    [("text", "NaN", "Infinity", "-Infinity"), ("null", None, None, None)],
)
def test_non_finite_floats_become_text_or_null(nonfinite, nan, inf, minus_inf):
    values = [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")]
    assert json_safe(values, nonfinite=nonfinite) == [nan, inf, minus_inf, nan, inf]


def test_keep_leaves_non_finite_floats_for_python_code():
    out = json_safe({"score": np.float64("nan"), "best": np.float32(0.5)}, nonfinite="keep")
    assert math.isnan(out["score"]) and out["best"] == 0.5
    assert type(out["score"]) is float and type(out["best"]) is float


def test_numpy_numbers_arrays_and_tuples_become_plain():
    value = {1: (np.int64(3), np.bool_(True)), "a": np.arange(3), "s": pd.Series([1.5, 2.0])}
    out = json_safe(value)
    assert out == {"1": [3, True], "a": [0, 1, 2], "s": [1.5, 2.0]}
    assert type(out["1"][0]) is int and type(out["1"][1]) is bool
    assert json.dumps(out, allow_nan=False)


def test_what_json_cannot_hold_goes_to_other():
    when = datetime(2021, 3, 4)
    assert json_safe([when, {1, 2}]) == [str(when), "{1, 2}"]
    assert json_safe(np.str_("a"), other=lambda v: "other") == "other"
    assert json_safe(b"x", other=lambda v: repr(v)) == "b'x'"


def test_depth_and_length_bound_an_echo_of_untrusted_input():
    nested = {"a": {"b": {"c": {"d": 1}}}}
    assert json_safe(nested, max_depth=3, other=lambda v: "deep") == {"a": {"b": {"c": "deep"}}}
    assert json_safe(list(range(500)), max_items=100) == list(range(100))


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
        max_leaves=10,
    )
)
def test_text_and_null_give_strict_json(value):
    json.dumps(json_safe(value), allow_nan=False)
    json.dumps(json_safe(value, nonfinite="null"), allow_nan=False)


def test_is_column():
    assert is_column([1]) and is_column((1,)) and is_column(np.zeros(2))
    assert is_column(pd.Series([1])) and not is_column("ab") and not is_column({"a": [1]})
