"""Record validation against hand-built schemas shaped like insurance and drug200."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tabship.data import Field, Schema, Target, infer_schema, read_table
from tabship.errors import OptionError, ValidationError
from tabship.runtime._validate import RecordValidator, ValidationResult, validate_records
from tests.conftest import dataset_path


def insurance_schema(*, optional: bool = False) -> Schema:
    """Like infer_schema on insurance.csv; ``optional`` makes bmi/children/region optional."""
    return Schema(
        fields=[
            Field("age", "numeric", "int64", minimum=18, maximum=64, default=39, is_integer=True),
            Field("sex", "categorical", "str", categories=["male", "female"], default="male"),
            Field(
                "bmi", "numeric", minimum=15.96, maximum=53.13, default=30.4,
                required=not optional,
            ),
            Field(
                "children", "numeric", "int64", minimum=0, maximum=5, default=1,
                required=not optional, is_integer=True,
            ),
            Field("smoker", "boolean", "str", categories=["no", "yes"], default="no"),
            Field(
                "region", "categorical", "str",
                categories=["southeast", "northwest", "southwest", "northeast"],
                default="southeast", required=not optional,
            ),
        ],
        target=Target("charges", "regression", minimum=1121.87, maximum=63770.43),
    )  # fmt: skip


def drug_schema() -> Schema:
    return Schema(
        fields=[
            Field("Age", "numeric", "int64", minimum=15, maximum=74, default=45, is_integer=True),
            Field("Sex", "categorical", "str", categories=["M", "F"], default="M"),
            Field("BP", "categorical", "str", categories=["HIGH", "LOW", "NORMAL"], default="HIGH"),
            Field("Cholesterol", "categorical", "str", categories=["HIGH", "NORMAL"]),
            Field("Na_to_K", "numeric", minimum=6.269, maximum=38.247, default=13.9365),
        ],
        target=Target("Drug", "multiclass", classes=["DrugY", "drugA", "drugB", "drugC", "drugX"]),
    )


GOOD = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes",
        "region": "southwest"}  # fmt: skip
DRUG = {"Age": 23, "Sex": "F", "BP": "HIGH", "Cholesterol": "HIGH", "Na_to_K": 25.355}


def only_error(result: ValidationResult) -> dict:
    assert len(result.errors) == 1, result.errors
    assert result.valid_index == []
    return result.errors[0]


def test_validate_good_record_gives_typed_frame():
    result = validate_records(GOOD, insurance_schema())
    assert result.ok and result.errors == [] and result.warnings == []
    assert result.valid_index == [0]
    frame = result.frame
    assert list(frame.columns) == ["age", "sex", "bmi", "children", "smoker", "region"]
    assert frame["age"].dtype == "float64" and frame["bmi"].dtype == "float64"
    assert pd.api.types.is_string_dtype(frame["sex"].dtype)
    assert frame.iloc[0].to_dict() == {**GOOD, "age": 19.0, "children": 0.0}
    assert result.raise_if_invalid() is result


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
        ("nan", "'nan'"),
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


def test_validate_defaults_reported_for_valid_records_only():
    records = [{"age": 30, "sex": "male", "smoker": "no"}, {"age": "x", "sex": "male"}]
    result = validate_records(records, insurance_schema(optional=True))
    assert result.defaulted == [(0, "bmi"), (0, "children"), (0, "region")]
    assert validate_records(records[1], insurance_schema(optional=True)).defaulted == []


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
    # the cached validator for the default policy is a different one
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


def date_schema() -> Schema:
    return Schema(
        [Field("when", "datetime", default="2020-06-01T00:00:00"), Field("x", "numeric")],
        Target("y", "regression"),
    )


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


def test_validate_batch_mixing_good_and_bad_reports_per_index():
    bad = {**GOOD, "age": "abc", "bmi": float("nan")}
    records = [GOOD, bad, "not a record", {**GOOD, "sex": "MALE", "age": 40}]
    result = validate_records(records, insurance_schema())
    assert [e["loc"] for e in result.errors] == [[1, "age"], [1, "bmi"], [2]]
    assert result.errors[2]["type"] == "type_error"
    assert result.errors[2]["msg"] == (
        "Record 2 must be an object of field values. Got 'not a record' instead."
    )
    assert result.valid_index == [0, 3]
    assert result.frame["age"].tolist() == [19.0, 40.0]
    assert result.frame["sex"].tolist() == ["female", "male"]
    with pytest.raises(ValidationError, match=r"must be a number\. Got 'abc' instead"):
        result.raise_if_invalid()


def test_validate_columns_dict():
    columns = {key: [value, value] for key, value in GOOD.items()}
    columns["age"] = [19, "x"]
    result = validate_records(columns, insurance_schema())
    assert [e["loc"] for e in result.errors] == [[1, "age"]]
    assert result.valid_index == [0] and len(result.frame) == 1
    arrays = validate_records({k: np.array(v) for k, v in columns.items()}, insurance_schema())
    assert arrays.errors == result.errors


def test_validate_columns_of_unequal_length():
    error = only_error(validate_records({"age": [19, 40], "sex": ["male"]}, insurance_schema()))
    assert error["loc"] == [] and error["type"] == "column_lengths"
    assert error["msg"].startswith("Columns must all have the same length. Got 'age': 2, 'sex': 1.")


@pytest.mark.parametrize("data", [[], {}, (), pd.DataFrame(), {"age": [], "sex": []}])
def test_validate_empty_input(data):
    error = only_error(validate_records(data, insurance_schema()))
    assert error["loc"] == [] and error["type"] == "empty"
    assert " no " in error["msg"] and "Send one record" in error["msg"]
    with pytest.raises(ValidationError, match=r"holds? no"):
        validate_records(data, insurance_schema()).raise_if_invalid()


@pytest.mark.parametrize("data", ["age=19", 19, None, b"{}"])
def test_validate_input_of_wrong_shape(data):
    error = only_error(validate_records(data, insurance_schema()))
    assert error["loc"] == [] and error["type"] == "type_error"
    assert error["msg"].startswith("The input must be a record, a list of records or columns.")


def test_validate_too_many_records():
    error = only_error(validate_records([GOOD] * 3, insurance_schema(), max_records=2))
    assert error["type"] == "too_many_records" and error["input"] == 3
    assert error["msg"].startswith("The input holds 3 records, more than the limit of 2.")
    assert validate_records([GOOD] * 2, insurance_schema(), max_records=2).ok


def test_validate_unknown_fields_reported_unused_and_target_silent():
    schema = insurance_schema()
    schema.fields.append(Field("policy_id", "identifier", "str"))
    records = [{**GOOD, "Age": 3, "policy_id": "p1", "charges": 1.0}, {**GOOD, "zip": 1, "Age": 4}]
    result = validate_records(records, schema)
    assert result.ok and result.unknown_fields == ["Age", "zip"]
    assert "policy_id" not in result.frame.columns


def test_validate_dataframe_nan_means_missing():
    frame = pd.DataFrame([GOOD, {**GOOD, "bmi": np.nan, "region": None}, {**GOOD, "age": np.nan}])
    result = validate_records(frame, insurance_schema(optional=True))
    assert result.defaulted == [(1, "bmi"), (1, "region")]
    assert [(e["loc"], e["type"]) for e in result.errors] == [([2, "age"], "missing")]
    assert result.valid_index == [0, 1]
    infinite = validate_records(frame.assign(bmi=np.inf), insurance_schema())
    assert {e["type"] for e in infinite.errors} == {"finite_number", "missing"}


def test_validate_dataframe_with_duplicate_columns():
    frame = pd.DataFrame([[19, 20]], columns=["age", "age"])
    error = only_error(validate_records(frame, insurance_schema()))
    assert error["type"] == "duplicate_columns" and error["input"] == ["age"]


def test_validate_real_dataset_frame_equals_its_records():
    """The insurance table validated as a DataFrame and as records gives the same frame."""
    data = read_table(dataset_path("insurance.csv"))
    schema = infer_schema(data, "charges")
    as_frame = validate_records(data, schema)
    as_records = validate_records(data.to_dict("records"), schema)
    assert as_frame.ok and as_frame.warnings == [] and as_frame.unknown_fields == []
    assert len(as_frame.frame) == len(data)
    pd.testing.assert_frame_equal(as_frame.frame, as_records.frame)
    alone = validate_records(data.iloc[7].to_dict(), schema).frame
    pd.testing.assert_frame_equal(alone, as_frame.frame.iloc[[7]].reset_index(drop=True))


def test_validate_one_returns_plain_values():
    validator = RecordValidator(insurance_schema(optional=True))
    check = validator.validate_one({"age": "19", "sex": "Female", "smoker": True, "extra": 1})
    values = {k: v for k, v in check.values.items() if k not in ("bmi", "children")}
    assert values == {"age": 19.0, "sex": "female", "smoker": "yes", "region": None}
    assert math.isnan(check.values["bmi"]) and math.isnan(check.values["children"])
    assert check.errors == [] and check.unknown_fields == ["extra"]
    assert check.defaulted == [(0, "bmi"), (0, "children"), (0, "region")]
    bad = validator.validate_one({"age": "x", "sex": "male", "smoker": "no"})
    assert [e["loc"] for e in bad.errors] == [["age"]]
    assert validator.validate_one([]).errors[0]["type"] == "empty"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
FIELDS = [*GOOD, "when", "unknown"]


def mixed_schema() -> Schema:
    """Insurance plus an optional datetime field: every rule kind in one schema."""
    schema = insurance_schema()
    schema.fields.append(Field("when", "datetime", required=False, default="2020-06-01"))
    return schema


MIXED = mixed_schema()


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values), st.booleans())
def test_validate_never_crashes_on_any_json_value(record, allow):
    """Issue 4, bad input: any JSON value in any field yields errors, never an exception.

    The record checked alone and inside a batch must agree (same problems, same row).
    """
    merged = {**GOOD, **record}
    # A dict whose every value is a list is the columns form by design, not one record.
    assume(not all(isinstance(v, list) for v in merged.values()))
    result = validate_records(merged, MIXED, allow_unknown_categories=allow)
    json.dumps([result.errors, result.warnings], allow_nan=False)
    for item in result.errors + result.warnings:
        assert set(item) == {"loc", "msg", "type", "input", "expected"}
        assert item["msg"].startswith("The ")
    batch = validate_records([GOOD, merged], MIXED, allow_unknown_categories=allow)
    assert [e["loc"][1:] for e in batch.errors] == [e["loc"] for e in result.errors]
    assert batch.valid_index == ([0, 1] if result.ok else [0])
    if result.ok:
        alone = result.frame
        pd.testing.assert_frame_equal(batch.frame.iloc[[1]].reset_index(drop=True), alone)


@given(st.text(max_size=30))
def test_validate_never_crashes_on_any_date_text(text):
    result = validate_records({**GOOD, "when": text}, MIXED)
    assert result.ok or result.errors[0]["type"] == "datetime_parsing"
    assert len(result.frame) == len(result.valid_index)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_validate_never_crashes_on_any_json_body(body):
    result = validate_records(body, drug_schema())
    json.dumps([result.errors, result.warnings], allow_nan=False)
    assert len(result.frame) == len(result.valid_index)


@pytest.mark.parametrize("value", [1e39, -3.5e38, "1e300"])
def test_validate_numbers_beyond_float32_are_refused(value):
    """Found by schemathesis: tree models compute in float32, where these overflow."""
    error = only_error(validate_records({**GOOD, "bmi": value}, insurance_schema()))
    assert error["type"] == "finite_number" and error["loc"] == ["bmi"]
