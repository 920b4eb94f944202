"""Column checks: a DataFrame column checked as a whole gives what its cells give one by one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tabship.data import infer_schema, read_table
from tabship.runtime import RecordValidator, validate_records
from tabship.runtime._columns import check_cells, check_column
from tabship.runtime._rules import show
from tests.conftest import dataset_path
from tests.runtime.records import (
    GOOD,
    insurance_schema,
)


def test_validate_dataframe_nan_means_missing():
    frame = pd.DataFrame([GOOD, {**GOOD, "bmi": np.nan, "region": None}, {**GOOD, "age": np.nan}])
    result = validate_records(frame, insurance_schema(optional=True))
    assert result.defaulted == [(1, "bmi"), (1, "region")]
    assert [(e["loc"], e["type"]) for e in result.errors] == [([2, "age"], "missing")]
    assert result.valid_index == [0, 1]
    infinite = validate_records(frame.assign(bmi=np.inf), insurance_schema())
    assert {e["type"] for e in infinite.errors} == {"finite_number", "missing"}


def test_defaulted_cells_of_valid_rows_are_listed_by_row_then_field_name():
    """Missing optional cells scattered over a table, some rows invalid: ``defaulted``
    holds exactly the valid rows' missing cells, sorted as ``(row, field)`` tuples."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame([GOOD] * 300)
    for name in ("region", "bmi", "children"):  # not in name order
        frame.loc[rng.random(300) < 0.3, name] = None
    invalid = rng.random(300) < 0.1
    frame.loc[invalid, "age"] = None  # required: the row is invalid
    result = validate_records(frame, insurance_schema(optional=True))
    expected = sorted(
        (i, name)
        for i in range(300)
        if not invalid[i]
        for name in ("region", "bmi", "children")
        if pd.isna(frame.at[i, name])
    )
    assert len(expected) > 100
    assert result.defaulted == expected
    assert result.valid_index == [i for i in range(300) if not invalid[i]]


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


COLUMNS = {
    "age": [19.0, np.nan, np.inf, 95.0, -1e39, 40.0],
    "sex": ["male", None, " FEMALE ", "x", "male", np.nan],
    "smoker": [True, False, "yes", 1, "maybe", None],
    "bmi": [27.9, "30", "abc", None, 1.5, np.float64(33.0)],
    "children": [1, 2, 3, 2, 1, 9],
    "region": ["north", "southwest", "southwest", " x ", "northeast", "southwest"],
}


def _same(a: object, b: object) -> bool:
    return a == b or all(isinstance(v, float) and math.isnan(v) for v in (a, b))


@pytest.mark.parametrize("allow", [True, False])
@pytest.mark.parametrize("name", list(COLUMNS))
def test_a_whole_column_checks_as_its_cells_do(name, allow):
    """The per-distinct-value and numeric-only ways agree with the cell-by-cell loop."""
    column = pd.Series(COLUMNS[name])
    validator = RecordValidator(insurance_schema(optional=True), allow_unknown_categories=allow)
    [rule] = [r for r in validator.rules if r.name == name]
    whole = check_column(rule, column, True, {})
    cells = check_cells(rule, column.tolist(), True, {})

    def found(check):
        return sorted((f.row, f.problem, f.invalid, show(f.raw)) for f in check.findings)

    assert found(whole) == found(cells)
    assert sorted(whole.filled) == sorted(cells.filled)
    invalid = {f.row for f in cells.findings if f.invalid}
    for i in set(range(len(column))) - invalid:
        assert _same(whole.values[i], cells.values[i]), (i, whole.values[i], cells.values[i])
