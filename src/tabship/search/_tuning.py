"""Optuna tuning of the gradient-boosting families, inside the search's deadline.

Each trial is scored like a leaderboard row: the mean of the primary metric over the
search's folds. Boosting rounds are not tuned directly: every fold trains up to a cap
and stops early on its validation fold, and the refit model uses the mean best round
count (a little more, as it sees more rows). That lets one trial try a small learning
rate without paying for a fixed large ``n_estimators``. Time is guarded at three
levels: a trial whose expected length does not fit is not started, a fold that does not
fit is not started, and LightGBM checks the clock after every boosting round.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tabship.evaluate import greater_is_better
from tabship.search._budget import Deadline
from tabship.search._candidates import lightgbm_model, log_target
from tabship.search._cv import CVData, CVResult, fit_quietly

__all__ = ["TunedResult", "hgb_family", "lightgbm_family", "tune"]

_MAX_ROUNDS = 2000


@dataclass
class Family:
    """How to tune one model family: its space, its first guesses, its fold fit."""

    name: str
    family: str
    fit_predict: Callable[..., tuple[np.ndarray, int, bool]]
    suggest: Callable[[Any], dict[str, Any]]
    starts: list[dict[str, Any]]
    final: Callable[[dict[str, Any], int], Any]
    rounds_param: str
    kind: str = "native"


@dataclass
class TunedResult:
    """The best trial of one family, ready to become a leaderboard row."""

    name: str
    family: str
    kind: str
    params: dict[str, Any]
    build: Callable[[], Any]
    cv: CVResult
    n_trials: int


def tune(
    fam: Family,
    cv: CVData,
    deadline: Deadline,
    *,
    seed: int,
    first_trial_estimate: float,
) -> TunedResult | None:
    """Run trials of ``fam`` until ``deadline``; the best complete trial, if any."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    maximize = greater_is_better(cv.metric)
    study = optuna.create_study(
        direction="maximize" if maximize else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    for params in fam.starts:
        study.enqueue_trial(params)
    best: tuple[float, dict[str, Any], CVResult] | None = None
    durations: list[float] = []
    n_trials = 0
    while deadline.allows(_trial_estimate(durations, first_trial_estimate)):
        trial = study.ask()
        params = fam.suggest(trial)
        started = time.perf_counter()
        outcome = _run_trial(fam, cv, params, trial, deadline, durations, first_trial_estimate)
        if outcome is None:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            if deadline.remaining() <= 0:
                break
            continue
        value, result = outcome
        study.tell(trial, value)
        durations.append(time.perf_counter() - started)
        n_trials += 1
        if best is None or (value > best[0] if maximize else value < best[0]):
            best = (value, params, result)
    if best is None:
        return None
    _, params, result = best
    rounds = max(10, int(np.mean(result.extra["rounds"]) * 1.1) + 1)
    final_params = {**params, fam.rounds_param: rounds}
    return TunedResult(
        name=f"{fam.name} (tuned)",
        family=fam.family,
        kind=fam.kind,
        params=final_params,
        build=lambda: fam.final(params, rounds),
        cv=result,
        n_trials=n_trials,
    )


def _trial_estimate(durations: list[float], first: float) -> float:
    """Expected length of the next trial: the median of recent complete ones."""
    if not durations:
        return first
    return statistics.median(durations[-5:])


def _run_trial(
    fam: Family,
    cv: CVData,
    params: dict[str, Any],
    trial: Any,
    deadline: Deadline,
    durations: list[float],
    first_trial_estimate: float,
) -> tuple[float, CVResult] | None:
    """Fold by fold with pruning; None when pruned or stopped by the deadline."""
    oof = cv.empty_oof()
    rounds: list[int] = []
    fit_total = predict_total = model_total = 0.0
    fold_estimate = _trial_estimate(durations, first_trial_estimate) / cv.n_folds
    # A configuration that trains far longer than the typical one (a tiny learning rate
    # crawling towards a separable optimum) is cut and pruned: it would starve the rest.
    fold_cap = max(1.0, 4.0 * fold_estimate) if durations else float("inf")
    seen: list[np.ndarray] = []
    for i, (train, val) in enumerate(cv.splits):
        if not deadline.allows(fold_estimate):
            return None
        Xt_train, Xt_val, prep_fit, prep_val = cv.fold(fam.kind, i)
        started = time.perf_counter()
        pred, n_rounds, timed_out, fit_seconds = _timed_fold(
            fam, params, Xt_train, cv.y[train], Xt_val, cv.y[val], (deadline, fold_cap), cv
        )
        if timed_out:
            return None
        oof[val] = pred
        rounds.append(n_rounds)
        fit_total += prep_fit + fit_seconds
        predict_total += prep_val + (time.perf_counter() - started - fit_seconds)
        model_total += time.perf_counter() - started
        fold_estimate = max(fold_estimate, time.perf_counter() - started)
        seen.append(val)
        trial.report(cv.score(cv.metric, oof, np.concatenate(seen)), i)
        if trial.should_prune():
            return None
    value = float(np.mean(cv.fold_scores(cv.metric, oof)))
    result = CVResult(
        oof=oof,
        fit_seconds=fit_total / cv.n_folds,
        predict_us_per_row=1e6 * predict_total / len(cv.y),
        model_seconds=model_total / cv.n_folds,
        extra={"rounds": rounds},
    )
    return value, result


def _timed_fold(
    fam: Family,
    params: dict[str, Any],
    X_train: Any,
    y_train: np.ndarray,
    X_val: Any,
    y_val: np.ndarray,
    limits: tuple[Deadline, float],
    cv: CVData,
) -> tuple[np.ndarray, int, bool, float]:
    started = time.perf_counter()
    model, n_rounds, timed_out = fam.fit_predict(params, X_train, y_train, X_val, y_val, limits)
    fit_seconds = time.perf_counter() - started
    if timed_out:
        return np.empty(0), 0, True, fit_seconds
    return model(cv, X_val), n_rounds, False, fit_seconds


# --- LightGBM -------------------------------------------------------------------------


def lightgbm_family(
    task: str,
    n_rows: int,
    *,
    classes: Any,
    skewed: bool,
    seed: int,
    n_jobs: int,
    lr_min: float = 0.01,
) -> Family:
    """LightGBM's space: leaves, learning rate, leaf size, row/column sampling, penalties.

    ``classes`` are the sorted labels of a classification target (None for regression).
    ``lr_min`` bounds the learning rate from below so that trials stay affordable.
    """
    max_leaves = int(np.clip(n_rows // 8, 8, 256))
    max_child = int(np.clip(n_rows // 20, 5, 100))

    def suggest(trial: Any) -> dict[str, Any]:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", lr_min, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, max_leaves, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 2, max_child, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30.0, log=True),
            "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 50.0, log=True),
        }
        if skewed:
            params["log_target"] = trial.suggest_categorical("log_target", [False, True])
        return params

    def estimator(params: dict[str, Any], rounds: int) -> Any:
        p = dict(params)
        use_log = p.pop("log_target", False)
        model = lightgbm_model(
            task, {**p, "n_estimators": rounds, "subsample_freq": 1}, seed=seed, n_jobs=n_jobs
        )
        return log_target(model) if use_log else model

    def fit_predict(params, X_train, y_train, X_val, y_val, limits):  # type: ignore[no-untyped-def]
        import lightgbm as lgb

        p = dict(params)
        use_log = p.pop("log_target", False)
        model = lightgbm_model(
            task, {**p, "n_estimators": _MAX_ROUNDS, "subsample_freq": 1}, seed=seed, n_jobs=n_jobs
        )
        y_fit, y_eval = (np.log1p(y_train), np.log1p(y_val)) if use_log else (y_train, y_val)
        if classes is not None:  # LightGBM does not encode text labels of an eval set
            y_fit, y_eval = np.searchsorted(classes, y_train), np.searchsorted(classes, y_val)
        patience = int(np.clip(2.0 / p["learning_rate"], 20, 60))
        # On separable classes the log loss creeps towards 0 for thousands of rounds.
        min_delta = 0.0 if task == "regression" else 1e-3
        stopped = _DeadlineStop(*limits)
        model.fit(
            X_train,
            y_fit,
            eval_X=(X_val,),
            eval_y=(y_eval,),
            callbacks=[lgb.early_stopping(patience, verbose=False, min_delta=min_delta), stopped],
        )
        n_rounds = int(model.best_iteration_ or model.n_estimators)
        return _predictor(model, use_log), n_rounds, stopped.fired

    keys = ("learning_rate", "num_leaves", "min_child_samples", "subsample",
            "colsample_bytree", "reg_lambda", "reg_alpha", "cat_smooth")  # fmt: skip
    values = [  # LightGBM's defaults, then two settings that often do better
        (0.1, min(31, max_leaves), min(20, max_child), 1.0, 1.0, 1e-3, 1e-3, 10.0),
        (max(0.05, lr_min), min(15, max_leaves), min(10, max_child), 0.8, 0.7, 1.0, 1e-3, 10.0),
        (max(0.05, lr_min), 7, 5, 0.8, 0.8, 3.0, 1e-3, 5.0),
    ]
    starts = [dict(zip(keys, v, strict=True)) for v in values]
    if skewed:
        starts = [{**s, "log_target": flag} for s in starts for flag in (False, True)][:4]
    return Family("LightGBM", "lightgbm", fit_predict, suggest, starts, estimator, "n_estimators")


class _DeadlineStop:
    """A LightGBM callback ending training at the deadline or after ``cap`` seconds."""

    order = 40

    def __init__(self, deadline: Deadline, cap: float) -> None:
        self.deadline = deadline
        self.stop_at = time.perf_counter() + cap
        self.fired = False

    def __call__(self, env: Any) -> None:
        import lightgbm as lgb

        if self.deadline.remaining() <= 0 or time.perf_counter() > self.stop_at:
            self.fired = True
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


def _predictor(model: Any, use_log: bool) -> Callable[[CVData, Any], np.ndarray]:
    def predict(cv: CVData, X: Any) -> np.ndarray:
        if use_log:
            return np.expm1(np.asarray(model.predict(X), dtype=float))
        if cv.classes is not None and np.issubdtype(np.asarray(model.classes_).dtype, np.integer):
            proba = np.zeros((len(X), len(cv.classes)))
            proba[:, model.classes_] = model.predict_proba(X)
            return proba
        return cv.prediction(model, X)

    return predict


# --- HistGradientBoosting -------------------------------------------------------------


def hgb_family(task: str, n_rows: int, *, skewed: bool, seed: int) -> Family:
    """HistGradientBoosting's space; early stopping on the validation fold (``X_val``)."""
    max_leaves = int(np.clip(n_rows // 8, 8, 128))
    max_leaf = int(np.clip(n_rows // 20, 5, 100))

    def suggest(trial: Any) -> dict[str, Any]:
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, max_leaves, log=True),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 2, max_leaf, log=True),
            "l2_regularization": trial.suggest_float("l2_regularization", 1e-3, 10.0, log=True),
            "max_features": trial.suggest_float("max_features", 0.3, 1.0),
        }
        if skewed:
            params["log_target"] = trial.suggest_categorical("log_target", [False, True])
        return params

    def model_of(params: dict[str, Any], **extra: Any) -> tuple[Any, bool]:
        from sklearn import ensemble

        p = dict(params)
        use_log = p.pop("log_target", False)
        cls = (
            ensemble.HistGradientBoostingRegressor
            if task == "regression"
            else ensemble.HistGradientBoostingClassifier
        )
        return cls(random_state=seed, **p, **extra), use_log

    def estimator(params: dict[str, Any], rounds: int) -> Any:
        model, use_log = model_of(params, max_iter=rounds, early_stopping=False)
        return log_target(model) if use_log else model

    def fit_predict(params, X_train, y_train, X_val, y_val, limits):  # type: ignore[no-untyped-def]
        deadline, _ = limits  # a HistGradientBoosting fit cannot be cut short
        model, use_log = model_of(
            params, max_iter=500, early_stopping=True, n_iter_no_change=20, scoring="loss"
        )
        y_fit, y_eval = (np.log1p(y_train), np.log1p(y_val)) if use_log else (y_train, y_val)
        fit_quietly(model, X_train, y_fit, X_val=X_val, y_val=y_eval)
        return _predictor(model, use_log), int(model.n_iter_), deadline.remaining() <= 0

    starts = [
        {
            "learning_rate": 0.1,
            "max_leaf_nodes": min(31, max_leaves),
            "min_samples_leaf": min(20, max_leaf),
            "l2_regularization": 1e-3,
            "max_features": 1.0,
        }
    ]
    return Family("HistGradientBoosting", "hist_gradient_boosting", fit_predict, suggest, starts,
                  estimator, "max_iter")  # fmt: skip
