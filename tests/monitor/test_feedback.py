"""Feedback: good items stored, each bad one reported where it is, on both backends."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from tabship.monitor import PredictionLog
from tabship.monitor._record import prepare_batch
from tests.monitor._records import record

MODEL = "f" * 64
START = datetime.now(UTC) - timedelta(hours=2)


def _at(second: int) -> datetime:
    """Distinct times, so that rows come back in a known order."""
    return START + timedelta(seconds=second)


@pytest.fixture
def regression(log: PredictionLog) -> list[str]:
    rows = [record({"age": i}, 100.0 + i, ts=_at(i)) for i in range(5)]
    log.append(MODEL, prepare_batch(MODEL, rows))
    return [r.id for r in rows]


@pytest.fixture
def classification(log: PredictionLog) -> list[str]:
    rows = [
        record({"age": i}, label, ts=_at(i), probabilities={"no": 1 - p, "yes": p})
        for i, (label, p) in enumerate([("yes", 0.9), ("no", 0.2), ("no", 0.4)])
    ]
    log.append(MODEL, prepare_batch(MODEL, rows))
    return [r.id for r in rows]


def test_feedback_is_stored_and_paired_with_predictions(log: PredictionLog, regression: list[str]):
    result = log.add_feedback(
        [{"id": regression[0], "actual": 99.5}, {"id": regression[3], "actual": "120"}],
        "regression",
    )
    assert (result.stored, result.failed, result.errors) == (2, 0, [])
    pairs = log.feedback_pairs(MODEL)
    assert pairs.predictions == [100.0, 103.0]
    assert pairs.actuals == [99.5, 120.0]
    assert pairs.probabilities == [None, None]
    predictions, actuals, _, timestamps = pairs
    assert len(timestamps) == 2 and all(t.tzinfo for t in timestamps)
    rows = {r.id: r for r in log.recent_rows(MODEL, 10)}
    assert rows[regression[0]].actual == 99.5 and rows[regression[0]].feedback_ts is not None


def test_bad_items_are_located_and_good_ones_kept(log: PredictionLog, regression: list[str]):
    items: list[object] = [
        {"id": regression[0], "actual": 1.0},  # good
        {"id": "0" * 32, "actual": 2.0},  # unknown id
        {"id": regression[1], "actual": "lots"},  # not a number
        {"id": regression[2], "actual": math.nan},  # NaN
        {"id": regression[0], "actual": 3.0},  # duplicate of item 0
        {"actual": 4.0},  # no id
        {"id": regression[3]},  # no actual
        "not an object",
        {"id": 12, "actual": 5.0},  # id not a string
        {"id": regression[4], "actual": True},  # a bool is not a number
    ]
    result = log.add_feedback(items, "regression")
    assert result.stored == 1
    assert result.failed == 9
    located = [(e["loc"], e["type"]) for e in result.errors]
    assert located == [
        (["body", 1, "id"], "unknown_id"),
        (["body", 2, "actual"], "float_type"),
        (["body", 3, "actual"], "finite_number"),
        (["body", 4, "id"], "duplicate_id"),
        (["body", 5, "id"], "missing"),
        (["body", 6, "actual"], "missing"),
        (["body", 7], "dict_type"),
        (["body", 8, "id"], "string_type"),
        (["body", 9, "actual"], "float_type"),
    ]
    assert all(e["msg"] and "\n" not in e["msg"] for e in result.errors)
    assert log.feedback_pairs(MODEL).actuals == [1.0]


def test_classification_feedback_checks_the_classes(log: PredictionLog, classification: list[str]):
    result = log.add_feedback(
        [
            {"id": classification[0], "actual": "yes"},
            {"id": classification[1], "actual": "perhaps"},
            {"id": classification[2], "actual": "no"},
        ],
        "binary",
        ["no", "yes"],
    )
    assert result.stored == 2
    [error] = result.errors
    assert error["loc"] == ["body", 1, "actual"] and error["type"] == "unknown_class"
    assert error.get("expected") == ["no", "yes"]
    pairs = log.feedback_pairs(MODEL)
    assert (pairs.predictions, pairs.actuals) == (["yes", "no"], ["yes", "no"])
    assert pairs.probabilities == [{"no": pytest.approx(0.1), "yes": 0.9}, {"no": 0.6, "yes": 0.4}]


def test_without_the_model_the_logged_prediction_decides(log: PredictionLog, classification):
    log.append(MODEL, prepare_batch(MODEL, [numeric := record(prediction=3.0)]))
    result = log.add_feedback(
        [
            {"id": classification[0], "actual": 1},  # a label, kept as text
            {"id": numeric.id, "actual": "x"},  # a regression row wants a number
        ]
    )
    assert result.stored == 1
    assert [e["loc"] for e in result.errors] == [["body", 1, "actual"]]
    assert log.feedback_pairs(MODEL).actuals == ["1"]


def test_feedback_for_another_model_is_unknown(log: PredictionLog, regression: list[str]):
    result = log.add_feedback(
        [{"id": regression[0], "actual": 1.0}], "regression", model="0" * 64, loc_prefix=["row"]
    )
    assert result.stored == 0
    assert result.errors[0]["loc"] == ["row", 0, "id"]
    assert "for this model" in result.errors[0]["msg"]


def test_later_feedback_replaces_earlier(log: PredictionLog, regression: list[str]):
    log.add_feedback([{"id": regression[0], "actual": 1.0}], "regression")
    log.add_feedback([{"id": regression[0], "actual": 2.0}], "regression")
    assert log.feedback_pairs(MODEL).actuals == [2.0]


def test_many_items_at_once(log: PredictionLog):
    rows = [record({"age": i}, float(i), ts=_at(i)) for i in range(1200)]
    log.append(MODEL, prepare_batch(MODEL, rows))
    result = log.add_feedback([{"id": r.id, "actual": 2.0 * i} for i, r in enumerate(rows)])
    assert (result.stored, result.errors) == (1200, [])
    assert log.feedback_pairs(MODEL).actuals == [2.0 * i for i in range(1200)]
