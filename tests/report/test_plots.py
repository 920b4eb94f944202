from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tabship.report import _plots


def test_confusion_counts_rows_are_actual_columns_predicted():
    counts = _plots.confusion_counts(["a", "a", "b", "c"], ["a", "b", "b", "a"], ["a", "b", "c"])
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_class_labels_follow_the_given_order_then_add_unseen_labels():
    labels, (true, pred) = _plots.class_labels([1.0, 2.0], [2.0, 3.0], order=["2", "1"])
    assert labels == ["2", "1", "3"]
    assert true == ["1", "2"] and pred == ["2", "3"]


def test_plot_ids_are_prefixed_so_several_plots_share_one_page():
    with _plots.plot_style():
        first = _plots.target_histogram(np.arange(50.0), "y")
        second = _plots.class_counts_plot(["a", "b"], [3, 4], "y")
    ids_first = set(re.findall(r'\bid="([^"]+)"', first))
    ids_second = set(re.findall(r'\bid="([^"]+)"', second))
    assert ids_first and ids_second and not ids_first & ids_second
    for ref in re.findall(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"", str(first)):
        assert (ref[0] or ref[1]) in ids_first  # every reference still resolves
    assert first.startswith("<svg ") and "xmlns" not in first and "<?xml" not in first


def test_importance_plot_shows_at_most_the_top_features():
    frame = pd.DataFrame(
        {"feature": [f"f{i}" for i in range(30)], "importance": np.linspace(1, 0, 30)}
    )
    with _plots.plot_style():
        svg = _plots.importance_plot(frame)
    labels = re.findall(r">(f\d+)</text>", svg)
    assert sorted(labels, key=lambda s: int(s[1:])) == [f"f{i}" for i in range(_plots.MAX_FEATURES)]


def test_regression_plots_ignore_missing_predictions():
    y_true = np.array([1.0, 2.0, np.nan, 4.0])
    y_pred = np.array([1.1, np.nan, 3.0, 3.9])
    with _plots.plot_style():
        svg = _plots.predicted_actual_plot(y_true, y_pred, "y")
    scatter = re.search(r'<g id="pred-actual-PathCollection_1">(.*?)</g>', svg, re.S)
    assert scatter and scatter[1].count("<use ") == 2  # the two complete pairs
