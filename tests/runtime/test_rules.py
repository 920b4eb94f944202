"""The value rules: how numbers, categories, booleans and dates are read, and what is said
when they cannot be."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tabship.data import Field, Schema, Target
from tabship.errors import OptionError, ValidationError
from tabship.runtime import validate_records
from tests.runtime.records import (
    DRUG,
    GOOD,
    MIXED,
    date_schema,
    drug_schema,
    insurance_schema,
    only_error,
)


def test_validate_numeric_strings_are_numbers():
    result = validate_records({**GOOD, "age": "19", "bmi": " 27.9 "}, insurance_schema())
    assert result.ok
    assert result.columns["age"] == [19.0] and result.columns["bmi"] == [27.9]


def test_validate_text_where_number_expected():
    error = only_error(validate_records({**GOOD, "age": "abc"}, insurance_schema()))
    assert error["loc"] == ["age"]
    assert error["type"] == "float_parsing"
    assert error["msg"] == "The 'age' field must be a number. Got 'abc' instead."
    assert error["input"] == "abc"


@pytest.mark.parametrize("value", [True, False, [19], {"v": 19}, np.bool_(True)])
def test_validate_wrong_type_for_number(value):
    error = only_error(validate_records({**GOOD, "age": value}, insurance_schema()))
    assert error["loc"] == ["age"] and error["type"] == "type_error"
    assert error["msg"].startswith("The 'age' field must be a number. Got ")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (-math.inf, "-Infinity"),
        ("NAN", "'NAN'"),  # "nan" and "NaN" are missing-value markers (below)
        ("inf", "'inf'"),
        ("-Infinity", "'-Infinity'"),
        (10**400, None),
    ],
)
def test_validate_non_finite_numbers(value, shown):
    error = only_error(validate_records({**GOOD, "bmi": value}, insurance_schema()))
    assert error["loc"] == ["bmi"] and error["type"] == "finite_number"
    assert "The 'bmi' field must be a finite number. Got " in error["msg"]
    if shown:
        assert error["msg"].endswith(f"Got {shown} instead.")
    json.dumps(error, allow_nan=False)  # what came is echoed without breaking JSON


@pytest.mark.parametrize("value", ["nan", "NaN", " PS ", "?", "NULL"])
def test_validate_marker_text_is_missing(value):
    """Text that training read as missing is missing here: a required field says so."""
    error = only_error(validate_records({**GOOD, "bmi": value}, insurance_schema()))
    assert error["loc"] == ["bmi"] and error["type"] == "missing"


@pytest.mark.parametrize("value", [1e39, -3.5e38, "1e300"])
def test_validate_numbers_beyond_float32_are_refused(value):
    """Found by schemathesis: tree models compute in float32, where these overflow."""
    error = only_error(validate_records({**GOOD, "bmi": value}, insurance_schema()))
    assert error["type"] == "finite_number" and error["loc"] == ["bmi"]


def test_validate_missing_required_field_absent_and_null():
    result = validate_records({"age": None, "sex": "male", "bmi": 30, "children": 1,
                               "region": "southeast"}, insurance_schema())  # fmt: skip
    assert [e["loc"] for e in result.errors] == [["age"], ["smoker"]]
    assert all(e["type"] == "missing" for e in result.errors)
    assert result.errors[0]["msg"] == "The 'age' field is required (a number). Got null instead."
    assert result.errors[1]["msg"] == (
        "The 'smoker' field is required (one of 'no', 'yes'). Got nothing instead."
    )
    assert result.errors[1]["expected"] == ["no", "yes"]
    with pytest.raises(ValidationError, match=r"'age' field is required.*\(and 1 more problems\)"):
        result.raise_if_invalid()


def test_validate_optional_fields_reach_the_pipeline_as_missing():
    """Missing optional values are left to the imputation fitted in training, and reported."""
    record = {"age": 30, "sex": "male", "smoker": "no", "bmi": None, "children": ""}
    result = validate_records(record, insurance_schema(optional=True))
    assert result.ok
    assert result.defaulted == [(0, "bmi"), (0, "children"), (0, "region")]
    assert math.isnan(result.columns["bmi"][0]) and math.isnan(result.columns["children"][0])
    assert result.frame["region"].isna().tolist() == [True]


def test_validate_out_of_range_number_warns_with_range():
    result = validate_records({**GOOD, "age": 95}, insurance_schema())
    assert result.ok and result.columns["age"] == [95.0]
    [warning] = result.warnings
    assert warning["loc"] == ["age"] and warning["type"] == "out_of_range"
    assert "(18 to 64)" in warning["msg"] and "'age'" in warning["msg"]
    assert warning["expected"] == {"minimum": 18, "maximum": 64}


def test_validate_categories_trimmed_and_case_folded():
    record = {"Age": "23", "Sex": " f ", "BP": "high", "Cholesterol": "Normal", "Na_to_K": 25}
    result = validate_records(record, drug_schema())
    assert result.ok and result.warnings == []
    assert result.columns == {"Age": [23.0], "Sex": ["F"], "BP": ["HIGH"],
                              "Cholesterol": ["NORMAL"], "Na_to_K": [25.0]}  # fmt: skip


def test_validate_integer_coded_categories_match_numbers():
    schema = Schema(
        [Field("origin", "categorical", categories=["1", "3", "2"], is_integer=True)],
        Target("mpg", "regression"),
    )
    for value in (1, 1.0, "1", " 1 ", np.int64(1), np.float64(1.0)):
        result = validate_records({"origin": value}, schema)
        assert result.columns["origin"] == ["1"] and result.warnings == [], value
    assert validate_records({"origin": 1.5}, schema).warnings[0]["input"] == 1.5


def test_validate_unseen_category_allowed_warns():
    result = validate_records({**DRUG, "BP": "very high"}, drug_schema())
    assert result.ok and result.columns["BP"] == ["very high"]
    [warning] = result.warnings
    assert warning["loc"] == ["BP"] and warning["type"] == "unknown_category"
    assert "'BP'" in warning["msg"] and "'very high'" in warning["msg"]


def test_validate_unseen_category_refused_lists_allowed_values():
    result = validate_records({**DRUG, "BP": "very high"}, drug_schema(),
                              allow_unknown_categories=False)  # fmt: skip
    error = only_error(result)
    assert error["loc"] == ["BP"] and error["type"] == "enum"
    assert error["msg"] == (
        "The 'BP' field must be one of 'HIGH', 'LOW', 'NORMAL'. Got 'very high' instead."
    )
    assert error["expected"] == ["HIGH", "LOW", "NORMAL"] and error["input"] == "very high"


def test_validate_unknown_category_policy_per_field():
    record = {**DRUG, "BP": "x", "Sex": "x"}
    result = validate_records(record, drug_schema(), allow_unknown_categories={"BP": False})
    assert [e["loc"] for e in result.errors] == [["BP"]]
    assert [w["loc"] for w in result.warnings] == [["Sex"]]
    # a validator built for the default policy accepts both
    assert validate_records(record, drug_schema()).ok


def test_validate_unknown_category_policy_names_fields_of_the_schema():
    with pytest.raises(OptionError, match="allow_unknown_categories"):
        validate_records(DRUG, drug_schema(), allow_unknown_categories={"bp": False})


def test_validate_long_category_lists_are_truncated():
    categories = [f"c{i}" for i in range(100)]
    schema = Schema([Field("code", "categorical", categories=categories)], Target("y", "binary"))
    error = only_error(validate_records({"code": "zz"}, schema, allow_unknown_categories=False))
    assert error["expected"] == categories[:50]
    assert "'c9', ... (100 values in all). Got 'zz' instead." in error["msg"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "yes"), (False, "no"), ("Y", "yes"), ("TRUE", "yes"), (0, "no"), ("No", "no")],
)
def test_validate_boolean_spellings(value, expected):
    result = validate_records({**GOOD, "smoker": value}, insurance_schema())
    assert result.ok and result.warnings == []
    assert result.columns["smoker"] == [expected]


@pytest.mark.parametrize("categories", [["False", "True"], ["0", "1"], ["f", "t"]])
def test_validate_boolean_fields_of_any_spelling_take_bools(categories):
    schema = Schema([Field("flag", "boolean", categories=categories)], Target("y", "binary"))
    assert validate_records({"flag": True}, schema).columns["flag"] == [categories[1]]
    assert validate_records({"flag": "no"}, schema).columns["flag"] == [categories[0]]


def test_validate_category_of_wrong_type():
    error = only_error(validate_records({**DRUG, "Sex": ["F"], "Age": 30}, drug_schema()))
    assert error["loc"] == ["Sex"] and error["type"] == "type_error"
    assert error["msg"] == "The 'Sex' field must be one of 'M', 'F'. Got a list instead."


def test_validate_nan_category_is_refused_even_when_unknowns_allowed():
    error = only_error(validate_records({**DRUG, "Sex": float("nan")}, drug_schema()))
    assert error["loc"] == ["Sex"] and error["type"] == "enum" and error["input"] == "NaN"


def test_validate_datetimes_parsed_to_naive_utc():
    values = ["2020-01-05", "2020-01-05T10:00:00+02:00", datetime(2021, 3, 4), "Jan 5 2020"]
    result = validate_records({"when": values, "x": [1, 2, 3, 4]}, date_schema())
    assert result.ok, result.errors
    assert result.columns["when"][:2] == ["2020-01-05T00:00:00", "2020-01-05T08:00:00"]
    assert pd.api.types.is_datetime64_any_dtype(result.frame["when"].dtype)
    assert result.frame["when"].iloc[2] == pd.Timestamp("2021-03-04")


def test_validate_missing_optional_datetime_stays_missing():
    schema = Schema(
        [Field("when", "datetime", required=False, default="2020-06-01T02:00:00+02:00")],
        Target("y", "regression"),
    )
    result = validate_records([{"when": None}, {"when": "2021-01-01"}], schema)
    assert result.columns["when"] == [None, "2021-01-01T00:00:00"]
    assert pd.isna(result.frame["when"].iloc[0])


@pytest.mark.parametrize("value", ["abc", "now", "2020-13-01", "3000-01-01", 20200105, True])
def test_validate_bad_datetimes(value):
    error = only_error(validate_records({"when": value, "x": 1}, date_schema()))
    assert error["loc"] == ["when"] and error["type"] in {"datetime_parsing", "type_error"}
    assert error["msg"].startswith("The 'when' field must be a date or time such as ")


@given(st.text(max_size=30))
def test_validate_never_crashes_on_any_date_text(text):
    result = validate_records({**GOOD, "when": text}, MIXED)
    assert result.ok or result.errors[0]["type"] == "datetime_parsing"
    assert len(result.frame) == len(result.valid_index)
