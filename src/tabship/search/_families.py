"""The model families the search tunes: each one's space, first guesses and fold fit.

A family is a small class: ``suggest`` draws one trial's parameters from Optuna,
``starts`` are the settings enqueued before the sampler takes over, ``fit_predict`` fits
one fold with early stopping on its validation rows, and ``estimator`` builds the model
refitted on all rows with the boosting rounds the folds found. The tuning loop itself
(``_tuning.py``) knows nothing of any one family.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from tabship.features import Kind
from tabship.search._budget import Deadline
from tabship.search._candidates import lightgbm_model, log_target
from tabship.search._cv import CVData, fit_quietly, tree_nodes

if TYPE_CHECKING:
    from optuna.trial import Trial

__all__ = [
    "ExtraTreesFamily",
    "Family",
    "FoldData",
    "FoldFit",
    "HistGradientBoostingFamily",
    "LightGBMFamily",
    "RandomForestFamily",
]

_MAX_ROUNDS = 2000

Predictor = Callable[[CVData, Any], np.ndarray]


class FoldData(NamedTuple):
    """One fold's preprocessed training and validation rows."""

    X_train: Any
    y_train: np.ndarray
    X_val: Any
    y_val: np.ndarray


class FoldFit(NamedTuple):
    """One fold's fitted model as a predictor, its boosting rounds, and whether time ran out."""

    predict: Predictor
    rounds: int
    timed_out: bool
    tree_nodes: int = 0  # see ``CVResult.tree_nodes``


class Family(ABC):
    """How to tune one model family: its space, its first guesses, its fold fit."""

    name: ClassVar[str]
    family: ClassVar[str]
    rounds_param: ClassVar[str]
    kind: ClassVar[Kind] = "native"
    # Whether a fold's fit runs on one thread, so that folds may run side by side.
    parallel_folds: ClassVar[bool] = True

    def __init__(self, task: str, *, skewed: bool, seed: int) -> None:
        self.task = task
        self.skewed = skewed
        self.seed = seed
        self.starts: list[dict[str, Any]] = []

    @abstractmethod
    def suggest(self, trial: Trial) -> dict[str, Any]:
        """One trial's parameters, drawn from the family's space."""

    @abstractmethod
    def estimator(self, params: dict[str, Any], rounds: int) -> Any:
        """The unfitted model for ``params`` with ``rounds`` boosting rounds, no early stop."""

    @abstractmethod
    def fit_predict(
        self, params: dict[str, Any], fold: FoldData, deadline: Deadline, fold_cap: float
    ) -> FoldFit:
        """Fit one fold, stopping early on its validation rows, at the deadline or after
        ``fold_cap`` seconds."""

    def final_rounds(self, rounds: list[int]) -> int:
        """The refit's rounds from each fold's best: a little more, as it sees more rows."""
        return max(10, int(np.mean(rounds) * 1.1) + 1)

    def _suggest_log_target(self, trial: Trial, params: dict[str, Any]) -> dict[str, Any]:
        """A skewed positive target also tries the model on log1p(y)."""
        if self.skewed:
            params["log_target"] = trial.suggest_categorical("log_target", [False, True])
        return params


def _without_log_target(params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The model's own parameters, and whether it fits on log1p(y)."""
    p = dict(params)
    return p, bool(p.pop("log_target", False))


def _fit_targets(fold: FoldData, use_log: bool) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation targets, on the log scale when the model fits there."""
    if use_log:
        return np.log1p(fold.y_train), np.log1p(fold.y_val)
    return fold.y_train, fold.y_val


# --- LightGBM -------------------------------------------------------------------------


class LightGBMFamily(Family):
    """LightGBM's space: leaves, learning rate, leaf size, row/column sampling, penalties.

    ``classes`` are the sorted labels of a classification target (None for regression).
    ``lr_min`` bounds the learning rate from below so that trials stay affordable.
    """

    name = "LightGBM"
    family = "lightgbm"
    rounds_param = "n_estimators"

    def __init__(
        self,
        task: str,
        n_rows: int,
        *,
        classes: Any,
        skewed: bool,
        seed: int,
        n_jobs: int,
        lr_min: float = 0.01,
        class_weights: bool = False,
        defaults_screened: bool = False,
    ) -> None:
        super().__init__(task, skewed=skewed, seed=seed)
        self.classes = classes
        self.n_jobs = n_jobs
        self.lr_min = lr_min
        self.class_weights = class_weights and classes is not None
        self.defaults_screened = defaults_screened
        self.max_leaves = int(np.clip(n_rows // 8, 8, 256))
        self.max_child = int(np.clip(n_rows // 20, 5, 100))
        self.starts = self._starts()

    def suggest(self, trial: Trial) -> dict[str, Any]:
        params: dict[str, Any] = {
            "learning_rate": trial.suggest_float("learning_rate", self.lr_min, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 4, self.max_leaves, log=True),
            "min_child_samples": trial.suggest_int(
                "min_child_samples", 2, self.max_child, log=True
            ),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30.0, log=True),
            "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 50.0, log=True),
        }
        if self.class_weights:
            params["class_weight"] = trial.suggest_categorical("class_weight", [None, "balanced"])
        return self._suggest_log_target(trial, params)

    def estimator(self, params: dict[str, Any], rounds: int) -> Any:
        p, use_log = _without_log_target(params)
        model = self._model(p, rounds)
        return log_target(model) if use_log else model

    def fit_predict(
        self, params: dict[str, Any], fold: FoldData, deadline: Deadline, fold_cap: float
    ) -> FoldFit:
        import lightgbm as lgb

        p, use_log = _without_log_target(params)
        model = self._model(p, _MAX_ROUNDS)
        y_fit, y_eval = _fit_targets(fold, use_log)
        if self.classes is not None:  # LightGBM does not encode text labels of an eval set
            y_fit = np.searchsorted(self.classes, fold.y_train)
            y_eval = np.searchsorted(self.classes, fold.y_val)
        patience = int(np.clip(2.0 / p["learning_rate"], 20, 60))
        # On separable classes the log loss creeps towards 0 for thousands of rounds.
        min_delta = 0.0 if self.task == "regression" else 1e-3
        stopped = _DeadlineStop(deadline, fold_cap)
        model.fit(
            fold.X_train,
            y_fit,
            eval_X=(fold.X_val,),
            eval_y=(y_eval,),
            callbacks=[lgb.early_stopping(patience, verbose=False, min_delta=min_delta), stopped],
        )
        n_rounds = int(model.best_iteration_ or model.n_estimators)
        return FoldFit(_predictor(model, use_log), n_rounds, stopped.fired)

    def _model(self, params: dict[str, Any], rounds: int) -> Any:
        return lightgbm_model(
            self.task,
            {**params, "n_estimators": rounds, "subsample_freq": 1},
            seed=self.seed,
            n_jobs=self.n_jobs,
        )

    def _starts(self) -> list[dict[str, Any]]:
        """LightGBM's defaults, then two settings that often do better; on a skewed
        target each on y and on log1p(y).

        The defaults are left out when the screening has measured them already (its
        "LightGBM" row): that trial scored about what the screening had, and on a big table
        it was one of very few (diamonds at 60 s: one of two). Their log-target twin stays.
        Measured at 60 s on the bench's split: insurance r2 0.8780 -> 0.8813, adult ROC
        AUC 0.9304 -> 0.9317, college_scorecard r2 0.8483 -> 0.8501."""
        max_leaves, max_child, lr_min = self.max_leaves, self.max_child, self.lr_min
        keys = ("learning_rate", "num_leaves", "min_child_samples", "subsample",
                "colsample_bytree", "reg_lambda", "reg_alpha", "cat_smooth")  # fmt: skip
        values = [
            (0.1, min(31, max_leaves), min(20, max_child), 1.0, 1.0, 1e-3, 1e-3, 10.0),
            (max(0.05, lr_min), min(15, max_leaves), min(10, max_child), 0.8, 0.7, 1.0, 1e-3,
             10.0),
            (max(0.05, lr_min), 7, 5, 0.8, 0.8, 3.0, 1e-3, 5.0),
        ]  # fmt: skip
        starts: list[dict[str, Any]] = [dict(zip(keys, v, strict=True)) for v in values]
        if self.class_weights:
            starts = [{**s, "class_weight": None} for s in starts]
        if self.skewed:
            starts = [{**s, "log_target": flag} for s in starts for flag in (False, True)]
        if self.defaults_screened and values[0][1:3] == (31, 20):
            starts = starts[1:]
        return starts[:4]


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


def _predictor(model: Any, use_log: bool) -> Predictor:
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


class HistGradientBoostingFamily(Family):
    """HistGradientBoosting's space; early stopping on the validation fold (``X_val``)."""

    name = "HistGradientBoosting"
    family = "hist_gradient_boosting"
    rounds_param = "max_iter"

    def __init__(self, task: str, n_rows: int, *, skewed: bool, seed: int) -> None:
        super().__init__(task, skewed=skewed, seed=seed)
        self.max_leaves = int(np.clip(n_rows // 8, 8, 128))
        self.max_leaf = int(np.clip(n_rows // 20, 5, 100))
        self.starts = [
            {
                "learning_rate": 0.1,
                "max_leaf_nodes": min(31, self.max_leaves),
                "min_samples_leaf": min(20, self.max_leaf),
                "l2_regularization": 1e-3,
                "max_features": 1.0,
            }
        ]

    def suggest(self, trial: Trial) -> dict[str, Any]:
        params: dict[str, Any] = {
            "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True),
            "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, self.max_leaves, log=True),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 2, self.max_leaf, log=True),
            "l2_regularization": trial.suggest_float("l2_regularization", 1e-3, 10.0, log=True),
            "max_features": trial.suggest_float("max_features", 0.3, 1.0),
        }
        return self._suggest_log_target(trial, params)

    def estimator(self, params: dict[str, Any], rounds: int) -> Any:
        model, use_log = self._model(params, max_iter=rounds, early_stopping=False)
        return log_target(model) if use_log else model

    def fit_predict(
        self, params: dict[str, Any], fold: FoldData, deadline: Deadline, fold_cap: float
    ) -> FoldFit:
        # A HistGradientBoosting fit cannot be cut short: ``fold_cap`` is not enforced.
        model, use_log = self._model(
            params, max_iter=500, early_stopping=True, n_iter_no_change=20, scoring="loss"
        )
        y_fit, y_eval = _fit_targets(fold, use_log)
        fit_quietly(model, fold.X_train, y_fit, X_val=fold.X_val, y_val=y_eval)
        return FoldFit(_predictor(model, use_log), int(model.n_iter_), deadline.remaining() <= 0)

    def _model(self, params: dict[str, Any], **extra: Any) -> tuple[Any, bool]:
        from sklearn import ensemble

        p, use_log = _without_log_target(params)
        cls = (
            ensemble.HistGradientBoostingRegressor
            if self.task == "regression"
            else ensemble.HistGradientBoostingClassifier
        )
        return cls(random_state=self.seed, **p, **extra), use_log


# --- Forests --------------------------------------------------------------------------


class _ForestFamily(Family):
    """A forest's space: features per split, leaf size, split criterion, class weights.

    On small tables averaged deep trees often beat boosting (FLAML tunes both forests),
    and their screening row runs scikit-learn's defaults only. A forest has no rounds
    to stop early on: every trial fits ``n_trees`` trees, and so does the refit.
    """

    rounds_param = "n_estimators"
    kind: ClassVar[Kind] = "tree"
    parallel_folds: ClassVar[bool] = False  # its trees are built on ``n_jobs`` threads
    estimator_name: ClassVar[str]

    def __init__(self, task: str, n_rows: int, *, seed: int, n_jobs: int, n_trees: int) -> None:
        super().__init__(task, skewed=False, seed=seed)
        self.n_jobs = n_jobs
        self.n_trees = n_trees
        self.max_leaf = int(np.clip(n_rows // 50, 2, 20))
        first: dict[str, Any] = {"max_features": 0.5, "min_samples_leaf": 1}
        if task != "regression":
            first |= {"criterion": "gini", "class_weight": None}
        self.starts = [first]

    def suggest(self, trial: Trial) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_features": trial.suggest_float("max_features", 0.1, 1.0),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, self.max_leaf, log=True),
        }
        if self.task != "regression":
            params["criterion"] = trial.suggest_categorical("criterion", ["gini", "entropy"])
            params["class_weight"] = trial.suggest_categorical(
                "class_weight", [None, "balanced_subsample"]
            )
        return params

    def estimator(self, params: dict[str, Any], rounds: int) -> Any:
        from sklearn import ensemble

        suffix = "Regressor" if self.task == "regression" else "Classifier"
        cls = getattr(ensemble, self.estimator_name + suffix)
        return cls(n_estimators=rounds, n_jobs=self.n_jobs, random_state=self.seed, **params)

    def fit_predict(
        self, params: dict[str, Any], fold: FoldData, deadline: Deadline, fold_cap: float
    ) -> FoldFit:
        # A forest's fit cannot be cut short: ``fold_cap`` is not enforced.
        model = fit_quietly(self.estimator(params, self.n_trees), fold.X_train, fold.y_train)
        return FoldFit(
            lambda cv, X: cv.prediction(model, X), self.n_trees, deadline.remaining() <= 0,
            tree_nodes(model),
        )  # fmt: skip

    def final_rounds(self, rounds: list[int]) -> int:
        return self.n_trees


class ExtraTreesFamily(_ForestFamily):
    name = "ExtraTrees"
    family = "extra_trees"
    estimator_name = "ExtraTrees"


class RandomForestFamily(_ForestFamily):
    name = "RandomForest"
    family = "random_forest"
    estimator_name = "RandomForest"
