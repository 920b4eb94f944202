from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabship.data import prepare_target
from tabship.data._task import detect_task
from tabship.errors import ColumnNotFoundError, OptionError, TargetError


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1, 1, 0], "binary"),
        ([1.0, 2.0, np.nan, 1.0], "binary"),
        (["a", "b", "c"], "multiclass"),
        ([1, 2, 3, 4, 5, 3], "multiclass"),
        (list(range(11)), "regression"),
        ([0.5, 1.0, 1.5], "regression"),
    ],
)
def test_detect_task(values, task):
    assert detect_task(pd.Series(values, name="y")) == task


def test_many_text_classes_need_an_explicit_task():
    y = pd.Series([f"c{i}" for i in range(60)], name="label")
    with pytest.raises(TargetError, match="'label' has 60 distinct text values.*task='multiclass'"):
        detect_task(y)
    assert detect_task(y, "multiclass") == "multiclass"


def test_single_class():
    with pytest.raises(TargetError, match=r"The target 'y' has a single class \('yes'\)"):
        detect_task(pd.Series(["yes", "yes", None], name="y"))


def test_regression_needs_numbers():
    with pytest.raises(TargetError, match="'y' must be numbers for regression"):
        detect_task(pd.Series(["a", "b"], name="y"), "regression")


def test_binary_needs_two_classes():
    with pytest.raises(TargetError, match="must have 2 classes for a binary task. Got 3"):
        detect_task(pd.Series(["a", "b", "c"], name="y"), "binary")


def test_prepare_target_drops_missing_and_canonicalises_labels():
    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": [1.0, np.nan, 2.0, 1.0]})
    X, y, dropped = prepare_target(frame, "y", "binary")
    assert dropped == 1
    assert list(X.columns) == ["x"]
    assert X["x"].tolist() == [1, 3, 4]
    assert y.tolist() == ["1", "2", "1"]
    assert y.name == "y"


def test_prepare_target_regression_is_float(read_dataset):
    X, y, dropped = prepare_target(read_dataset("insurance.csv"), "charges", "regression")
    assert (y.dtype, dropped, X.shape) == ("float64", 0, (1338, 6))


def test_prepare_target_adult_labels(read_dataset):
    _, y, _ = prepare_target(read_dataset("adult.csv"), "income", "binary")
    assert sorted(y.unique()) == ["<=50K", ">50K"]


def test_prepare_target_all_missing():
    frame = pd.DataFrame({"x": [1, 2], "y": [None, None]})
    with pytest.raises(TargetError, match="The target 'y' has no values: every row is missing"):
        prepare_target(frame, "y", "binary")


def test_prepare_target_single_class():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "a "]})
    with pytest.raises(TargetError, match="single class"):
        prepare_target(frame, "y", "binary")


def test_prepare_target_text_regression():
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    with pytest.raises(TargetError, match="must be numbers for regression"):
        prepare_target(frame, "y", "regression")


def test_prepare_target_unknown_column_and_task():
    frame = pd.DataFrame({"x": [1, 2], "y": [0, 1]})
    with pytest.raises(ColumnNotFoundError, match="The target 'z'"):
        prepare_target(frame, "z", "binary")
    with pytest.raises(OptionError, match="'task' must be one of"):
        prepare_target(frame, "y", "ranking")


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_prepare_target_refuses_an_infinite_regression_target(bad):
    """Before the check, every family failed deep in the search with scikit-learn's message."""
    frame = pd.DataFrame({"x": range(6), "y": [1.0, None, 2.0, bad, 3.0, 4.0]})
    with pytest.raises(TargetError, match=r"'y' must be finite.*1 infinite.*data row 4\."):
        prepare_target(frame, "y", "regression")
