"""Input shapes: one record, a list of records, columns and a DataFrame, and the input that
is none of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabship.data import Field
from tabship.errors import ValidationError
from tabship.runtime import validate_records
from tests.runtime.records import (
    GOOD,
    insurance_schema,
    only_error,
)


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


def test_validate_dataframe_with_duplicate_columns():
    frame = pd.DataFrame([[19, 20]], columns=["age", "age"])
    error = only_error(validate_records(frame, insurance_schema()))
    assert error["type"] == "duplicate_columns" and error["input"] == ["age"]
