"""Drift on real data: PSI per feature and for the prediction, from records logged by the
real writer into a real SQLite log (the issue's test: ages +25 and every record a smoker
alert on age and smoker, not on region; an unshifted sample is ok everywhere)."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest

from tabship import runtime
from tabship.data import DriftReference
from tabship.monitor import MonitoredModel, Thresholds, open_log, psi
from tabship.monitor._drift import feature_drift, worst_status
from tabship.monitor._reference import bin_labels
from tests.monitor._logged import log_predictions, shifted


@pytest.fixture(scope="module")
def model(insurance_run):
    return runtime.load(insurance_run[1], lean=True)


@pytest.fixture(scope="module")
def insurance(model) -> pd.DataFrame:
    from tabship.data import read_table
    from tests.conftest import dataset_path

    return read_table(dataset_path("insurance.csv"))


@pytest.fixture
def log(tmp_path):
    opened = open_log(f"sqlite:///{tmp_path / 'log.db'}")
    yield opened
    opened.close()


def report_of(log, model, **window):
    watched = MonitoredModel.from_model(model)
    return watched.report(log, **window)


def test_psi_of_equal_distributions_is_zero_and_grows_with_the_shift():
    assert psi([10, 20, 30], [1, 2, 3]) == 0.0
    expected = (0.5 - 0.25) * math.log(0.5 / 0.25) + (0.5 - 0.75) * math.log(0.5 / 0.75)
    assert psi([25, 75], [50, 50]) == pytest.approx(expected)
    floored = (1.0 - 1e-4) * math.log(1.0 / 1e-4) + (1e-4 - 1.0) * math.log(1e-4 / 1.0)
    assert psi([0, 10], [10, 0]) == pytest.approx(floored)
    assert psi([1, 1], [0, 0]) == 0.0


def test_thresholds_give_the_status():
    thresholds = Thresholds()
    assert [thresholds.status(v) for v in (0.0, 0.0999, 0.1, 0.2499, 0.25, 3.0)] == [
        "ok", "ok", "warn", "warn", "alert", "alert",
    ]  # fmt: skip
    assert Thresholds(0.05, 0.05).status(0.05) == "alert"
    with pytest.raises(ValueError, match="0 <= warn <= alert"):
        Thresholds(0.3, 0.2)
    assert worst_status(["ok", "alert", "warn"]) == "alert" and worst_status([]) == "ok"


def test_feature_drift_counts_missing_values_apart():
    ref: DriftReference = {
        "kind": "numeric", "edges": [10.0], "categories": [], "counts": [50, 50], "missing": 0,
    }  # fmt: skip
    drift = feature_drift(ref, {0: 30, 1: 30, -1: 40}, Thresholds())
    assert drift["psi"] == 0.0 and drift["status"] == "ok"
    assert drift["missing_rate"] == 0.4 and drift["missing_rate_change"] == 0.4
    assert drift["records"] == 100
    assert [b["label"] for b in drift["bins"]] == ["< 10", "≥ 10"]
    assert bin_labels({**ref, "edges": [1.0, 2.5]}) == ["< 1", "1 – 2.5", "≥ 2.5"]


@pytest.mark.slow  # insurance_run trains for 8 s
def test_shifted_ages_and_all_smokers_alert_on_age_and_smoker_not_region(log, model, insurance):
    sample = insurance.sample(600, random_state=1)
    log_predictions(log, model, shifted(sample), spread=timedelta(minutes=50))
    for window in ({"since": timedelta(days=7)}, {"last": 600}):
        report = report_of(log, model, **window)
        features = report["features"]
        assert report["records"] == 600
        assert features["age"]["status"] == "alert", window
        assert features["smoker"]["status"] == "alert", window
        assert features["region"]["status"] == "ok", (window, features["region"])
        assert list(features)[:2] == sorted(["age", "smoker"], key=lambda n: -features[n]["psi"])
        assert report["status"] == "alert"
        assert report["prediction"] is not None and report["prediction"]["status"] == "alert"


@pytest.mark.slow  # insurance_run trains for 8 s
def test_an_unshifted_sample_of_the_training_data_is_ok_everywhere(log, model, insurance):
    sample = insurance.sample(600, random_state=2)
    log_predictions(log, model, sample)
    for window in ({"since": timedelta(days=7)}, {"last": 600}):
        report = report_of(log, model, **window)
        assert set(report["features"]) == set(model.schema.names)
        bad = {n: f["psi"] for n, f in report["features"].items() if f["status"] != "ok"}
        assert not bad, (window, bad)
        assert report["prediction"]["status"] == "ok", report["prediction"]
        assert report["status"] == "ok"
        age = report["features"]["age"]
        assert age["missing_rate"] == 0.0 and age["training_missing_rate"] == 0.0
        assert sum(b["live"] for b in age["bins"]) == pytest.approx(1.0, abs=1e-5)
