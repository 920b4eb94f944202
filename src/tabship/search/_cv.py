"""Cross-validation that keeps out-of-fold predictions and stops at the deadline.

All candidates share one set of folds, and each fold's preprocessing is fitted once per
kind and cached: the model is the only thing refitted per candidate or tuning trial, so
a trial costs a model fit, not a pipeline fit. Out-of-fold (OOF) predictions are kept
for every candidate because the ensemble is chosen from them. Classification OOF
predictions are probabilities with one column per class of the whole target, in sorted
order, whatever classes a fold's model happened to see.

On small tables the folds are repeated with other shuffles (``repeats``): one 5-fold
split of 300 rows scores a candidate on 60-row folds whose luck can outweigh the
difference between two models. The OOF array then holds one prediction per repeat,
``(repeats, rows[, classes])``, and a score is the mean of the repeats' scores, each on
that repeat's own predictions: averaging the predictions of the repeats first would score
a bag of models the final refit is not, and flatter high-variance models.

When the fits are single-threaded (``workers`` > 1: LightGBM and HistGradientBoosting on
up to 200,000 rows, see ``lightgbm_threads``) the folds run ``workers`` at a time, one
per thread (``fold_groups``, ``run_together``): the libraries release the GIL while they
fit, each fold is the same computation as alone, so the results do not change, and on
two idle cores a 3-fold candidate takes about two fold times instead of three.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from tabship.evaluate import PRIMARY_METRIC, metric_value
from tabship.features import Kind
from tabship.search._budget import Deadline
from tabship.search._candidates import openmp_threads, openmp_threads_here

__all__ = [
    "CVData",
    "CVResult",
    "FoldOutcome",
    "cross_validate",
    "cv_result",
    "fit_quietly",
    "fold_groups",
    "run_together",
    "secondary_metric",
    "summed_costs",
    "tree_nodes",
    "trial_seconds",
]

T = TypeVar("T")
_IN_GROUP = threading.local()  # set in the threads ``run_together`` starts


def secondary_metric(task: str) -> str:
    """The second metric on the leaderboard: RMSE for regression, accuracy otherwise."""
    return "rmse" if task == "regression" else "accuracy"


@dataclass
class CVResult:
    """Out-of-fold predictions of one model and what they cost."""

    oof: np.ndarray
    fit_seconds: float
    predict_us_per_row: float
    model_seconds: float = 0.0
    # Decision-tree nodes of one fold's model (forests: all their trees'), what its
    # saved artifact grows with; 0 for boosting, whose saved form is small.
    tree_nodes: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class CVData:
    """The folds of one search, with per-kind preprocessing fitted once per fold."""

    def __init__(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        task: str,
        make_prep: Callable[[Kind], Any],
        *,
        folds: int,
        seed: int,
        repeats: int = 1,
        workers: int = 1,
    ) -> None:
        self.X = X
        self.y = y
        self.task = task
        self.metric = PRIMARY_METRIC[task]
        self.classes = None if task == "regression" else np.unique(y)
        # Metrics on integer codes: sklearn is many times slower on text labels, and the
        # ensemble step scores thousands of blends.
        self._codes = y if self.classes is None else np.searchsorted(self.classes, y)
        self._code_classes = None if self.classes is None else list(range(len(self.classes)))
        self._make_prep = make_prep
        self.n_folds = folds
        self.repeats = repeats
        self.workers = max(1, workers)
        self.splits = [
            split for r in range(repeats) for split in _splitter(task, folds, seed + r).split(X, y)
        ]
        self._cache: dict[tuple[str, int], tuple[Any, Any, float, float]] = {}

    @property
    def n_splits(self) -> int:
        """Fits per candidate: folds times repeats."""
        return len(self.splits)

    def fold(self, kind: Kind, i: int) -> tuple[Any, Any, float, float]:
        """(X_train, X_val, prep fit seconds, val transform seconds) of fold ``i``."""
        key = (kind, i)
        if key not in self._cache:
            train, val = self.splits[i]
            started = time.perf_counter()
            prep = self._make_prep(kind)
            Xt_train = prep.fit_transform(self.X.iloc[train], self.y[train])
            fitted = time.perf_counter()
            Xt_val = prep.transform(self.X.iloc[val])
            done = time.perf_counter()
            self._cache[key] = (Xt_train, Xt_val, fitted - started, done - fitted)
        return self._cache[key]

    def is_cached(self, kind: Kind, i: int) -> bool:
        return (kind, i) in self._cache

    def empty_oof(self) -> np.ndarray:
        """NaN predictions of shape ``(repeats, rows[, classes])``."""
        if self.classes is None:
            return np.full((self.repeats, len(self.y)), np.nan)
        return np.full((self.repeats, len(self.y), len(self.classes)), np.nan)

    def put(self, oof: np.ndarray, i: int, prediction: np.ndarray) -> None:
        """Store split ``i``'s prediction of its validation rows in its repeat's slice."""
        oof[i // self.n_folds, self.splits[i][1]] = prediction

    def prediction(self, model: Any, X_val: Any) -> np.ndarray:
        """Predicted values, or probabilities aligned to the classes of the whole target."""
        if self.classes is None:
            return np.asarray(model.predict(X_val), dtype=float)
        proba = np.asarray(model.predict_proba(X_val), dtype=float)
        aligned = np.zeros((proba.shape[0], len(self.classes)))
        columns = np.searchsorted(self.classes, np.asarray(model.classes_))
        aligned[:, columns] = proba
        return aligned

    def score(self, metric: str, oof: np.ndarray) -> float:
        """``metric`` of ``oof`` on all rows: the mean over the repeats."""
        return float(np.mean([self._score(metric, part) for part in oof]))

    def seen_score(self, metric: str, oof: np.ndarray, i: int) -> float:
        """``metric`` on the rows of split ``i`` and the earlier splits of its repeat."""
        first = i - i % self.n_folds
        rows = np.concatenate([val for _, val in self.splits[first : i + 1]])
        return self._score(metric, oof[i // self.n_folds], rows)

    def fold_scores(self, metric: str, oof: np.ndarray) -> list[float]:
        """One score per split, each on its repeat's predictions of its validation rows."""
        return [
            self._score(metric, oof[i // self.n_folds], val)
            for i, (_, val) in enumerate(self.splits)
        ]

    def _score(self, metric: str, part: np.ndarray, rows: np.ndarray | None = None) -> float:
        if rows is None:
            return metric_value(metric, self._codes, part, classes=self._code_classes)
        return metric_value(metric, self._codes[rows], part[rows], classes=self._code_classes)


def _splitter(task: str, folds: int, seed: int) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "regression":
        return KFold(folds, shuffle=True, random_state=seed)
    return StratifiedKFold(folds, shuffle=True, random_state=seed)


def tree_nodes(model: Any) -> int:
    """The nodes of a fitted scikit-learn tree or forest (0 for any other model)."""
    tree = getattr(model, "tree_", None)
    if tree is not None:
        return int(tree.node_count)
    members = getattr(model, "estimators_", None)
    if isinstance(members, list):
        return sum(tree_nodes(member) for member in members)
    return 0


def fit_quietly(model: Any, X: Any, y: Any, **fit_params: Any) -> Any:
    """Fit, silencing convergence chatter that says nothing about the final choice.

    In a thread of ``run_together`` the filter is already set by the thread that started
    it: ``catch_warnings`` swaps the process-wide filters and is not safe across threads.
    """
    from sklearn.exceptions import ConvergenceWarning

    if getattr(_IN_GROUP, "active", False):
        return model.fit(X, y, **fit_params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def fold_groups(cv: CVData, parallel: bool) -> list[list[int]]:
    """The splits in the groups that run at once: ``cv.workers`` at a time when the
    fits are single-threaded (``parallel``), one at a time otherwise."""
    size = cv.workers if parallel else 1
    indices = list(range(cv.n_splits))
    return [indices[k : k + size] for k in range(0, len(indices), size)]


def trial_seconds(cv: CVData, fold_seconds: float, parallel: bool) -> float:
    """A candidate's expected wall time from one fold's: a fold's time per group."""
    return len(fold_groups(cv, parallel)) * fold_seconds


def run_together(work: Callable[[int], T], group: Sequence[int]) -> list[T]:
    """``work(i)`` for every ``i`` of ``group``, each in a thread of its own but the
    first (in this one); the results in ``group``'s order, or the first error raised."""
    if len(group) == 1:
        return [work(group[0])]
    from sklearn.exceptions import ConvergenceWarning

    results: list[Any] = [None] * len(group)
    errors: list[BaseException | None] = [None] * len(group)
    omp_threads = openmp_threads_here()

    def run(k: int) -> None:
        _IN_GROUP.active = k > 0  # this thread's own flag: the first runs here
        try:
            # OpenMP's thread count is per thread: a new one gets the starting one's.
            with nullcontext() if k == 0 else openmp_threads(omp_threads):
                results[k] = work(group[k])
        except BaseException as error:  # noqa: BLE001 - raised again below, in order
            errors[k] = error

    threads = [threading.Thread(target=run, args=(k,)) for k in range(1, len(group))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for thread in threads:
            thread.start()
        run(0)
        for thread in threads:
            thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


def cross_validate(
    cv: CVData,
    kind: Kind,
    build: Callable[[], Any],
    deadline: Deadline,
    *,
    first_fold_estimate: float,
    force: bool = False,
    parallel: bool = True,
) -> CVResult | None:
    """OOF predictions of ``build()`` on every fold, or None if time runs out first.

    Before each group of folds (``fold_groups``; ``parallel`` when ``build()`` fits on
    one thread) the expected time of the groups left (``first_fold_estimate`` per group,
    then the slowest group seen) must fit in the time left: a candidate that cannot
    finish is dropped whole rather than scored on some folds, and is not started only to
    be dropped after its first folds (ExtraTrees on adult at 20 s: 2.1 s of a 6.7 s
    screening). ``force`` runs every fold regardless.
    """
    oof = cv.empty_oof()
    done: list[FoldOutcome] = []
    estimate = first_fold_estimate
    groups = fold_groups(cv, parallel)
    for g, group in enumerate(groups):
        if not (force or deadline.allows(estimate * (len(groups) - g))):
            return None
        started = time.perf_counter()
        folds = run_together(lambda i: _fit_fold(cv, kind, build, i), group)
        for i, fold in zip(group, folds, strict=True):
            cv.put(oof, i, fold.prediction)
        done += folds
        estimate = max(estimate if g else 0.0, time.perf_counter() - started)
    return cv_result(cv, oof, done)


class FoldOutcome(NamedTuple):
    """One fold's validation predictions and what they cost, in seconds."""

    prediction: np.ndarray
    fit_seconds: float  # preprocessing fit + model fit
    predict_seconds: float  # validation transform + prediction
    model_seconds: float  # model fit + prediction
    rounds: int = 0  # boosting rounds kept (tuning's early-stopped fits)
    timed_out: bool = False
    tree_nodes: int = 0  # see ``CVResult.tree_nodes``


def cv_result(cv: CVData, oof: np.ndarray, folds: list[FoldOutcome], **extra: Any) -> CVResult:
    """The candidate's result from its folds' predictions (in ``oof``) and costs."""
    return CVResult(
        oof=oof,
        fit_seconds=sum(f.fit_seconds for f in folds) / cv.n_splits,
        predict_us_per_row=1e6 * sum(f.predict_seconds for f in folds) / (len(cv.y) * cv.repeats),
        model_seconds=sum(f.model_seconds for f in folds) / cv.n_splits,
        tree_nodes=sum(f.tree_nodes for f in folds) / cv.n_splits,
        extra=extra,
    )


def summed_costs(results: Sequence[CVResult], oof: np.ndarray) -> CVResult:
    """A blend of ``results`` (an ensemble, a seed bag) with out-of-fold ``oof``: each
    member is fitted and run, so its costs are the members' summed."""
    return CVResult(
        oof=oof,
        fit_seconds=sum(r.fit_seconds for r in results),
        predict_us_per_row=sum(r.predict_us_per_row for r in results),
        model_seconds=sum(r.model_seconds for r in results),
        tree_nodes=sum(r.tree_nodes for r in results),
    )


def _fit_fold(cv: CVData, kind: Kind, build: Callable[[], Any], i: int) -> FoldOutcome:
    train, _val = cv.splits[i]
    Xt_train, Xt_val, prep_fit, prep_val = cv.fold(kind, i)
    started = time.perf_counter()
    model = fit_quietly(build(), Xt_train, cv.y[train])
    fitted = time.perf_counter()
    prediction = cv.prediction(model, Xt_val)
    done = time.perf_counter()
    return FoldOutcome(
        prediction, prep_fit + (fitted - started), prep_val + (done - fitted), done - started,
        tree_nodes=tree_nodes(model),
    )  # fmt: skip
