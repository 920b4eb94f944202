from __future__ import annotations

import numpy as np
import pytest

from tabship.report._format import (
    format_number,
    format_range,
    format_value,
    metric_label,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.880213, "0.8802"),
        (1.0, "1.0"),  # a perfect score, not a count
        (4366.21, "4,366"),
        (63770.0, "63,770"),
        (1338, "1,338"),
        (np.int64(7), "7"),
        (21.874, "21.87"),
        (0.0000123, "1.230e-05"),
        (float("nan"), "—"),
        (None, "—"),
        (float("inf"), "∞"),
    ],
)
def test_format_number_reads_like_a_report(value, expected):
    assert format_number(value) == expected


def test_format_number_with_two_digits_for_a_spread():
    assert format_number(0.023381, digits=2) == "0.023"
    assert format_number(412.4, digits=2) == "412"


def test_format_range_drops_decimals_of_whole_bounds():
    assert format_range(18.0, 64.0) == "18 – 64"
    assert format_range(15.96, 53.13) == "15.96 – 53.13"


def test_format_value_handles_numpy_containers_and_none():
    assert format_value(np.float64(0.5)) == "0.5"
    assert format_value({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert format_value(None) == "—"
    assert format_value(True) == "True"


def test_metric_label_known_and_unknown():
    assert metric_label("roc_auc") == "ROC AUC"
    assert metric_label("r2") == "R²"
    assert metric_label("pinball_loss") == "pinball loss"
