from __future__ import annotations

import json

import pandas as pd
import pytest

from tabship.data import infer_schema, summarize


def test_regression_summary(read_dataset):
    frame = read_dataset("auto-mpg.csv")
    summary = summarize(frame, infer_schema(frame, "MPG"))
    json.dumps(summary, allow_nan=False)
    target = summary["target"]
    assert target["kind"] == "numeric"
    assert len(target["histogram"]["edges"]) == 31
    assert sum(target["histogram"]["counts"]) == 398
    assert list(target["quantiles"]) == [
        "p1",
        "p5",
        "p10",
        "p25",
        "p50",
        "p75",
        "p90",
        "p95",
        "p99",
    ]
    assert target["quantiles"]["p50"] == pytest.approx(frame["MPG"].median())
    horsepower = summary["features"]["Horsepower"]
    assert (horsepower["count"], horsepower["missing"]) == (392, 6)
    assert len(horsepower["histogram"]["counts"]) == 20
    assert summary["features"]["Origin"]["counts"] == {"1": 249, "3": 79, "2": 70}
    car = summary["features"]["Car Name"]  # free text: its most frequent values
    assert car["kind"] == "categorical" and car["counts"]["ford pinto"] == 6


def test_classification_summary(read_dataset):
    frame = read_dataset("drug200.csv")
    summary = summarize(frame, infer_schema(frame, "Drug"))
    assert summary["target"]["counts"] == {
        "drugY": 91, "drugX": 54, "drugA": 23, "drugB": 16, "drugC": 16,
    }  # fmt: skip
    assert summary["n_rows"] == 200


def test_many_categories_are_cut_to_the_top_50(read_dataset):
    frame = read_dataset("college_scorecard.csv")
    with pytest.warns(match="Dropping column"):
        schema = infer_schema(frame, "EARN_MDN_5YR")
    cip = summarize(frame, schema)["features"]["CIPDESC"]
    assert len(cip["counts"]) == 50
    assert sum(cip["counts"].values()) + cip["other"] == cip["count"] == 24783


def test_datetime_feature_summary():
    frame = pd.DataFrame(
        {"day": pd.date_range("2021-01-01", periods=80).astype(str), "y": [0.5, 1.5] * 40}
    )
    summary = summarize(frame, infer_schema(frame, "y", task="regression"))
    assert summary["features"]["day"] == {
        "kind": "datetime", "count": 80, "missing": 0,
        "minimum": "2021-01-01T00:00:00", "maximum": "2021-03-21T00:00:00",
    }  # fmt: skip
