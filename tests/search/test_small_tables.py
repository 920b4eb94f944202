"""Small classification tables: the winner chosen by accuracy within its noise, forests
tuned, LightGBM averaged over seeds, and a small-table search that holds its own against
a default LightGBM on held-out rows."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from tabship.data import infer_schema, prepare_target
from tabship.features import build_preprocessor
from tabship.search import Deadline, thread_limits
from tabship.search._candidates import baseline_candidates, lightgbm_model, lightgbm_threads
from tabship.search._cv import CVData, CVResult
from tabship.search._families import ExtraTreesFamily, LightGBMFamily
from tabship.search._rows import Row, choice_metric, rank_for_choice
from tabship.search._seeds import reseeded, seed_bag
from tabship.search._tuning import tune


def unbalanced_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Five classes of 45 % down to 5 % of the rows, a few informative columns."""
    X, y = make_classification(
        n_samples=n, n_features=10, n_informative=6, n_redundant=2, n_classes=5,
        weights=[0.45, 0.25, 0.15, 0.1, 0.05], n_clusters_per_class=2, class_sep=0.9,
        flip_y=0.02, random_state=seed,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["label"] = [f"class_{c}" for c in y]
    return frame


def table_cv(frame: pd.DataFrame, repeats: int = 2) -> CVData:
    schema = infer_schema(frame, "label")
    X, y, _ = prepare_target(frame, "label", schema.task)
    return CVData(X, y.to_numpy(dtype=object), schema.task,
                  lambda kind: build_preprocessor(schema, kind), folds=3, seed=0,
                  repeats=repeats)  # fmt: skip


def oof_row(cv: CVData, name: str, oof: np.ndarray) -> Row:
    result = CVResult(oof=oof, fit_seconds=0.1, predict_us_per_row=1.0)
    return Row(name, "f", "native", lambda: None, {}, result,
               scores=cv.fold_scores(cv.metric, oof))  # fmt: skip


def test_the_choice_takes_accuracy_but_not_a_difference_within_its_noise():
    cv = table_cv(unbalanced_table(), repeats=1)
    codes = np.searchsorted(cv.classes, cv.y)
    truth = np.eye(len(cv.classes))[codes][None]

    def blurred(sharp: float, wrong: int) -> np.ndarray:
        """Probabilities with ``sharp`` on the true class, the first ``wrong`` rows
        labelled as the next class instead."""
        oof = truth * sharp + (1 - sharp) / len(cv.classes)
        flipped = np.roll(oof[0, :wrong], 1, axis=1)
        oof[0, :wrong] = flipped
        return oof

    sure = oof_row(cv, "sure", blurred(0.9, 40))  # 90 % right, confident
    unsure = oof_row(cv, "unsure", blurred(0.3, 38))  # 2 rows more right, far less sure
    better = oof_row(cv, "better", blurred(0.3, 20))  # 5 points more right: beyond noise
    assert choice_metric("multiclass") == "accuracy"
    assert choice_metric("binary") == "roc_auc"
    assert [r.name for r in rank_for_choice(cv, [unsure, sure])] == ["sure", "unsure"]
    assert [r.name for r in rank_for_choice(cv, [sure, unsure, better])][0] == "better"


def test_lightgbm_runs_on_one_thread_on_small_tables():
    assert lightgbm_threads(8, 800) == 1
    assert lightgbm_threads(8, 50_000) == 1
    assert lightgbm_threads(8, 500_000) == 8
    labels = np.array(["a", "b", "c"] * 100, dtype=object)
    candidates = baseline_candidates("multiclass", labels, seed=0, n_jobs=4, n_rows=300)
    assert candidates[0].build().get_params()["n_jobs"] == 1
    # the forests come before HistGradientBoosting on a small classification table
    families = [c.family for c in candidates]
    assert families.index("extra_trees") < families.index("hist_gradient_boosting")


def test_thread_limits_give_openmp_and_blas_one_thread_below_200k_rows():
    import sklearn.ensemble  # noqa: F401 - loads scikit-learn's OpenMP runtime
    from threadpoolctl import threadpool_info

    def threads(api: str) -> set[int]:
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == api}

    with thread_limits(2, 10_000):
        assert threads("openmp") == {1}
        assert threads("blas") == {1}
    with thread_limits(2, 500_000):
        assert threads("openmp") == {2}
        assert threads("blas") == {2}


@pytest.mark.slow
def test_a_tuned_forest_keeps_its_tree_count_and_tries_class_weights():
    cv = table_cv(unbalanced_table(200), repeats=1)
    fam = ExtraTreesFamily(cv.task, len(cv.y), seed=0, n_jobs=1, n_trees=30)
    ticks = itertools.count()  # a clock moving 10 ms a read: the same trials however busy
    deadline = Deadline(3.0, clock=lambda: next(ticks) * 0.01)
    result = tune(fam, cv, deadline, seed=0, first_trial_estimate=0.05)
    assert result is not None and result.name == "ExtraTrees (tuned)"
    assert result.params["n_estimators"] == 30
    model = result.build()
    assert type(model).__name__ == "ExtraTreesClassifier" and model.n_estimators == 30
    assert result.cv.oof.shape == (1, 200, 5)
    assert {"class_weight", "criterion", "max_features"} <= set(result.params)


def test_lightgbm_tries_class_weights_only_when_asked():
    classes = np.array(["a", "b"], dtype=object)
    plain = LightGBMFamily("binary", 500, classes=classes, skewed=False, seed=0, n_jobs=1)
    weighted = LightGBMFamily(
        "binary", 500, classes=classes, skewed=False, seed=0, n_jobs=1, class_weights=True
    )
    assert all("class_weight" not in s for s in plain.starts)
    assert all(s["class_weight"] is None for s in weighted.starts)


@pytest.mark.slow
def test_a_seed_bag_averages_copies_of_one_setting_and_refits_as_a_vote():
    frame = unbalanced_table(240)
    cv = table_cv(frame)
    params = {"n_estimators": 30, "subsample": 0.7, "subsample_freq": 1, "colsample_bytree": 0.7}

    def build():
        return lightgbm_model(cv.task, params, seed=0, n_jobs=1)

    assert reseeded(build, 9)().get_params()["random_state"] == 9
    from tabship.search._cv import cross_validate

    first = cross_validate(cv, "native", build, Deadline(60), first_fold_estimate=0)
    assert first is not None
    row = Row("LightGBM (tuned)", "lightgbm", "native", build, params, first,
              scores=cv.fold_scores(cv.metric, first.oof))  # fmt: skip
    bag = seed_bag(cv, row, Deadline(60), seed=0)
    assert bag is not None and bag.name == "LightGBM (tuned) x5 seeds"
    seeds = [m.build().get_params()["random_state"] for m, _ in bag.members]
    assert seeds == [0, 1, 2, 3, 4]
    assert not np.allclose(bag.members[0][0].cv.oof, bag.members[1][0].cv.oof)
    np.testing.assert_allclose(bag.cv.oof, np.mean([m.cv.oof for m, _ in bag.members], axis=0))
    assert seed_bag(cv, row, Deadline(0.0), seed=0) is None  # no time: no bag


@pytest.mark.slow
def test_a_small_unbalanced_search_holds_its_own_against_default_lightgbm():
    """On 150 held-out rows the chosen model labels at most two fewer right than a
    default LightGBM: the repeated folds, the tuned forest and the choice by accuracy
    must not pick a model that does worse than the baseline it screens. The search
    before them chose an ensemble three rows worse (0.653 against 0.673)."""
    from tabship.search import search

    frame = unbalanced_table(500, seed=3)
    schema = infer_schema(frame, "label")
    X, y, _ = prepare_target(frame, "label", schema.task)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=42, stratify=y)
    found = search(X_tr, y_tr, schema, time_budget=25, seed=0)
    assert found.repeats == 2 and found.chosen_by == "accuracy"
    chosen = clone(found.best).fit(X_tr, y_tr)
    base = lightgbm_model("multiclass", {}, seed=0, n_jobs=1).fit(X_tr, y_tr)
    accuracy = float(np.mean(chosen.predict(X_te) == y_te.to_numpy()))
    baseline = float(np.mean(base.predict(X_te) == y_te.to_numpy()))
    assert accuracy >= baseline - 2.5 / len(y_te), (found.best_name, accuracy, baseline)


@pytest.mark.slow
def test_a_seed_bag_and_a_weighted_forest_compile_to_a_scoring_plan():
    from tabship.plan import compile_plan
    from tabship.runtime import pipeline_probe
    from tabship.search._cv import cross_validate
    from tabship.search._search import _estimator

    frame = unbalanced_table(200)
    frame["x0"] = pd.qcut(frame["x0"], 4, labels=["low", "mid", "high", "top"]).astype(str)
    cv = table_cv(frame, repeats=1)
    schema = infer_schema(frame, "label")
    X, y, _ = prepare_target(frame, "label", schema.task)
    params = {"n_estimators": 20, "subsample": 0.7, "subsample_freq": 1,
              "class_weight": "balanced"}  # fmt: skip

    def build():
        return lightgbm_model(cv.task, params, seed=0, n_jobs=1)

    first = cross_validate(cv, "native", build, Deadline(60), first_fold_estimate=0)
    assert first is not None
    row = Row("LightGBM (tuned)", "lightgbm", "native", build, params, first,
              scores=cv.fold_scores(cv.metric, first.oof))  # fmt: skip
    bag = seed_bag(cv, row, Deadline(60), seed=0)
    assert bag is not None
    forest = ExtraTreesFamily(cv.task, len(cv.y), seed=0, n_jobs=1, n_trees=10)
    trees = {"max_features": 0.5, "min_samples_leaf": 2, "criterion": "entropy",
             "class_weight": "balanced_subsample"}  # fmt: skip
    forest_row = Row("ExtraTrees (tuned)", "extra_trees", "tree",
                     lambda: forest.estimator(trees, 10), trees, first)  # fmt: skip
    for each in (bag, forest_row):
        model = _estimator(each, schema).fit(X, y)
        assert compile_plan(model, schema, probe=pipeline_probe) is not None, each.name
