"""Drift references in the training summary (v2), derived from a v1 summary, and the
one bin rule that serving workers and the monitor share."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabship.data import (
    MISSING_BIN,
    DriftReference,
    drift_bin_indices,
    drift_references,
    infer_schema,
    summarize,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def insurance(read_dataset) -> pd.DataFrame:
    return read_dataset("insurance.csv")


def numeric(edges: list[float], counts: list[int] | None = None) -> DriftReference:
    return {
        "kind": "numeric",
        "edges": edges,
        "categories": [],
        "counts": counts or [0] * (len(edges) + 1),
        "missing": 0,
    }


def categorical(categories: list[str]) -> DriftReference:
    return {
        "kind": "categorical",
        "edges": [],
        "categories": categories,
        "counts": [1] * (len(categories) + 1),
        "missing": 0,
    }


def test_numeric_bins_follow_searchsorted_right_and_missing_is_minus_one():
    ref = numeric([1.0, 2.0, 3.0])
    values = [0.5, 1.0, 1.5, 2.0, 3.0, 9.0, None, math.nan, math.inf, "", "abc", "2.5", True]
    bins = drift_bin_indices(ref, values)
    assert bins.dtype == np.int64
    assert bins.tolist() == [0, 1, 1, 2, 3, 3, -1, -1, -1, -1, -1, 2, 1]
    assert MISSING_BIN == -1


def test_numeric_bins_of_an_array_and_of_nothing():
    ref = numeric([10.0])
    assert drift_bin_indices(ref, np.array([3, 10, 11])).tolist() == [0, 1, 1]
    assert drift_bin_indices(ref, np.array([np.nan, 12.5])).tolist() == [-1, 1]
    assert drift_bin_indices(ref, []).tolist() == []
    assert drift_bin_indices(numeric([]), [5.0, None]).tolist() == [0, -1]


def test_categorical_bins_use_canonical_text_and_an_unseen_bin():
    ref = categorical(["no", "yes", "1"])
    values = ["yes", " no ", 1, 1.0, np.int64(1), "maybe", 2, None, math.nan, "  "]
    assert drift_bin_indices(ref, values).tolist() == [1, 0, 2, 2, 2, 3, 3, -1, -1, -1]


def test_summary_v2_has_decile_and_category_references(insurance):
    schema = infer_schema(insurance, "charges")
    summary = summarize(insurance, schema)
    json.dumps(summary, allow_nan=False)
    drift = summary["drift"]
    assert set(drift["features"]) == {"age", "sex", "bmi", "children", "smoker", "region"}
    assert "prediction" not in drift
    age = drift["features"]["age"]
    assert age["kind"] == "numeric" and age["categories"] == []
    assert age["edges"] == sorted(set(age["edges"])) and 1 <= len(age["edges"]) <= 9
    assert np.allclose(age["edges"], np.unique(np.percentile(insurance["age"], range(10, 100, 10))))
    assert len(age["counts"]) == len(age["edges"]) + 1 and sum(age["counts"]) == len(insurance)
    smoker = drift["features"]["smoker"]
    assert smoker["kind"] == "categorical" and smoker["edges"] == []
    assert smoker["categories"] == ["no", "yes"]
    assert smoker["counts"] == [1064, 274, 0]
    assert smoker["missing"] == 0


@pytest.mark.parametrize("name", ["age", "bmi", "children", "sex", "smoker", "region"])
def test_binning_the_training_column_reproduces_its_reference(insurance, name):
    summary = summarize(insurance, infer_schema(insurance, "charges"))
    ref = summary["drift"]["features"][name]
    bins = drift_bin_indices(ref, insurance[name].tolist())
    assert np.bincount(bins, minlength=len(ref["counts"])).tolist() == ref["counts"]


def test_missing_values_are_counted_apart(read_dataset):
    frame = read_dataset("auto-mpg.csv")
    ref = summarize(frame, infer_schema(frame, "MPG"))["drift"]["features"]["Horsepower"]
    assert ref["missing"] == 6 and sum(ref["counts"]) == 392
    bins = drift_bin_indices(ref, frame["Horsepower"].tolist())
    assert int((bins == MISSING_BIN).sum()) == 6


def test_many_categories_keep_the_top_50_and_an_other_bin():
    frame = pd.DataFrame(
        {"city": [f"c{i % 80}" for i in range(800)] + ["c0"] * 50, "y": range(850)}
    )
    ref = summarize(frame, infer_schema(frame, "y", task="regression"))["drift"]["features"]["city"]
    assert len(ref["categories"]) == 50 and ref["categories"][0] == "c0"
    assert len(ref["counts"]) == 51 and ref["counts"][-1] == 300 and sum(ref["counts"]) == 850


def test_prediction_reference_for_regression_and_classification(insurance, read_dataset):
    schema = infer_schema(insurance, "charges")
    predictions = insurance["charges"].to_numpy() * 0.9
    ref = summarize(insurance, schema, predictions=predictions)["drift"]["prediction"]
    assert ref["kind"] == "numeric" and len(ref["edges"]) == 9
    assert sum(ref["counts"]) == len(insurance)
    drugs = read_dataset("drug200.csv")
    predicted = drugs["Drug"].to_numpy()
    ref = summarize(drugs, infer_schema(drugs, "Drug"), predictions=predicted)["drift"][
        "prediction"
    ]
    assert ref["kind"] == "categorical"
    assert set(ref["categories"]) == set(drugs["Drug"].unique())
    assert ref["counts"][-1] == 0 and sum(ref["counts"]) == 200


def test_drift_references_of_a_v2_summary_are_the_stored_ones(insurance):
    summary = summarize(insurance, infer_schema(insurance, "charges"), predictions=[1.0] * 1338)
    refs = drift_references(summary)
    assert refs["features"] == summary["drift"]["features"]
    assert refs["prediction"] == summary["drift"]["prediction"]
    assert not refs.get("approximate", False)


def test_drift_references_derived_from_a_v1_summary(insurance):
    """``summary_v1_insurance.json`` was written by the version 1 summarize (git history);
    never regenerate it."""
    summary = json.loads((FIXTURES / "summary_v1_insurance.json").read_text())
    assert "drift" not in summary
    refs = drift_references(summary)
    assert refs["approximate"] is True
    age = refs["features"]["age"]
    histogram = summary["features"]["age"]["histogram"]
    assert age["edges"] == histogram["edges"][1:-1] and age["counts"] == histogram["counts"]
    bins = drift_bin_indices(age, insurance["age"].tolist())
    assert np.abs(np.bincount(bins, minlength=20) - age["counts"]).max() <= 1
    region = refs["features"]["region"]
    assert region["categories"] == list(summary["features"]["region"]["counts"])
    assert region["counts"][-1] == 0
    prediction = refs["prediction"]
    assert prediction["kind"] == "numeric" and len(prediction["counts"]) == 30


def test_drift_references_of_an_empty_or_dated_v1_summary():
    assert drift_references({}) == {"features": {}, "approximate": True}
    dated = {"features": {"when": {"kind": "datetime", "count": 1, "missing": 0}}}
    assert drift_references(dated)["features"] == {}
    empty = {"features": {"x": {"kind": "numeric", "count": 0, "missing": 4}}}
    assert drift_references(empty)["features"]["x"] == {
        "kind": "numeric",
        "edges": [],
        "categories": [],
        "counts": [0],
        "missing": 4,
    }


def test_the_bin_rule_does_not_import_pandas():
    code = (
        "import sys; from tabship.data import drift_bin_indices, drift_references; "
        "drift_bin_indices({'kind': 'numeric', 'edges': [1.0], 'categories': [], "
        "'counts': [1, 1], 'missing': 0}, [0.5]); drift_references({}); "
        "assert 'pandas' not in sys.modules, 'pandas was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
