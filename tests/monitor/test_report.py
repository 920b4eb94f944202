"""The report document (/monitor.json) on both backends: its shape, its windows, feedback
metrics against scikit-learn, volume per hour, excluded fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from tabship import runtime
from tabship.data import read_table
from tabship.monitor import MonitoredModel, build_report
from tests.conftest import dataset_path
from tests.monitor._logged import log_predictions, shifted

ISSUE_KEYS = {"model", "records", "since", "features", "prediction", "feedback"}


@pytest.fixture(scope="module")
def model(insurance_run):
    return runtime.load(insurance_run[1], lean=True)


@pytest.fixture(scope="module")
def watched(model) -> MonitoredModel:
    return MonitoredModel.from_model(model)


@pytest.fixture(scope="module")
def insurance() -> pd.DataFrame:
    return read_table(dataset_path("insurance.csv"))


def report(log, watched: MonitoredModel, **options):
    return watched.report(log, **options)


@pytest.mark.slow  # insurance_run trains for 8 s
def test_the_document_has_the_issue_shape(log, model, watched, insurance):
    log_predictions(log, model, insurance.head(50))
    found = report(log, watched, since=timedelta(days=7), warn=0.2, alert=0.5)
    document = json.loads(json.dumps(found, allow_nan=False))
    assert ISSUE_KEYS <= set(document)
    assert document["model"] == watched.sha and len(document["model"]) == 64
    assert document["records"] == 50
    assert datetime.fromisoformat(document["since"]) < datetime.now(UTC)
    for feature in document["features"].values():
        assert {"psi", "missing_rate", "status"} <= set(feature)
        assert isinstance(feature["psi"], float) and feature["status"] in {"ok", "warn", "alert"}
    assert {"psi", "status"} <= set(document["prediction"])
    assert set(document["feedback"]) >= {"records", "metrics", "holdout", "daily"}
    assert document["feedback"]["records"] == 0 and document["feedback"]["metrics"] == {}
    assert document["feedback"]["holdout"] == watched.holdout and "r2" in watched.holdout
    assert document["thresholds"] == {"warn": 0.2, "alert": 0.5}
    assert document["volume"][0]["records"] == 50
    assert (
        1.0 <= document["volume"][0]["latency_ms_mean"] <= document["volume"][0]["latency_ms_max"]
    )


@pytest.mark.slow  # insurance_run trains for 8 s
def test_feedback_metrics_equal_sklearn_on_the_same_pairs(log, model, watched, insurance):
    rows = insurance.sample(200, random_state=3)
    ids = log_predictions(log, model, rows, spread=timedelta(minutes=10))
    result = log.add_feedback(
        [{"id": i, "actual": float(a)} for i, a in zip(ids, rows["charges"], strict=True)],
        task="regression",
    )
    assert result.stored == 200 and not result.errors
    found = report(log, watched, since=timedelta(days=1))["feedback"]
    y, pred = rows["charges"].to_numpy(), model.predict(rows[model.schema.names])
    assert found["records"] == 200
    assert found["metrics"]["r2"] == pytest.approx(skm.r2_score(y, pred), rel=1e-9)
    assert found["metrics"]["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert found["metrics"]["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert sum(d["records"] for d in found["daily"]) == 200  # one day, two around midnight
    assert report(log, watched, last=50)["feedback"]["records"] == 50


@pytest.mark.slow  # insurance_run trains for 8 s
def test_windows_keep_old_records_and_other_models_out(log, model, watched, insurance):
    old = datetime.now(UTC) - timedelta(days=10)
    log_predictions(log, model, shifted(insurance.head(300)), ts=old)
    log_predictions(log, model, insurance.sample(400, random_state=4))
    recent = report(log, watched, since=timedelta(days=7))
    assert recent["records"] == 400 and recent["status"] == "ok"
    everything = report(log, watched)
    assert everything["records"] == 700 and everything["window"] == "everything"
    assert everything["features"]["smoker"]["status"] != "ok"
    assert report(log, watched, last=400)["status"] == "ok"
    stranger = build_report(log, model="0" * 64, references=watched.references)
    assert stranger["records"] == 0 and stranger["status"] == "ok" and stranger["since"] is None
    assert stranger["features"]["age"]["records"] == 0


@pytest.mark.slow  # insurance_run trains for 8 s
def test_an_excluded_field_has_no_drift(log, model, watched, insurance):
    log_predictions(log, model, insurance.head(100), exclude=frozenset({"sex"}))
    for window in ({"since": timedelta(hours=2)}, {"last": 100}):
        features = report(log, watched, **window)["features"]
        assert "sex" not in features and "age" in features


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": timedelta(days=1), "last": 5}, "not both"),
        ({"last": 0}, "must be positive"),
        ({"since": timedelta(0)}, "must be positive"),
        ({"warn": 0.5, "alert": 0.1}, "0 <= warn <= alert"),
    ],
)
@pytest.mark.slow  # insurance_run trains for 8 s
def test_bad_windows_and_thresholds_are_refused(log, watched, options, message):
    with pytest.raises(ValueError, match=message):
        report(log, watched, **options)


@pytest.mark.slow  # insurance_run trains for 8 s
def test_regression_metrics_per_day_equal_sklearn_on_each_day(log, model, watched, insurance):
    rows = insurance.sample(240, random_state=9)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=3)
    ids = log_predictions(log, model, rows, ts=start, spread=timedelta(hours=71))
    log.add_feedback(
        [{"id": i, "actual": float(a)} for i, a in zip(ids, rows["charges"], strict=True)],
        task="regression",
    )
    daily = report(log, watched, since=timedelta(days=5))["feedback"]["daily"]
    assert [d["records"] for d in daily] == [81, 81, 78]
    pred = model.predict(rows[model.schema.names])
    y = rows["charges"].to_numpy()
    for i, day in enumerate(daily):
        part = slice(
            sum(d["records"] for d in daily[:i]), sum(d["records"] for d in daily[: i + 1])
        )
        assert day["day"] == (start + timedelta(days=i)).date().isoformat()
        assert day["metrics"]["r2"] == pytest.approx(skm.r2_score(y[part], pred[part]), rel=1e-9)
        assert day["metrics"]["mae"] == pytest.approx(skm.mean_absolute_error(y[part], pred[part]))


def test_classification_feedback_metrics_equal_sklearn(log):
    """A binary model's labels and probabilities, logged and given their outcomes."""
    from tabship.monitor import LogRecord, LogWriter, new_record_id

    rng = np.random.default_rng(11)
    classes = ["no", "yes"]
    truth = rng.choice(classes, 200, p=[0.6, 0.4])
    p_yes = np.clip(np.where(truth == "yes", 0.7, 0.3) + rng.normal(0, 0.25, 200), 0.01, 0.99)
    predicted = np.where(p_yes >= 0.5, "yes", "no")
    records = [
        LogRecord(new_record_id(), datetime.now(UTC), "/predict", {"x": float(p)}, label,
                  {"no": 1 - float(p), "yes": float(p)})
        for p, label in zip(p_yes, predicted, strict=True)
    ]  # fmt: skip
    writer = LogWriter(log, model="c" * 64)
    writer.submit(records)
    writer.close()
    feedback = [{"id": r.id, "actual": t} for r, t in zip(records, truth, strict=True)]
    assert log.add_feedback(feedback, task="binary", classes=classes).stored == 200
    found = build_report(
        log, model="c" * 64, references={"features": {}}, task="binary", classes=classes
    )["feedback"]
    assert found["records"] == 200
    assert found["metrics"]["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert found["metrics"]["roc_auc"] == pytest.approx(skm.roc_auc_score(truth == "yes", p_yes))
    proba = np.column_stack([1 - p_yes, p_yes])
    assert found["metrics"]["log_loss"] == pytest.approx(skm.log_loss(truth, proba, labels=classes))
    assert found["metrics"]["f1_macro"] == pytest.approx(
        skm.f1_score(truth, predicted, average="macro")
    )


@pytest.mark.slow  # insurance_run trains for 8 s
def test_a_version_1_model_gives_an_approximate_report(log, model, insurance):
    from pathlib import Path

    summary = json.loads(
        (Path(__file__).parents[1] / "data" / "fixtures" / "summary_v1_insurance.json").read_text()
    )
    old = MonitoredModel.from_parts(model.manifest, summary, model.metrics, "regression", None)
    log_predictions(log, model, shifted(insurance.head(300)))
    found = old.report(log, since=timedelta(hours=1))
    assert found["approximate"] is True and found["prediction"]["approximate"] is True
    assert found["features"]["age"]["status"] == "alert"
    assert found["features"]["region"]["status"] == "ok"
