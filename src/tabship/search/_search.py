"""``search``: from training rows to a ranked leaderboard and the best unfitted pipeline.

The search runs in three phases against one deadline:

1. screening: every family of ``_candidates`` with plain settings, cheapest-informative
   first, each skipped when its estimated cost no longer fits;
2. tuning: Optuna on LightGBM, then HistGradientBoosting, until the deadline;
3. ensembling: greedy selection over the out-of-fold predictions of the best rows.

A small classification table (up to 2,000 rows, on a budget of 25 s or more) repeats
its folds with other shuffles (``repeat_count``), tunes the better screened forest
instead of HistGradientBoosting, lets LightGBM try balanced class weights, and keeps the
last 15 % of the tuning time for the tuned LightGBM averaged over seeds (``_seeds``).
A multiclass winner is chosen by accuracy, the log loss deciding between rows within
accuracy's noise (``_rows.rank_for_choice``).

The best row may not be the top of the leaderboard: the caller refits the winner twice
and measures permutation importance with it after the search, so a winner whose refit
would blow the caller's remaining budget gives way to the next row that fits.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabship.evaluate import greater_is_better
from tabship.features import Kind
from tabship.search._after import AfterSearch, affordable, allowed_seconds
from tabship.search._budget import Deadline
from tabship.search._candidates import (
    Candidate,
    baseline_candidates,
    lightgbm_threads,
    make_pipeline,
    thread_limits,
)
from tabship.search._cv import CVData, cross_validate, fold_groups, summed_costs
from tabship.search._ensemble import greedy_weights
from tabship.search._failures import FamilyFailures
from tabship.search._options import check_folds, check_time_budget, fold_count, repeat_count
from tabship.search._rows import (
    Row,
    choice_metric,
    describe,
    leaderboard,
    rank,
    rank_for_choice,
)
from tabship.search._seeds import seed_bag
from tabship.search._tuning_stage import tune_families

__all__ = ["SearchResult", "search"]

Progress = Callable[[str], None]

# Screening's share of the search's budget. At 0.45, a 20 s adult run (26,000 rows)
# screened for 5.3 s (RandomForest alone 1.9 s) and tuned LightGBM for 6 trials: accuracy
# 0.8756 against FLAML's 0.876 at 60 s. At 0.3 it was 0.8772-0.8779 in five runs. The
# small multiclass tables at 60 s, before and after: bench/results/quality-small.md.
_SCREENING_SHARE = 0.3
_TUNING_SHARE_BEFORE_SEEDS = 0.85
_ENSEMBLE_SIZE = 5
_ENSEMBLE_MIN_GAIN = 1e-4
# Each ensemble member after the first must cut the best row's remaining error by this
# share (``_member_cost``). Without it an adult ensemble at 30 s took a third LightGBM
# for a hair of ROC AUC, and one record cost 128 us to score instead of 99.
_MEMBER_GAIN = 1e-3


@dataclass
class SearchResult:
    """What the search found.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per candidate that finished, best first (by ``chosen_by``, then by
        ``metric``): ``model``, ``family``,
        ``cv_<metric>_mean``, ``cv_<metric>_std``, ``cv_<secondary>_mean``,
        ``fit_seconds`` (per fold, preprocessing included), ``predict_us_per_row``,
        ``params``.
    best : estimator
        The chosen pipeline (or soft-voting ensemble of pipelines), *unfitted*; it takes
        the raw frame.
    best_name, metric : str
        The chosen row's name and the primary metric ranking the rows while tuning.
    chosen_by : str
        The metric the winner is chosen by (accuracy for multiclass, else ``metric``).
    repeats : int
        How many times the folds were repeated with other shuffles.
    oof_score : float
        The chosen row's primary metric on all out-of-fold predictions.
    """

    leaderboard: pd.DataFrame
    best: Any
    best_name: str
    metric: str
    oof_score: float
    folds: int = 5
    trials: dict[str, int] = field(default_factory=dict)
    chosen_by: str = ""
    repeats: int = 1


def search(
    X: pd.DataFrame,
    y: Any,
    schema: Any,
    *,
    time_budget: float,
    seed: int = 42,
    folds: int = 5,
    progress: Progress | None = None,
    n_jobs: int = 1,
    importance_seconds: float | None = None,
    keep_for_refits: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Find the best pipeline for ``schema.task`` within ``time_budget`` seconds.

    Parameters
    ----------
    X : DataFrame
        Raw training rows (the columns of ``schema``).
    y : array-like
        Target values or labels.
    schema : Schema
        Drives the preprocessing and the task.
    time_budget : float
        Wall-clock seconds for the whole search; it ends within that time, having used
        it for tuning.
    seed : int
        Seeds the folds, the models and the Optuna sampler.
    folds : int
        Cross-validation folds (3 for more than 20,000 rows on a short budget; fewer
        when a class has fewer rows).
    progress : callable, optional
        Called with one line of text per step.
    n_jobs : int
        Threads (-1 or 0: every core): the forests fit on them; up to 200,000 rows the
        boosting libraries fit on one thread each, their folds ``n_jobs`` at a time,
        above it on ``n_jobs`` threads (``lightgbm_threads``).
    importance_seconds : float, optional
        The cap on the permutation importance the caller measures with the winner after
        the search. The winner must leave time for that work (two refits and the
        importance), so it is counted in each row's cost; None when no importance follows.
    keep_for_refits : bool
        The caller refits the winner (and measures its importance) inside the same
        budget: the search then holds that time, as estimated from the best rows' measured
        fit times, free of tuning as it goes, and picks a winner whose work fits what is
        left. Otherwise the search tunes to the end of ``time_budget``.
    clock : callable
        The seconds the budget is counted on. Tests pass a clock that moves a fixed step
        per reading, so that a busy machine cannot change which steps run.

    Returns
    -------
    SearchResult

    Raises
    ------
    OptionError
        For a non-positive ``time_budget`` or fewer than 2 ``folds``.
    TooFewRowsError
        When the rows (or the rows of a class) are too few for two folds.
    SearchError
        When every model family failed (each one that fails is dropped with a
        ``TabshipWarning`` naming it and the reason).
    """
    deadline = Deadline(_usable_seconds(time_budget), clock=clock)
    check_time_budget(time_budget)
    check_folds(folds)
    # OpenMP and BLAS pools default to every core and, on a busy machine, starve each
    # other: a one-second fit can take twenty. Cap them (one thread up to 200,000 rows).
    with thread_limits(_threads(n_jobs), len(y)):
        return _search(
            X, y, schema, deadline, time_budget, seed, folds, progress, n_jobs,
            importance_seconds=importance_seconds, keep_for_refits=keep_for_refits,
        )  # fmt: skip


def _search(
    X: pd.DataFrame,
    y: Any,
    schema: Any,
    deadline: Deadline,
    time_budget: float,
    seed: int,
    folds: int,
    progress: Progress | None,
    n_jobs: int,
    *,
    importance_seconds: float | None,
    keep_for_refits: bool,
) -> SearchResult:
    say: Progress = progress or (lambda _line: None)
    task = schema.task
    y_arr = _target_array(y, task)
    threads = _threads(n_jobs)
    n_folds = fold_count(y_arr, task, folds, time_budget)
    repeats = repeat_count(len(y_arr), task, time_budget)
    # Single-threaded fits run their folds side by side, a thread each (see ``_cv``).
    workers = threads if lightgbm_threads(threads, len(y_arr)) == 1 else 1
    cv = CVData(X.reset_index(drop=True), y_arr, task, _prep_factory(schema), folds=n_folds,
                seed=seed, repeats=repeats, workers=workers)  # fmt: skip
    times = f" x {repeats} repeats" if repeats > 1 else ""
    say(f"searching {len(y_arr)} rows with {n_folds}-fold CV{times}, ranking by {cv.metric}")
    candidates = baseline_candidates(task, y_arr, seed=seed, n_jobs=threads, n_rows=len(y_arr))
    failures = FamilyFailures()
    after = AfterSearch(cv, X.shape[1], importance_seconds, deadline if keep_for_refits else None)
    screening = deadline.sub(_SCREENING_SHARE * time_budget)
    rows = _screen(cv, candidates, screening, say, failures=failures, after=after)
    failures.raise_if_none_left(len(rows))
    # A small table keeps a share for averaging seeds of the tuned LightGBM.
    tuning = (
        deadline.sub(_TUNING_SHARE_BEFORE_SEEDS * deadline.remaining()) if repeats > 1 else deadline
    )
    outcome = tune_families(cv, rows, tuning, seed=seed, threads=threads, say=say,
                            failures=failures, after=after)  # fmt: skip
    rows += outcome.tuned
    bag = _seed_bag(cv, outcome.tuned, deadline, seed=seed, say=say) if repeats > 1 else None
    rows += [bag] if bag is not None else []
    # One bound for the ensemble's members and the choice, so an ensemble built to fit
    # is never turned down for a few milliseconds more on the clock.
    allowed = allowed_seconds(rows, after, time_budget)
    ensemble = _ensemble_row(cv, rows, outcome.runners_up, say, after, allowed)
    if ensemble is not None:
        rows.append(ensemble)
    ranked = rank_for_choice(cv, rows)
    best = affordable(ranked, after, allowed)
    by = choice_metric(task)
    say(f"chose {best.name} (by cv {by}) after {deadline.elapsed:.1f} s")
    return SearchResult(
        leaderboard=leaderboard(cv, rank_for_choice(cv, rows + outcome.runners_up)),
        best=_estimator(best, schema),
        best_name=best.name,
        metric=cv.metric,
        oof_score=cv.score(cv.metric, best.cv.oof),
        folds=n_folds,
        trials=outcome.trials,
        chosen_by=by,
        repeats=repeats,
    )


def _usable_seconds(time_budget: float) -> float:
    """The budget minus a sliver for the ensemble step and the leaderboard."""
    return float(time_budget) - min(1.0, 0.03 * float(time_budget))


def _target_array(y: Any, task: str) -> np.ndarray:
    values = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
    if task == "regression":
        return values.astype(float)
    return values.astype(object)


def _threads(n_jobs: int) -> int:
    import os

    return n_jobs if n_jobs > 0 else max(1, os.cpu_count() or 1)


def _prep_factory(schema: Any) -> Callable[[Kind], Any]:
    from tabship.features import build_preprocessor

    return lambda kind: build_preprocessor(schema, kind)


def _screen(
    cv: CVData,
    candidates: list[Candidate],
    deadline: Deadline,
    say: Progress,
    *,
    failures: FamilyFailures,
    after: AfterSearch,
) -> list[Row]:
    """Cross-validate each default candidate whose estimated cost fits the deadline.

    The first candidate that runs without failing always runs (a search must return
    something); its fold time calibrates the ``relative_cost`` estimates of the rest.
    A candidate that fails is dropped with a warning (``failures``).
    """
    rows: list[Row] = []
    reference: float | None = None
    for candidate in candidates:
        estimate = 0.0 if reference is None else candidate.relative_cost * reference
        started = time.perf_counter()
        try:
            result = cross_validate(
                cv, candidate.kind, candidate.build, deadline,
                first_fold_estimate=estimate, force=not rows, parallel=candidate.parallel_folds,
            )  # fmt: skip
            scores = [] if result is None else cv.fold_scores(cv.metric, result.oof)
        except Exception as error:  # a library refusing this data its own way
            failures.drop(candidate.name, error)
            continue
        if result is None:
            say(f"skipped {candidate.name}: not enough time left")
            continue
        if reference is None:  # a fold's time, run alone or beside others
            groups = fold_groups(cv, candidate.parallel_folds)
            reference = (time.perf_counter() - started) / len(groups)
        row = Row(
            candidate.name, candidate.family, candidate.kind, candidate.build,
            dict(candidate.params), result, scores=scores,
        )  # fmt: skip
        rows.append(row)
        after.keep(rows)
        say(describe(cv, row))
    return rows


def _seed_bag(
    cv: CVData, tuned: list[Row], deadline: Deadline, *, seed: int, say: Progress
) -> Row | None:
    """The tuned LightGBM averaged over seeds, in the time tuning left (see ``_seeds``)."""
    lightgbm = [r for r in tuned if r.family == "lightgbm"]
    bag = seed_bag(cv, lightgbm[0], deadline, seed=seed) if lightgbm else None
    if bag is not None:
        say(describe(cv, bag))
    return bag


def _ensemble_row(
    cv: CVData,
    rows: list[Row],
    runners_up: list[Row],
    say: Progress,
    after: AfterSearch,
    allowed: float,
) -> Row | None:
    """A weighted soft vote of the top rows, if it beats the best single row on OOF.

    Its members are chosen among those whose refits and importance, together, fit in
    ``allowed`` seconds: an ensemble too slow to refit in the time left would lose to a
    single model after all (diamonds at 60 s: three members at 533.9 CV RMSE whose
    refits needed about 30 s, more than was left, so a lone LightGBM at 552 was chosen).
    The tuning's runners-up join the top rows rather than push other families out of
    them: members that err differently are what a blend gains from."""
    singles = [r for r in rank(cv, rows) if not r.members and after.seconds(r.cv) <= allowed]
    extra = [r for r in runners_up if after.seconds(r.cv) <= allowed]
    ranked = rank(cv, singles[:_ENSEMBLE_SIZE] + extra)
    if len(ranked) < 2:
        return None
    oofs = [r.cv.oof for r in ranked]

    def fits(members: frozenset[int]) -> bool:
        return after.seconds(summed_costs([ranked[k].cv for k in members], oofs[0])) <= allowed

    counts = greedy_weights(
        oofs, cv.metric, lambda blend: cv.score(cv.metric, blend), fits=fits,
        member_cost=_member_cost(cv, oofs[0]),
    )  # fmt: skip
    members = [(r, c) for r, c in zip(ranked, counts, strict=True) if c]
    if len(members) < 2:
        return None
    total = sum(c for _, c in members)
    blend = np.asarray(sum(c * r.cv.oof for r, c in members), dtype=float) / total
    gain = cv.score(cv.metric, blend) - cv.score(cv.metric, ranked[0].cv.oof)
    if (gain if greater_is_better(cv.metric) else -gain) < _ENSEMBLE_MIN_GAIN:
        return None  # not worth a model several times slower to fit and to serve
    result = summed_costs([r.cv for r, _ in members], blend)
    name = "Ensemble (" + ", ".join(f"{r.name} x{c}" for r, c in members) + ")"
    row = Row(name, "ensemble", None, lambda: None, {"weights": {r.name: c for r, c in members}},
               result, members, scores=cv.fold_scores(cv.metric, blend))  # fmt: skip
    say(describe(cv, row))
    return row


def _member_cost(cv: CVData, best_oof: np.ndarray) -> float:
    """What each member after the first must add to the blend's score:
    ``_MEMBER_GAIN`` of the best row's remaining error (1 - score for r2 and ROC AUC,
    the score itself for losses), so that it scales with how much is left to gain."""
    score = cv.score(cv.metric, best_oof)
    error = 1.0 - score if greater_is_better(cv.metric) else score
    return _MEMBER_GAIN * max(error, 0.0)


def _estimator(row: Row, schema: Any) -> Any:
    if not row.members:
        return _pipeline(row, schema)
    from sklearn.ensemble import VotingClassifier, VotingRegressor

    estimators = [(_slug(r.name), _pipeline(r, schema)) for r, _ in row.members]
    weights = [c for _, c in row.members]
    if schema.task == "regression":
        return VotingRegressor(estimators, weights=weights)
    return VotingClassifier(estimators, voting="soft", weights=weights)


def _pipeline(row: Row, schema: Any) -> Any:
    """One single-model row as its pipeline (an ensemble row has no kind of its own)."""
    assert row.kind is not None, row.name
    return make_pipeline(schema, row.kind, row.build())


def _slug(name: str) -> str:
    return re.sub(r"\W+", "_", name.lower()).strip("_")
