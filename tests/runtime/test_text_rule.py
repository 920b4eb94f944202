"""Validation of free-text fields: any text up to 10,000 characters, missing if optional."""

from __future__ import annotations

import pytest

from tabship.data import MAX_TEXT_LENGTH, Field, Schema, Target
from tabship.runtime import validate_records
from tests.runtime.records import only_error


def text_schema() -> Schema:
    fields = [
        Field("name", "text", dtype="object", required=True),
        Field("ticket", "text", dtype="object", required=False, missing_fraction=0.1),
    ]
    return Schema(fields=fields, target=Target("survived", "binary", classes=["no", "yes"]))


def test_any_text_is_accepted_trimmed():
    records = [
        {"name": "  Braund, Mr. Owen Harris ", "ticket": "A/5 21171"},
        {"name": "x" * MAX_TEXT_LENGTH, "ticket": "ünïcode ✓ <b>"},
        {"name": 113803, "ticket": 2.0},
    ]
    result = validate_records(records, text_schema())
    assert result.ok, result.errors
    assert result.columns["name"] == ["Braund, Mr. Owen Harris", "x" * MAX_TEXT_LENGTH, "113803"]
    assert result.columns["ticket"] == ["A/5 21171", "ünïcode ✓ <b>", "2"]


def test_an_optional_text_may_be_missing_a_required_one_not():
    result = validate_records([{"name": "Mr A"}, {"name": "Mr B", "ticket": " "}], text_schema())
    assert result.ok and result.columns["ticket"] == [None, None]
    error = only_error(validate_records({"name": "", "ticket": "PC 1"}, text_schema()))
    assert error["loc"] == ["name"] and error["type"] == "missing"


def test_text_beyond_the_limit_is_refused_with_its_length():
    error = only_error(validate_records({"name": "y" * (MAX_TEXT_LENGTH + 5)}, text_schema()))
    assert error["loc"] == ["name"] and error["type"] == "string_too_long"
    assert error["msg"].startswith(
        "The 'name' field must be at most 10,000 characters long (got 10,005). Got 'yyy"
    )


@pytest.mark.parametrize("value", [True, {"a": "b"}, float("inf")])
def test_what_is_not_text_or_a_number_is_refused(value):
    error = only_error(validate_records({"name": value}, text_schema()))
    assert error["loc"] == ["name"] and error["type"] == "type_error"
    assert error["msg"].startswith("The 'name' field must be text. Got ")
