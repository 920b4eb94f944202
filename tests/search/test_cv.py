"""Shared folds: cached preprocessing, class-aligned probabilities, deadline stops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from tabship.search import Deadline
from tabship.search._candidates import lightgbm_model
from tabship.search._cv import (
    CVData,
    cross_validate,
    fit_quietly,
    fold_groups,
    run_together,
    summed_costs,
    tree_nodes,
)


def small_cv(task: str = "multiclass", repeats: int = 1) -> CVData:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = np.array(["x", "y", "z"] * 20, dtype=object)
    return CVData(X, y, task, lambda kind: StandardScaler(), folds=3, seed=0, repeats=repeats)


def test_cv_prediction_aligns_probabilities_to_every_class():
    cv = small_cv()
    model = LogisticRegression().fit(cv.X.iloc[:40], np.array(["x", "z"] * 20, dtype=object))
    proba = cv.prediction(model, cv.X.iloc[:5])
    assert proba.shape == (5, 3)
    assert np.all(proba[:, 1] == 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_cv_caches_each_folds_preprocessing_once():
    cv = small_cv()
    first = cv.fold("linear", 0)
    assert cv.is_cached("linear", 0) and not cv.is_cached("linear", 1)
    assert cv.fold("linear", 0) is first


def test_cross_validate_fills_every_oof_row():
    cv = small_cv()
    result = cross_validate(cv, "linear", LogisticRegression, Deadline(60), first_fold_estimate=0)
    assert result is not None
    assert not np.isnan(result.oof).any()
    assert result.fit_seconds > 0 and result.predict_us_per_row > 0
    assert len(cv.fold_scores("log_loss", result.oof)) == 3


def test_a_forests_result_counts_the_nodes_of_its_fold_fits_and_boosting_counts_none():
    """The save of a forest grows with its nodes (``AfterSearch``): a row carries the
    mean over its folds, a blend the sum over its members."""
    from sklearn.ensemble import ExtraTreesClassifier

    cv = small_cv()
    build = lambda: ExtraTreesClassifier(n_estimators=7, random_state=0)  # noqa: E731
    forest = cross_validate(cv, "tree", build, Deadline(60), first_fold_estimate=0)
    assert forest is not None
    fitted = [tree_nodes(build().fit(cv.X.iloc[train], cv.y[train])) for train, _ in cv.splits]
    assert all(n > 7 for n in fitted)  # every tree has split
    assert forest.tree_nodes == pytest.approx(np.mean(fitted))
    boosted = cross_validate(
        cv, "native", lambda: lightgbm_model("multiclass", {}, seed=0, n_jobs=1), Deadline(60),
        first_fold_estimate=0,
    )  # fmt: skip
    assert boosted is not None and boosted.tree_nodes == 0
    assert summed_costs([forest, boosted, forest], forest.oof).tree_nodes == pytest.approx(
        2 * forest.tree_nodes
    )


def test_folds_side_by_side_predict_what_they_predict_one_by_one():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(900, 5)), columns=list("abcde"))
    y = np.where(X["a"] + rng.normal(scale=0.5, size=900) > 0, "yes", "no").astype(object)

    def cv(workers: int) -> CVData:
        return CVData(X, y, "binary", lambda kind: StandardScaler(), folds=3, seed=0,
                      workers=workers)  # fmt: skip

    alone, together = cv(1), cv(2)
    assert fold_groups(alone, True) == [[0], [1], [2]]
    assert fold_groups(together, True) == [[0, 1], [2]]
    assert fold_groups(together, False) == [[0], [1], [2]]
    build = lambda: lightgbm_model("binary", {}, seed=0, n_jobs=1)  # noqa: E731
    one = cross_validate(alone, "native", build, Deadline(60), first_fold_estimate=0)
    two = cross_validate(together, "native", build, Deadline(60), first_fold_estimate=0)
    assert one is not None and two is not None
    assert not np.isnan(two.oof).any()
    np.testing.assert_array_equal(one.oof, two.oof)


def test_run_together_keeps_order_silences_convergence_and_raises_the_first_error():
    import threading
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    cv = small_cv()
    threads: list[threading.Thread] = []  # kept alive: their ids stay distinct

    def work(i: int) -> int:
        threads.append(threading.current_thread())
        if i > 3:  # the first runs in this thread: the others warn while it is idle
            fit_quietly(LogisticRegression(max_iter=1), cv.X, cv.y)  # does not converge
        return 10 * i

    # pytest turns warnings into errors: a warning let through would fail the thread
    assert run_together(work, [3, 4, 5]) == [30, 40, 50]
    assert len({id(thread) for thread in threads}) == 3
    with pytest.raises(ConvergenceWarning):  # the filters are as they were
        warnings.warn("not silenced out here", ConvergenceWarning, stacklevel=1)

    def fails(i: int) -> int:
        if i > 3:
            raise ValueError(f"fold {i} failed")
        return i

    with pytest.raises(ValueError, match="fold 4 failed"):
        run_together(fails, [3, 4, 5])


def test_run_together_runs_every_thread_on_the_openmp_threads_of_the_starting_one():
    """OpenMP keeps its thread count per thread: without carrying it over, a fold in a
    new thread ran scikit-learn's HistGradientBoosting on every core (8x slower here)."""
    from threadpoolctl import ThreadpoolController

    from tabship.search._candidates import thread_limits

    def seen(_i: int) -> list[int]:
        return [p["num_threads"] for p in ThreadpoolController().select(user_api="openmp").info()]

    with thread_limits(2, 10_000):
        inside = run_together(seen, [0, 1, 2])
    assert inside == [[1] * len(inside[0])] * 3 and inside[0]
    with thread_limits(2, 500_000):
        assert run_together(seen, [0, 1]) == [[2] * len(inside[0])] * 2


def test_cross_validate_gives_up_when_a_fold_cannot_fit():
    cv = small_cv()
    assert (
        cross_validate(cv, "linear", LogisticRegression, Deadline(1), first_fold_estimate=5) is None
    )


def test_repeated_folds_predict_every_row_once_per_repeat_with_other_shuffles():
    once, thrice = small_cv(), small_cv(repeats=3)
    assert thrice.n_folds == 3 and thrice.n_splits == 9
    # the first repeat is the single split: one seed, the same folds with or without repeats
    for (a, b), (c, d) in zip(once.splits, thrice.splits[:3], strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    second = thrice.splits[3:6]
    assert not all(np.array_equal(b, d) for (_, b), (_, d) in zip(once.splits, second, strict=True))
    result = cross_validate(
        thrice, "linear", LogisticRegression, Deadline(60), first_fold_estimate=0
    )
    assert result is not None
    assert result.oof.shape == (3, 60, 3)
    assert not np.isnan(result.oof).any()
    scores = thrice.fold_scores("accuracy", result.oof)
    assert len(scores) == 9
    # the score is the mean of each repeat's own score, not the score of averaged predictions
    per_repeat = [np.mean(scores[3 * r : 3 * r + 3]) for r in range(3)]
    assert thrice.score("accuracy", result.oof) == pytest.approx(np.mean(per_repeat), abs=0.02)


def test_a_partial_score_covers_the_splits_seen_in_the_current_repeat():
    cv = small_cv(repeats=2)
    oof = cv.empty_oof()
    codes = np.searchsorted(cv.classes, cv.y)
    for i in (3, 4):  # the first two splits of the second repeat, predicted perfectly
        cv.put(oof, i, np.eye(3)[codes[cv.splits[i][1]]])
    assert cv.seen_score("accuracy", oof, 4) == 1.0
    assert np.isnan(oof[0]).all()  # the first repeat's slice is untouched


@pytest.mark.parametrize(
    ("n_rows", "task", "budget", "expected"),
    [(300, "multiclass", 60, 3), (1000, "binary", 45, 3), (1500, "multiclass", 60, 2),
     (800, "multiclass", 30, 2), (1500, "binary", 30, 1), (5000, "multiclass", 60, 1),
     (300, "regression", 60, 1), (300, "multiclass", 20, 1)],
)  # fmt: skip
def test_small_classification_tables_repeat_their_folds(n_rows, task, budget, expected):
    from tabship.search._options import repeat_count

    assert repeat_count(n_rows, task, budget) == expected
