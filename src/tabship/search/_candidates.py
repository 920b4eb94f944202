"""The model families the search compares, each with the preprocessing it needs.

Every candidate is a scikit-learn estimator placed after ``build_preprocessor(schema,
kind)``: linear models get scaled, one-hot features (``linear``), the sklearn forests get
imputed, encoded features (``tree``) and the gradient-boosting libraries get the native
frame with category dtypes (``native``), which they split on directly. Defaults are
deliberately plain: they are the baseline row of each family, and the tuned rows must
beat them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from tabship.features import Kind

__all__ = [
    "Candidate",
    "baseline_candidates",
    "is_skewed_positive",
    "lightgbm_model",
    "lightgbm_threads",
    "make_pipeline",
    "thread_limits",
]

_ONE_THREAD_ROWS = 200_000
_SMALL_FOREST_FIRST_ROWS = 2000


@dataclass(frozen=True)
class Candidate:
    """One leaderboard row to be: a name, a family, a preprocessing kind and a model.

    ``relative_cost`` is a rough fit cost relative to default LightGBM on the same data;
    before a candidate has run, the search uses it to skip what cannot finish in time.
    ``parallel_folds`` is false for a model whose folds must run one at a time: the
    forests fit on several threads themselves, and the linear models' solvers hold the
    GIL between small BLAS calls (three LogisticRegression folds on adult: 0.24 s one at
    a time, 0.37 s side by side).
    """

    name: str
    family: str
    kind: Kind
    build: Callable[[], Any]
    relative_cost: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    parallel_folds: bool = True


def make_pipeline(schema: Any, kind: Kind, model: Any) -> Any:
    """The unfitted pipeline that takes the raw frame: preprocessing, then ``model``."""
    from sklearn.pipeline import Pipeline

    from tabship.features import build_preprocessor

    return Pipeline([("prep", build_preprocessor(schema, kind)), ("model", model)])


def is_skewed_positive(y: np.ndarray) -> bool:
    """A positive target with a long right tail, where a log-scale model often fits better."""
    values = np.asarray(y, dtype=float)
    skew = cast(float, pd.Series(values).skew())  # a float for a float series
    return bool(values.min() > 0 and skew > 1.0)


def lightgbm_model(task: str, params: dict[str, Any], *, seed: int, n_jobs: int) -> Any:
    """A LightGBM estimator with quiet logs and an explicit thread count.

    LightGBM's default is every core; on a shared machine that oversubscribes, so the
    thread count is always set. ``deterministic`` with row-wise histograms makes a fit
    repeat exactly for one seed and thread count: by default LightGBM times both
    layouts at the start of each fit and keeps the faster, so the clock picked the
    floating-point summation order.
    """
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
    return cls(
        random_state=seed, n_jobs=n_jobs, verbose=-1, deterministic=True, force_row_wise=True,
        **params,
    )  # fmt: skip


def lightgbm_threads(n_jobs: int, n_rows: int) -> int:
    """One thread for LightGBM (and any OpenMP fit) on up to 200,000 rows, ``n_jobs`` above.

    tabship makes idle OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``, set in
    ``tabship/__init__``: spinning runtimes starved each other on a busy machine), so
    every parallel region wakes its threads, and LightGBM opens several per leaf. On a
    small or mid-sized table that waking costs more than the second thread saves: 100
    trees on 17,000 adult rows took 0.85 s on two threads and 0.16 s on one (alone on 2
    cores), 0.30 s and 0.17 s with a second process fitting beside it; at 200,000 rows
    the two were even (1.5 s), at 500,000 two threads won (2.9 s against 3.7 s).
    """
    return 1 if n_rows <= _ONE_THREAD_ROWS else n_jobs


@contextmanager
def thread_limits(n_jobs: int, n_rows: int) -> Iterator[None]:
    """BLAS and OpenMP pools (numpy's linear algebra, scikit-learn's HistGradientBoosting)
    capped at ``lightgbm_threads``, for the fits of a search or a refit.

    OpenBLAS's threads sleep and wake like OpenMP's: three LogisticRegression folds on
    adult took 1.6 s on two BLAS threads and 0.24 s on one.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=lightgbm_threads(n_jobs, n_rows)):
        yield


def openmp_threads_here() -> int:
    """The OpenMP thread count a parallel region started from this thread would use."""
    return min((pool["num_threads"] for pool in _openmp_pools().info()), default=1)


@contextmanager
def openmp_threads(n: int) -> Iterator[None]:
    """This thread's OpenMP regions on ``n`` threads.

    OpenMP keeps the thread count per calling thread: a thread Python starts begins at
    the runtime's default (every core), whatever ``thread_limits`` set in the thread that
    started it. scikit-learn's HistGradientBoosting in such a thread ran its folds on two
    passively waiting threads: 0.97 s for a pair of insurance folds, 0.12 s for one fold
    on one thread.
    """
    with _openmp_pools().limit(limits=n):
        yield


@functools.cache
def _openmp_pools() -> Any:
    """threadpoolctl's handle on the loaded OpenMP runtimes, found once (a scan of the
    loaded libraries takes about 12 ms); scikit-learn's is loaded by ``import sklearn``."""
    import sklearn  # noqa: F401 - loads scikit-learn's OpenMP runtime first
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="openmp")


def log_target(model: Any) -> Any:
    """Fit ``model`` on log1p(y) and predict back on the original scale, within bounds
    (see ``LogTargetRegressor``: a log-scale linear model extrapolates exponentially)."""
    from tabship.features import LogTargetRegressor

    return LogTargetRegressor(model)


def baseline_candidates(
    task: str, y: np.ndarray, *, seed: int, n_jobs: int, n_rows: int
) -> list[Candidate]:
    """The families every search screens with plain settings, cheapest-informative first.

    Default LightGBM runs first: it is the reference the search must beat, and its
    observed fit time calibrates the cost estimates of the others. On a small
    classification table HistGradientBoosting (a second LightGBM, much alike) goes last,
    after the forests, which often do best there and are tuned there.
    """
    big = n_rows > 20_000
    # Regression forests split on every feature down to single rows: on a big table
    # they cost 9-27 default LightGBMs (bench/screening.py), classification ones 1.3-5.6.
    deep = big and task == "regression"
    n_trees = 100 if big else 200
    forest = {"n_estimators": n_trees, "n_jobs": n_jobs, "random_state": seed}
    bagged = {**forest, "max_samples": 0.5} if big else forest
    rows = [
        Candidate(
            "LightGBM",
            "lightgbm",
            "native",
            lambda: lightgbm_model(task, {}, seed=seed, n_jobs=lightgbm_threads(n_jobs, n_rows)),
        ),
        *_linear_candidates(task, y),
        Candidate(
            "DecisionTree",
            "decision_tree",
            "tree",
            lambda: _tree_model(task, "DecisionTree", max_depth=8, random_state=seed),
            relative_cost=0.6,
            params={"max_depth": 8},
        ),
        Candidate(
            "HistGradientBoosting",
            "hist_gradient_boosting",
            "native",
            lambda: _tree_model(task, "HistGradientBoosting", random_state=seed),
            relative_cost=2.0,
        ),
        Candidate(
            "ExtraTrees",
            "extra_trees",
            "tree",
            lambda: _tree_model(task, "ExtraTrees", **forest),
            relative_cost=(12.0 if deep else 4.0) * 2 / max(n_jobs, 1),
            params={k: v for k, v in forest.items() if k != "n_jobs"},
            parallel_folds=False,
        ),
        Candidate(
            "RandomForest",
            "random_forest",
            "tree",
            lambda: _tree_model(task, "RandomForest", **bagged),
            relative_cost=(12.0 if deep else 2.0 if big else 6.0) * 2 / max(n_jobs, 1),
            params={k: v for k, v in bagged.items() if k != "n_jobs"},
            parallel_folds=False,
        ),
    ]
    if task != "regression" and n_rows <= _SMALL_FOREST_FIRST_ROWS:
        rows.sort(key=lambda c: c.family == "hist_gradient_boosting")
    return rows


def _linear_candidates(task: str, y: np.ndarray) -> list[Candidate]:
    from sklearn.linear_model import LogisticRegression, RidgeCV

    alphas = np.logspace(-3, 3, 13)
    if task != "regression":
        return [
            Candidate(
                "LogisticRegression",
                "linear",
                "linear",
                lambda: LogisticRegression(C=1.0, max_iter=2000),
                relative_cost=0.5,
                params={"C": 1.0},
                parallel_folds=False,
            )
        ]
    rows = [
        Candidate(
            "Ridge",
            "linear",
            "linear",
            lambda: RidgeCV(alphas=alphas),
            relative_cost=0.3,
            parallel_folds=False,
        )
    ]
    if is_skewed_positive(y):
        rows.append(
            Candidate(
                "Ridge (log target)",
                "linear",
                "linear",
                lambda: log_target(RidgeCV(alphas=alphas)),
                relative_cost=0.3,
                params={"log_target": True},
                parallel_folds=False,
            )
        )
    return rows


def _tree_model(task: str, family: str, **params: Any) -> Any:
    from sklearn import ensemble, tree

    suffix = "Regressor" if task == "regression" else "Classifier"
    module = tree if family == "DecisionTree" else ensemble
    return getattr(module, family + suffix)(**params)
