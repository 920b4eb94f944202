"""SchemaCoercer: any raw frame to the schema's columns and dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from tabship.errors import ColumnNotFoundError, DataError, DuplicateColumnError
from tabship.features import SchemaCoercer

FIELDS = (("age", "numeric"), ("region", "categorical"), ("smoker", "boolean"))


def test_coercer_returns_used_fields_in_schema_order_and_ignores_extras():
    raw = pd.DataFrame({"smoker": ["yes"], "extra": [1], "region": ["north"], "age": ["19"]})
    out = SchemaCoercer(fields=FIELDS).fit_transform(raw)
    assert list(out.columns) == ["age", "region", "smoker"]
    assert out.dtypes.astype(str).tolist() == ["float64", "object", "object"]
    assert out.iloc[0].tolist() == [19.0, "north", "yes"]


def test_coercer_parses_numeric_text_and_turns_junk_and_infinity_into_nan():
    raw = pd.DataFrame({"x": [" 1.5 ", "abc", None, "inf", "-3", "1e3"]}, dtype="str")
    out = SchemaCoercer(fields=(("x", "numeric"),)).fit_transform(raw)
    np.testing.assert_array_equal(out["x"], [1.5, np.nan, np.nan, np.nan, -3.0, 1000.0])


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1, 2, None], dtype="Int64"),
        pd.Series([1.0, 2.0, np.nan]),
        pd.Series(["1", " 2 ", None], dtype="str"),
        pd.Series([1, "2", np.nan], dtype=object),
    ],
    ids=["Int64", "float", "str", "object"],
)
def test_coercer_gives_numbers_as_categories_their_canonical_text(column):
    out = SchemaCoercer(fields=(("Origin", "categorical"),)).fit_transform(
        pd.DataFrame({"Origin": column})
    )
    assert out["Origin"].tolist()[:2] == ["1", "2"]
    assert pd.isna(out["Origin"].iloc[2])
    assert out["Origin"].dtype == object


def test_coercer_turns_numeric_columns_of_any_dtype_into_float64():
    raw = pd.DataFrame({"i": [1, 2], "n": pd.array([1, None], dtype="Int64"), "b": [True, False]})
    fields = (("i", "numeric"), ("n", "numeric"), ("b", "numeric"))
    out = SchemaCoercer(fields=fields).fit_transform(raw)
    assert (out.dtypes == "float64").all()
    np.testing.assert_array_equal(out.to_numpy(), [[1.0, 1.0, 1.0], [2.0, np.nan, 0.0]])


def test_coercer_parses_datetimes_and_drops_the_timezone():
    raw = pd.DataFrame(
        {
            "when": [" 2020-01-02 ", "not a date", None, "2021-03-04 10:30"],
            "tz": pd.to_datetime(["2020-01-01T12:00Z"] * 4),
        }
    )
    out = SchemaCoercer(fields=(("when", "datetime"), ("tz", "datetime"))).fit_transform(raw)
    assert pd.api.types.is_datetime64_dtype(out["when"].dtype)
    assert out["when"].isna().tolist() == [False, True, True, False]
    assert out["when"].iloc[3] == pd.Timestamp("2021-03-04 10:30")
    assert out["tz"].dt.tz is None
    assert out["tz"].iloc[0] == pd.Timestamp("2020-01-01 12:00")


def test_coercer_keeps_the_index_and_works_on_one_row(insurance):
    X, _, schema = insurance
    coercer = SchemaCoercer(fields=tuple((f.name, f.role) for f in schema.feature_fields))
    coercer.fit(X)
    one = coercer.transform(X.iloc[[7]])
    pd.testing.assert_frame_equal(one, coercer.transform(X).iloc[[7]])
    assert list(coercer.feature_names_in_) == [f.name for f in schema.feature_fields]


def test_coercer_names_a_missing_column():
    coercer = SchemaCoercer(fields=FIELDS).fit(
        pd.DataFrame({"age": [1], "region": ["a"], "smoker": ["no"]})
    )
    with pytest.raises(ColumnNotFoundError, match="input field 'region'.*Did you mean 'Region'"):
        coercer.transform(pd.DataFrame({"age": [1], "Region": ["a"], "smoker": ["no"]}))


def test_coercer_rejects_malformed_fields():
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(DataError, match=r"\(name, role\) pairs.*Got \('a', 'identifier'\)"):
        SchemaCoercer(fields=(("a", "identifier"),)).fit(frame)
    with pytest.raises(DuplicateColumnError, match="duplicate column names: 'a'"):
        SchemaCoercer(fields=(("a", "numeric"), ("a", "categorical"))).fit(frame)


def test_coercer_params_are_plain_data_and_clone():
    coercer = SchemaCoercer(fields=FIELDS)
    assert clone(coercer).get_params() == {"fields": FIELDS}


def test_coercer_without_fields_infers_roles_from_dtypes():
    frame = pd.DataFrame({"n": [1.5], "c": ["x"], "d": pd.to_datetime(["2020-01-01"])})
    coercer = SchemaCoercer().fit(frame)
    assert coercer.fields_ == [("n", "numeric"), ("c", "categorical"), ("d", "datetime")]
