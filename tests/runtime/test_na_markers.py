"""Missing-value markers at prediction: the text training read as missing is missing here.

college_scorecard writes "PS" (privacy-suppressed) for a number it withholds. Training
reads it as missing and records the markers in the schema; a raw row of that file sent
for prediction must score as the same row with the markers blanked, not be refused.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from tabship import artifact, runtime
from tabship.data import infer_schema, na_markers, prepare_target, read_table
from tabship.errors import TabshipWarning, ValidationError
from tabship.features import build_preprocessor
from tests.conftest import dataset_path

TARGET = "EARN_MDN_5YR"
ROWS = 400


@pytest.fixture(scope="module")
def college(tmp_path_factory) -> runtime.Model:
    frame = read_table(dataset_path("college_scorecard.csv"), na_values=["n/a"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TabshipWarning)
        schema = infer_schema(frame, TARGET, drop=["UNITID", "INSTNM"], na_values=["n/a"])
    X, y, _ = prepare_target(frame, TARGET, schema.task)
    pipeline = make_pipeline(build_preprocessor(schema, "linear"), Ridge()).fit(X, y)
    path = artifact.save(
        Path(tmp_path_factory.mktemp("models")) / "college",
        pipeline=pipeline,
        schema=schema,
        metrics={},
        summary={},
    )
    return runtime.load(path)


def raw_rows() -> pd.DataFrame:
    """The file as pandas reads it: "PS" stays text, so the earnings columns are text."""
    return pd.read_csv(dataset_path("college_scorecard.csv"), nrows=ROWS)


def test_schema_records_the_markers_training_used(college):
    assert college.schema.na_values == na_markers(["n/a"])
    assert {"PS", "NULL", "?", "n/a"} <= set(college.schema.na_values)


def test_raw_file_predicts_as_with_the_markers_blanked(college):
    raw = raw_rows()
    assert (raw["EARN_MDN_1YR"] == "PS").any()  # the case the issue reports
    blanked = raw.replace(college.schema.na_values, np.nan)
    assert not (blanked == "PS").any().any()
    predicted = college.predict(raw)
    assert len(predicted) == ROWS
    np.testing.assert_array_equal(predicted, college.predict(blanked))


def test_markers_in_records_are_missing_and_reported_as_defaulted(college):
    row = {k: v for k, v in raw_rows().iloc[0].to_dict().items() if k != TARGET}
    with_markers = {**row, "EARN_MDN_1YR": "PS", "SAT_AVG": " NULL ", "STABBR": "?",
                    "TUITIONFEE_IN": "n/a"}  # fmt: skip
    as_null = {**row, "EARN_MDN_1YR": None, "SAT_AVG": None, "STABBR": None,
               "TUITIONFEE_IN": None}  # fmt: skip
    marked, nulled = college.score(with_markers), college.score(as_null)
    assert marked.predictions == nulled.predictions
    assert sorted(marked.defaulted) == sorted(nulled.defaulted)
    assert {name for _, name in marked.defaulted} >= {"EARN_MDN_1YR", "SAT_AVG", "STABBR"}
    # A list of records and columns read the markers alike.
    assert college.score([with_markers] * 2).predictions == nulled.predictions * 2
    columns = {k: [v] for k, v in with_markers.items()}
    assert college.score(columns).predictions == nulled.predictions


def test_other_text_in_a_number_field_is_still_refused(college):
    row = {k: v for k, v in raw_rows().iloc[0].to_dict().items() if k != TARGET}
    with pytest.raises(ValidationError, match="'EARN_MDN_1YR' field must be a number"):
        college.predict({**row, "EARN_MDN_1YR": "suppressed"})
