"""search() end to end on small real data: budget, leaderboard, best pipeline, errors."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from tabship.data import infer_schema, prepare_target, read_table
from tabship.errors import OptionError, TooFewRowsError
from tabship.search import SearchResult, search
from tabship.search._tuning import RUNNERS_UP
from tests.conftest import dataset_path

BUDGET = 3.0


def load(name: str, target: str) -> tuple[pd.DataFrame, pd.Series, object]:
    frame = read_table(dataset_path(f"{name}.csv"))
    schema = infer_schema(frame, target)
    X, y, _ = prepare_target(frame, target, schema.task)
    return X, y, schema


def timed_search(X, y, schema, budget: float, **kwargs) -> tuple[SearchResult, float, list[str]]:
    lines: list[str] = []
    started = time.monotonic()
    result = search(X, y, schema, time_budget=budget, progress=lines.append, **kwargs)
    return result, time.monotonic() - started, lines


@pytest.fixture(scope="module")
def insurance():
    return load("insurance", "charges")


@pytest.fixture(scope="module")
def drug200():
    return load("drug200", "Drug")


@pytest.fixture(scope="module")
def insurance_search(insurance):
    return timed_search(*insurance, BUDGET)


@pytest.fixture(scope="module")
def drug_search(drug200):
    return timed_search(*drug200, BUDGET)


def assert_within_budget(elapsed: float, budget: float) -> None:
    """A runaway guard only: how close a run keeps to its budget is a benchmark figure
    (bench/quality.py, on an idle machine); a busy machine must not fail the test."""
    assert elapsed <= budget * 3 + 5, f"search took {elapsed:.2f} s for a {budget} s budget"


@pytest.mark.slow
def test_search_regression_honours_the_budget(insurance_search):
    result, elapsed, lines = insurance_search
    assert_within_budget(elapsed, BUDGET)
    assert lines and lines[-1].startswith("chose ")


@pytest.mark.slow
def test_search_leaderboard_columns_and_order(insurance_search):
    result, _, _ = insurance_search
    board = result.leaderboard
    assert list(board.columns) == [
        "model",
        "family",
        "cv_r2_mean",
        "cv_r2_std",
        "cv_rmse_mean",
        "fit_seconds",
        "predict_us_per_row",
        "params",
    ]
    assert result.metric == "r2"
    assert board["cv_r2_mean"].is_monotonic_decreasing
    assert "LightGBM" in set(board["model"])  # always screened first; others if time allows
    assert set(board["family"]) <= {
        "lightgbm", "linear", "decision_tree", "hist_gradient_boosting", "extra_trees",
        "random_forest", "ensemble",
    }  # fmt: skip
    assert board["model"].is_unique
    assert board["cv_r2_mean"].iloc[0] > 0.7  # insurance is easy for trees
    assert result.best_name in set(board["model"])
    # The tuning's runners-up are listed, and are ensemble members only, never the winner.
    runners_up = [m for m in board["model"] if re.fullmatch(r"\w+ \(trial \d+\)", m)]
    assert len(runners_up) <= 2 * RUNNERS_UP
    assert result.best_name not in runners_up


@pytest.mark.slow
def test_search_best_is_an_unfitted_pipeline_that_fits(insurance, insurance_search):
    X, y, _ = insurance
    result, _, _ = insurance_search
    with pytest.raises(NotFittedError):
        check_is_fitted(result.best)
    fitted = clone(result.best).fit(X.iloc[:1000], y.iloc[:1000])
    pred = fitted.predict(X.iloc[1000:])
    assert pred.shape == (len(X) - 1000,)
    assert np.corrcoef(pred, y.iloc[1000:])[0, 1] > 0.8
    assert 0.7 < result.oof_score < 1.0


@pytest.mark.slow
def test_search_multiclass_tunes_by_log_loss_and_chooses_by_accuracy(drug200, drug_search):
    X, y, _ = drug200
    result, elapsed, _ = drug_search
    assert_within_budget(elapsed, BUDGET)
    board = result.leaderboard
    assert result.metric == "log_loss" and result.chosen_by == "accuracy"
    # chosen by accuracy, the log loss deciding between rows within its noise
    # (half a standard error of accuracy on 160 rows is at most 0.02)
    assert board["cv_accuracy_mean"].iloc[0] >= board["cv_accuracy_mean"].max() - 0.02
    assert "cv_accuracy_mean" in board.columns
    assert board["cv_accuracy_mean"].iloc[0] > 0.9
    fitted = clone(result.best).fit(X, y)
    proba = fitted.predict_proba(X.iloc[:7])
    assert proba.shape == (7, 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.slow
def test_search_is_reproducible_with_a_seed(drug200):
    X, y, schema = drug200
    first, _, _ = timed_search(X, y, schema, 2.0, seed=7)
    second, _, _ = timed_search(X, y, schema, 2.0, seed=7)
    screened = ~first.leaderboard["model"].str.contains(r"\(")
    left = first.leaderboard[screened].set_index("model")["cv_log_loss_mean"]
    right = second.leaderboard.set_index("model")["cv_log_loss_mean"]
    both = left.index.intersection(right.index)  # a busy machine may skip a late candidate
    assert "LightGBM" in both
    pd.testing.assert_series_equal(left.loc[both], right.loc[both])


def test_search_rejects_a_non_positive_budget(insurance):
    with pytest.raises(OptionError, match="'time_budget' must be a positive number"):
        search(*insurance, time_budget=0)


def test_search_rejects_fewer_than_two_folds(insurance):
    with pytest.raises(OptionError, match="'folds' must be a whole number of at least 2"):
        search(*insurance, time_budget=1, folds=1)


def test_search_rejects_a_class_with_one_row(drug200):
    X, y, schema = drug200
    y = y.copy()
    y.iloc[0] = "drugZ"
    with pytest.raises(TooFewRowsError, match="class with 1 row"):
        search(X, y, schema, time_budget=1)


def test_search_rejects_too_few_rows(insurance):
    X, y, schema = insurance
    with pytest.raises(TooFewRowsError, match="too few for 5 folds"):
        search(X.iloc[:6], y.iloc[:6], schema, time_budget=1)


@pytest.mark.parametrize(
    ("importance_seconds", "expected"),
    [(None, 2.25 * 1.25), (5.0, 2.25 * 1.25 + 4.0), (1.5, 2.25 * 1.25 + 1.5)],
)
def test_a_rows_cost_after_the_search_counts_the_callers_importance_cap(
    importance_seconds, expected
):
    """Two refits on all rows, plus the importance the caller says it will measure."""
    from types import SimpleNamespace

    from tabship.search._after import AfterSearch

    cv = SimpleNamespace(n_folds=5, y=np.zeros(8000))  # 2000 test rows
    result = SimpleNamespace(fit_seconds=1.0, predict_us_per_row=40.0, tree_nodes=0)
    # importance: 10 features x 5 repeats x 2000 rows x 40 us = 4 s
    cost = AfterSearch(cv, 10, importance_seconds, None).seconds(result)
    assert cost == pytest.approx(expected)


def test_a_forests_cost_after_the_search_counts_saving_its_nodes():
    """A forest fast to fit can be slow to save (insurance's 200 ExtraTrees: 0.2 s a
    fold, 3.5 s to save): its nodes, grown to all rows, are part of its cost."""
    from types import SimpleNamespace

    from tabship.search._after import AfterSearch

    cv = SimpleNamespace(n_folds=5, y=np.zeros(1000))
    after = AfterSearch(cv, 6, None, None)  # type: ignore[arg-type]
    boosted = SimpleNamespace(fit_seconds=0.2, predict_us_per_row=1.0, tree_nodes=0)
    forest = SimpleNamespace(fit_seconds=0.2, predict_us_per_row=1.0, tree_nodes=400_000)
    # 400,000 fold nodes x 5/4 (all the search's rows) x 1.25 (the held-out rows too)
    assert after.seconds(forest) - after.seconds(boosted) == pytest.approx(
        6.5e-6 * 400_000 * 1.25 * 1.25
    )


def test_the_search_holds_the_refits_of_its_two_best_rows():
    """Tuning trials stop short of the time the caller's refits and importance need."""
    from types import SimpleNamespace

    from tabship.search import Deadline
    from tabship.search._after import AfterSearch
    from tabship.search._cv import CVResult
    from tabship.search._rows import Row

    search_deadline = Deadline(60.0, clock=lambda: 0.0)  # a stopped clock
    tuning = search_deadline.sub(40.0)
    # a tuning trial's oof is scored by the folds: here its mean r2 is its first value
    cv = SimpleNamespace(
        n_folds=5, y=np.zeros(1000), metric="r2", fold_scores=lambda _m, oof: [oof[0]]
    )
    after = AfterSearch(cv, 10, None, search_deadline)  # type: ignore[arg-type]

    def row(score: float, fit_seconds: float) -> Row:
        result = CVResult(oof=np.zeros(1), fit_seconds=fit_seconds, predict_us_per_row=1.0)
        return Row("m", "f", "native", lambda: None, {}, result, scores=[score])

    # refit cost 2.25 x fit x 5/4: 2.8125 s per second of fold fit
    after.keep([row(0.5, 1.0), row(0.9, 4.0), row(0.8, 2.0), row(0.7, 8.0)])
    assert search_deadline.held == pytest.approx(2.8125 * (4.0 + 2.0))  # the two best rows
    assert tuning.remaining() == pytest.approx(40.0)  # its own end is still earlier
    after.keep([row(0.9, 4.0)], CVResult(np.full(1, 0.95), 10.0, 1.0))  # a better trial
    assert search_deadline.held == pytest.approx(2.8125 * (4.0 + 10.0))
    assert tuning.remaining() == pytest.approx(60.0 - 2.8125 * 14.0)
    assert AfterSearch(cv, 10, None, None).left(60.0) == 18.0  # no deadline: the old rule


def test_the_two_best_rows_hold_the_importance_once_as_their_ensemble_would():
    """Both rows are refitted, but the importance is measured once, under its cap."""
    from types import SimpleNamespace

    from tabship.search import Deadline
    from tabship.search._after import AfterSearch
    from tabship.search._cv import CVResult
    from tabship.search._rows import Row

    deadline = Deadline(60.0, clock=lambda: 0.0)
    cv = SimpleNamespace(n_folds=5, y=np.zeros(8000), metric="r2")  # 2000 test rows
    after = AfterSearch(cv, 10, 1.5, deadline)  # type: ignore[arg-type]

    def row(score: float, predict_us: float) -> Row:
        result = CVResult(oof=np.zeros(1), fit_seconds=1.0, predict_us_per_row=predict_us)
        return Row("m", "f", "native", lambda: None, {}, result, scores=[score])

    # 10 features x 5 repeats x 2000 rows: 0.1 s per us of predict per row
    after.keep([row(0.9, 40.0), row(0.8, 40.0), row(0.1, 1.0)])
    assert deadline.held == pytest.approx(2 * 2.8125 + 1.5)  # 8 s of importance, capped once
    after.keep([row(0.9, 4.0), row(0.8, 6.0)])
    assert deadline.held == pytest.approx(2 * 2.8125 + 1.0)  # under the cap: summed


def test_the_ensemble_takes_a_runner_up_trial_that_errs_the_other_way():
    """A runner-up of the tuning joins the ensemble's pool beside the top rows: here it
    errs opposite to the best row, and the blend of the two is what the search keeps,
    while a row that errs like the best adds nothing."""
    from types import SimpleNamespace

    from tabship.search._after import AfterSearch
    from tabship.search._cv import CVResult
    from tabship.search._rows import Row
    from tabship.search._search import _ensemble_row

    y = np.zeros(100)

    def rmse(_metric: str, oof: np.ndarray) -> float:
        return float(np.sqrt(np.mean((oof - y) ** 2)))

    cv = SimpleNamespace(
        n_folds=5, y=y, metric="rmse", score=rmse, fold_scores=lambda m, oof: [rmse(m, oof)]
    )

    def row(name: str, error: float) -> Row:
        result = CVResult(oof=np.full(100, error), fit_seconds=0.1, predict_us_per_row=1.0)
        return Row(name, "lightgbm", "native", lambda: None, {}, result, scores=[abs(error)])

    best, alike = row("LightGBM (tuned)", 1.0), row("LightGBM", 1.2)
    runner_up = row("LightGBM (trial 3)", -1.1)
    after = AfterSearch(cv, 3, None, None)  # type: ignore[arg-type]
    assert _ensemble_row(cv, [best, alike], [], lambda _: None, after, 1e9) is None  # type: ignore[arg-type]
    ensemble = _ensemble_row(cv, [best, alike], [runner_up], lambda _: None, after, 1e9)  # type: ignore[arg-type]
    assert ensemble is not None
    assert [r.name for r, _ in ensemble.members] == ["LightGBM (tuned)", "LightGBM (trial 3)"]
    assert rmse("rmse", ensemble.cv.oof) < 0.1
