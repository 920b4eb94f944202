"""Optuna tuning inside a deadline, and the candidate list it starts from."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tabship.data import infer_schema, prepare_target, read_table
from tabship.features import build_preprocessor
from tabship.search import Deadline
from tabship.search._candidates import baseline_candidates
from tabship.search._cv import CVData
from tabship.search._families import HistGradientBoostingFamily, LightGBMFamily
from tabship.search._tuning import RUNNERS_UP, TRIAL_STOPS, Tuning, tune
from tests.conftest import dataset_path


def insurance_lightgbm() -> tuple[CVData, LightGBMFamily]:
    """Insurance in 3 folds and a one-thread LightGBM family to tune on it."""
    frame = read_table(dataset_path("insurance.csv"))
    schema = infer_schema(frame, "charges")
    X, y, _ = prepare_target(frame, "charges", "regression")
    y = y.to_numpy(dtype=float)
    cv = CVData(X, y, "regression", lambda k: build_preprocessor(schema, k), folds=3, seed=0)
    fam = LightGBMFamily("regression", len(y), classes=None, skewed=True, seed=0, n_jobs=1)
    return cv, fam


@pytest.mark.slow
def test_tune_lightgbm_returns_a_refittable_best_within_the_deadline():
    cv, fam = insurance_lightgbm()
    # A clock that moves 10 ms each time it is read: the deadline runs out after the
    # same reads however busy the machine is (on the real clock, a first trial slowed
    # past 2.5 s at load average 14 was cut and the test failed on time, not behaviour).
    ticks = itertools.count()
    deadline = Deadline(2.5, clock=lambda: next(ticks) * 0.01)
    result = tune(fam, cv, deadline, seed=0, first_trial_estimate=0.1)
    assert result is not None and result.n_trials >= 1
    assert result.name == "LightGBM (tuned)"
    assert result.params["n_estimators"] >= 10
    model = result.build()
    inner = getattr(model, "regressor", model)  # log-target variants wrap the booster
    assert inner.get_params()["n_estimators"] == result.params["n_estimators"]
    assert inner.get_params()["n_jobs"] == 1
    assert not np.isnan(result.cv.oof).any()


@pytest.mark.slow
def test_a_tuning_run_again_goes_on_from_its_last_stop():
    """Time a family's stops left unused is given to it again: the study goes on (its
    trials counted from where it stopped, the starting points not tried twice)."""
    cv, fam = insurance_lightgbm()
    ticks = itertools.count()  # 10 ms a reading, as above

    def clock() -> float:
        return next(ticks) * 0.01

    tuning = Tuning(fam, cv, seed=0, first_trial_estimate=0.1)
    tuning.run(Deadline(1.5, clock=clock))
    first = tuning.n_asked
    assert first in TRIAL_STOPS and first >= 1
    assert not tuning.next_stretch_fits(Deadline(0.0, clock=clock))
    tuning.run(Deadline(10.0, clock=clock))  # three trials or so
    assert tuning.n_asked > first
    import optuna

    asked = [t for t in tuning.study.trials if t.state != optuna.trial.TrialState.WAITING]
    assert len(asked) == tuning.n_asked  # one study, never restarted
    result = tuning.result()
    assert result is not None and result.n_trials == tuning.n_trials > 0


@pytest.mark.slow
def test_a_tuning_run_can_end_at_a_set_trial_count_and_go_on_later():
    """The first pass over LightGBM ends at ``stop_at`` asked trials however much time
    is left (the second family gets it); a later run goes on from there."""
    cv, fam = insurance_lightgbm()
    ticks = itertools.count()  # 10 ms a reading, as above

    def clock() -> float:
        return next(ticks) * 0.01

    tuning = Tuning(fam, cv, seed=0, first_trial_estimate=0.1)
    tuning.run(Deadline(100.0, clock=clock), stop_at=4)
    assert tuning.n_asked == 4 and 4 in TRIAL_STOPS
    tuning.run(Deadline(100.0, clock=clock), stop_at=6)
    assert tuning.n_asked == 6


@pytest.mark.slow
def test_the_runners_up_are_the_next_best_complete_trials_with_their_predictions():
    """After the best trial, the study hands out the next ``RUNNERS_UP`` complete ones,
    best first, each a refittable row named by its trial, its OOF its own."""
    cv, fam = insurance_lightgbm()
    ticks = itertools.count()  # 10 ms a reading, as above
    tuning = Tuning(fam, cv, seed=0, first_trial_estimate=0.1)
    tuning.run(Deadline(100.0, clock=lambda: next(ticks) * 0.01), stop_at=6)
    import optuna

    complete = [t for t in tuning.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) > 1 + RUNNERS_UP
    by_score = sorted(complete, key=lambda t: (-t.value, t.number))  # r2: higher is better
    best, runners_up = tuning.result(), tuning.runners_up()
    assert best is not None and best.cv.oof is tuning.best[2].oof  # type: ignore[index]
    assert [r.name for r in runners_up] == [
        f"LightGBM (trial {t.number + 1})" for t in by_score[1 : 1 + RUNNERS_UP]
    ]
    for trial, found in zip(by_score[1:], runners_up, strict=False):
        assert np.mean(cv.fold_scores(cv.metric, found.cv.oof)) == pytest.approx(trial.value)
        assert not np.array_equal(found.cv.oof, best.cv.oof)
        model = found.build()
        inner = getattr(model, "regressor", model)
        assert inner.get_params()["n_estimators"] == found.params["n_estimators"]


def test_baseline_candidates_add_a_log_target_ridge_only_for_skewed_targets():
    skewed = np.exp(np.random.default_rng(0).normal(size=300))
    symmetric = np.random.default_rng(0).normal(size=300)
    names = [
        c.name for c in baseline_candidates("regression", skewed, seed=0, n_jobs=1, n_rows=300)
    ]
    assert names[0] == "LightGBM"
    assert "Ridge (log target)" in names
    plain = baseline_candidates("regression", symmetric, seed=0, n_jobs=1, n_rows=300)
    assert "Ridge (log target)" not in [c.name for c in plain]
    labels = np.array(["a", "b"] * 150, dtype=object)
    families = {
        c.family for c in baseline_candidates("binary", labels, seed=0, n_jobs=1, n_rows=300)
    }
    assert families == {
        "lightgbm", "linear", "decision_tree", "hist_gradient_boosting", "extra_trees",
        "random_forest",
    }  # fmt: skip


class FixedTrial:
    """An Optuna trial stand-in that answers every suggestion with the low end."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def suggest_float(self, name, low, high, *, log=False):
        self.asked.append(name)
        return low

    def suggest_int(self, name, low, high, *, log=False):
        self.asked.append(name)
        return low

    def suggest_categorical(self, name, choices):
        self.asked.append(name)
        return choices[-1]


def test_lightgbm_family_space_starts_and_final_estimator():
    fam = LightGBMFamily("binary", 800, classes=np.array(["a", "b"]), skewed=False, seed=3,
                         n_jobs=2, lr_min=0.02)  # fmt: skip
    assert (fam.name, fam.family, fam.kind, fam.rounds_param) == (
        "LightGBM", "lightgbm", "native", "n_estimators",
    )  # fmt: skip
    trial = FixedTrial()
    params = fam.suggest(trial)
    assert trial.asked == [
        "learning_rate", "num_leaves", "min_child_samples", "subsample", "colsample_bytree",
        "reg_lambda", "reg_alpha", "cat_smooth",
    ]  # fmt: skip
    assert params["learning_rate"] == 0.02 and "log_target" not in params
    assert [s["num_leaves"] for s in fam.starts] == [31, 15, 7]
    assert [s["min_child_samples"] for s in fam.starts] == [20, 10, 5]
    model = fam.estimator(fam.starts[0], 77)
    got = model.get_params()
    assert (got["n_estimators"], got["subsample_freq"], got["random_state"], got["n_jobs"]) == (
        77, 1, 3, 2,
    )  # fmt: skip


def test_defaults_the_screening_measured_are_not_tried_again():
    def starts(n_rows: int, skewed: bool) -> list[tuple[int, bool]]:
        task, classes = ("regression", None) if skewed else ("binary", np.array(["a", "b"]))
        fam = LightGBMFamily(task, n_rows, classes=classes, skewed=skewed, seed=0, n_jobs=1,
                             defaults_screened=True)  # fmt: skip
        return [(s["num_leaves"], s.get("log_target", False)) for s in fam.starts]

    assert starts(800, skewed=False) == [(15, False), (7, False)]
    # On a skewed target the defaults' log-target twin is new: it stays first.
    assert starts(800, skewed=True) == [(31, True), (15, False), (15, True), (7, False)]
    # On 200 rows the first start is not LightGBM's defaults (at most 25 leaves): kept.
    assert starts(200, skewed=False) == [(25, False), (15, False), (7, False)]


def test_skewed_families_also_try_a_log_target():
    lgbm = LightGBMFamily("regression", 100, classes=None, skewed=True, seed=0, n_jobs=1)
    assert [s["log_target"] for s in lgbm.starts] == [False, True, False, True]
    trial = FixedTrial()
    assert lgbm.suggest(trial)["log_target"] is True and trial.asked[-1] == "log_target"
    assert type(lgbm.estimator({**lgbm.starts[1]}, 10)).__name__ == "LogTargetRegressor"
    hgb = HistGradientBoostingFamily("regression", 100, skewed=True, seed=0)
    assert hgb.starts == [
        {"learning_rate": 0.1, "max_leaf_nodes": 12, "min_samples_leaf": 5,
         "l2_regularization": 1e-3, "max_features": 1.0},
    ]  # fmt: skip
    model = hgb.estimator({**hgb.starts[0], "log_target": False}, 40)
    assert model.get_params()["max_iter"] == 40 and model.get_params()["early_stopping"] is False


@pytest.mark.parametrize(
    ("asked", "estimate", "fits"),
    [
        (5, 1.0, True),  # between two stops one more trial only needs to fit: 1 s < 10 s
        (5, 9.9, True),
        (5, 10.0, False),  # the deadline is the safety stop
        (4, 4.0, True),  # at a stop (4), the stretch to the next one (6) must fit, 15 % spare
        (4, 4.4, False),  # 2 x 4.4 x 1.15 = 10.1 s > 10 s: stop at 4 trials
        (17, 2.8, True),  # 17 -> 20: 3 x 2.8 x 1.15 = 9.7 s
        (17, 3.0, False),  # 10.4 s: stop at 17, though 3 more trials would nearly fit
    ],
)
def test_tuning_stops_only_at_set_trial_counts_unless_the_deadline_says_so(asked, estimate, fits):
    from tabship.search._tuning import _next_trial_fits

    assert 4 in TRIAL_STOPS and 6 in TRIAL_STOPS and 5 not in TRIAL_STOPS
    deadline = Deadline(10.0, clock=lambda: 0.0)  # a stopped clock
    assert _next_trial_fits(deadline, asked, estimate) is fits


def test_trial_stops_grow_by_about_twenty_percent_from_eight_on():
    stops = TRIAL_STOPS[6:-1]
    assert stops[0] == 8 and list(stops) == sorted(set(stops))
    assert all(1.15 <= b / a <= 1.25 for a, b in zip(stops, stops[1:], strict=False))


def test_the_learning_rate_floor_does_not_move_with_timing_noise():
    from tabship.search._tuning_stage import _LEARNING_RATE_FLOORS, _smallest_learning_rate

    # 10 % slower or faster default trials: the same floor, so the same Optuna space
    floors = {_smallest_learning_rate(100.0, seconds) for seconds in (1.6, 1.7, 1.8)}
    assert len(floors) == 1
    assert floors == {0.05}  # 2.25 / 59 trials = 0.038, rounded up
    assert set(_LEARNING_RATE_FLOORS) >= floors
    assert _smallest_learning_rate(30.0, 0.0) == 0.01
    assert _smallest_learning_rate(1.0, 10.0) == 0.1
