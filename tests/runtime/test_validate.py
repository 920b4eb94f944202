"""Record validation as a whole: results, the one-record fast path, and no input that breaks it."""

from __future__ import annotations

import json
import math

import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tabship.runtime import RecordValidator, validate_records
from tests.runtime.records import (
    GOOD,
    MIXED,
    drug_schema,
    insurance_schema,
)


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


def test_validate_defaults_reported_for_valid_records_only():
    records = [{"age": 30, "sex": "male", "smoker": "no"}, {"age": "x", "sex": "male"}]
    result = validate_records(records, insurance_schema(optional=True))
    assert result.defaulted == [(0, "bmi"), (0, "children"), (0, "region")]
    assert validate_records(records[1], insurance_schema(optional=True)).defaulted == []


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


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_validate_never_crashes_on_any_json_body(body):
    result = validate_records(body, drug_schema())
    json.dumps([result.errors, result.warnings], allow_nan=False)
    assert len(result.frame) == len(result.valid_index)
