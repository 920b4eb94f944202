from __future__ import annotations

import math

import pandas as pd

from tabship.data import Field
from tabship.report._tables import describe_values, leaderboard_table, metric_cards, param_rows


def test_leaderboard_table_merges_mean_and_std_and_puts_the_primary_metric_first():
    board = pd.DataFrame(
        {
            "model": ["lightgbm", "ridge"],
            "cv_rmse_mean": [4500.5, 6000.0],
            "cv_rmse_std": [300.2, math.nan],
            "cv_r2_mean": [0.85, 0.75],
            "cv_r2_std": [0.0123, 0.02],
            "fit_seconds": [1.5, 0.02],
            "params": [{"n_estimators": 100}, {"alpha": 1.0}],
        }
    )
    table = leaderboard_table(board, "r2")
    assert table.header == ["Model", "CV R²", "CV RMSE", "Fit time (s)"]
    assert table.key == 1
    assert table.rows[0] == ["lightgbm", "0.85 ± 0.012", "4,500 ± 300", "1.5"]
    assert table.rows[1][2] == "6,000"  # no spread when the std is missing


def test_leaderboard_table_without_the_primary_metric_marks_no_column():
    board = pd.DataFrame({"model": ["a"], "cv_mae_mean": [1.25]})
    table = leaderboard_table(board, "r2")
    assert table.key is None
    assert table.rows == [["a", "1.25"]]


def test_describe_values_per_role():
    many = Field("c", "categorical", categories=[f"v{i}" for i in range(8)])
    assert describe_values(many) == "v0, v1, v2, v3, v4, … (+3 more)"
    assert describe_values(Field("n", "numeric", minimum=0.0, maximum=2.5)) == "0 – 2.5"
    assert describe_values(Field("k", "constant", default="x")) == "always x"
    assert describe_values(Field("e", "empty")) == "all missing"
    assert describe_values(Field("i", "identifier", n_unique=1200)) == "1,200 distinct values"


def test_metric_cards_keep_numbers_only_primary_first():
    cards = metric_cards(
        {"log_loss": 0.3, "accuracy": 0.9, "confusion_matrix": [[1]], "labels": ["a"]},
        "accuracy",
    )
    assert [(c["label"], c["primary"]) for c in cards] == [("Accuracy", True), ("Log loss", False)]


def test_param_rows_format_values():
    assert param_rows({"alpha": 0.001, "layers": [64, 32], "solver": None}) == [
        ("alpha", "0.001"),
        ("layers", "[64, 32]"),
        ("solver", "—"),
    ]
