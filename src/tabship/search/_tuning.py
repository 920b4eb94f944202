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
from typing import TYPE_CHECKING, Any

import numpy as np

from tabship.evaluate import greater_is_better
from tabship.features import Kind
from tabship.search._budget import Deadline
from tabship.search._cv import CVData, CVResult, FoldOutcome, cv_result, fold_groups, run_together
from tabship.search._families import Family, FoldData

if TYPE_CHECKING:
    from optuna.trial import Trial

__all__ = ["RUNNERS_UP", "TRIAL_STOPS", "TunedResult", "Tuning", "tune"]

# The trial counts at which tuning may stop (about x1.2 apart from 8 on), and the margin by
# which the stretch to the next count must fit. Stops x1.4 apart ended 60 s runs on small
# tables 7-10 s early (insurance: 46.0 s, now 52.0 s).
TRIAL_STOPS = (0, 1, 2, 3, 4, 6, 8, 10, 12, 14, 17, 20, 24, 29, 34, 41, 50, 59, 71, 86, 103,
               123, 148, 177, 213, 256, 307, 368, 442, 530, 636, 763, 916, 1099, 1319, 1583,
               1899, 2279, 2735, 3281, 3938, 4725, 5670, 6804, 8165, 2**62)  # fmt: skip
_STRETCH_MARGIN = 1.15
# The best trials after the best that a study keeps for the ensemble (``runners_up``).
RUNNERS_UP = 2


@dataclass
class TunedResult:
    """The best trial of one family, ready to become a leaderboard row."""

    name: str
    family: str
    kind: Kind
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
    on_best: Callable[[CVResult], None] | None = None,
) -> TunedResult | None:
    """Run trials of ``fam`` until ``deadline``; the best complete trial, if any.

    ``on_best`` is told each new best trial's cross-validation result (the search holds
    the time its refit will need). The trials stop at a count in ``TRIAL_STOPS``
    whenever the next stretch up to the following count is not expected to fit.
    """
    tuning = Tuning(fam, cv, seed=seed, first_trial_estimate=first_trial_estimate, on_best=on_best)
    tuning.run(deadline)
    return tuning.result()


class Tuning:
    """One family's study, run in stretches: :meth:`run` goes on where the last run
    stopped, so that time another family left unused can still go to this one (the
    stops at ``TRIAL_STOPS`` leave up to about a sixth of a family's share unused)."""

    def __init__(
        self,
        fam: Family,
        cv: CVData,
        *,
        seed: int,
        first_trial_estimate: float,
        on_best: Callable[[CVResult], None] | None = None,
    ) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.fam = fam
        self.cv = cv
        self.first_trial_estimate = first_trial_estimate
        self.on_best = on_best
        self.maximize = greater_is_better(cv.metric)
        self.study = optuna.create_study(
            direction="maximize" if self.maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
        )
        for params in fam.starts:
            self.study.enqueue_trial(params)
        # The best complete trials, best first (the best and up to RUNNERS_UP more):
        # score, trial number, parameters, result. Only these keep their predictions.
        self.leaders: list[tuple[float, int, dict[str, Any], CVResult]] = []
        self.durations: list[float] = []
        self.n_trials = self.n_asked = 0

    def next_stretch_fits(self, deadline: Deadline) -> bool:
        """Whether :meth:`run` would start another trial before ``deadline``."""
        estimate = _trial_estimate(self.durations, self.first_trial_estimate)
        return _next_trial_fits(deadline, self.n_asked, estimate)

    def run(self, deadline: Deadline, *, stop_at: int | None = None) -> None:
        """Trials until the next stretch does not fit ``deadline``, or until ``stop_at``
        trials have been asked (a count in ``TRIAL_STOPS``, so that the run still ends
        at a stop)."""
        import optuna

        while self.next_stretch_fits(deadline):
            if stop_at is not None and self.n_asked >= stop_at:
                return
            trial = self.study.ask()
            self.n_asked += 1
            params = self.fam.suggest(trial)
            started = time.perf_counter()
            outcome = _run_trial(
                self.fam, self.cv, params, trial, deadline, self.durations,
                self.first_trial_estimate,
            )  # fmt: skip
            if outcome is None:
                self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                if deadline.remaining() <= 0:
                    break
                continue
            value, result = outcome
            self.study.tell(trial, value)
            self.durations.append(time.perf_counter() - started)
            self.n_trials += 1
            self._keep_leader(value, trial.number, params, result)
            if self.leaders[0][1] == trial.number and self.on_best is not None:
                self.on_best(result)

    @property
    def best(self) -> tuple[float, dict[str, Any], CVResult] | None:
        """The best complete trial so far (an earlier one wins a tie): score, parameters,
        result."""
        if not self.leaders:
            return None
        value, _, params, result = self.leaders[0]
        return value, params, result

    def result(self) -> TunedResult | None:
        """The best complete trial so far, as a leaderboard row's makings."""
        if self.best is None:
            return None
        _, params, result = self.best
        return self._tuned(f"{self.fam.name} (tuned)", params, result)

    def runners_up(self) -> list[TunedResult]:
        """The next best complete trials after the best, best first, as ensemble members.

        Caruana's selection gains from members that err differently, and the trials a
        study already ran are members at no cost: on diamonds a LightGBM on log1p(price)
        and one on the price itself, both first guesses, err differently enough that
        the blend's cross-validated RMSE improved.
        """
        return [
            self._tuned(f"{self.fam.name} (trial {number + 1})", params, result)
            for _, number, params, result in self.leaders[1:]
        ]

    def _keep_leader(
        self, value: float, number: int, params: dict[str, Any], result: CVResult
    ) -> None:
        sign = -1.0 if self.maximize else 1.0
        self.leaders.append((value, number, params, result))
        self.leaders.sort(key=lambda leader: (sign * leader[0], leader[1]))
        del self.leaders[1 + RUNNERS_UP :]

    def _tuned(self, name: str, params: dict[str, Any], result: CVResult) -> TunedResult:
        fam = self.fam
        rounds = fam.final_rounds(result.extra["rounds"])
        return TunedResult(
            name=name,
            family=fam.family,
            kind=fam.kind,
            params={**params, fam.rounds_param: rounds},
            build=lambda: fam.estimator(params, rounds),
            cv=result,
            n_trials=self.n_trials,
        )


def _next_trial_fits(deadline: Deadline, n_asked: int, estimate: float) -> bool:
    """Whether to ask for another trial: at a stop, only if the next stretch fits.

    Stopping at set counts rather than whenever the clock says so makes two runs with
    the same seed end after the same trials (and pick the same best) unless their
    speeds differ by more than a stretch's margin; the deadline stays the safety stop.
    """
    if n_asked in TRIAL_STOPS:
        following = next(stop for stop in TRIAL_STOPS if stop > n_asked)
        return deadline.allows(_STRETCH_MARGIN * (following - n_asked) * estimate)
    return deadline.allows(estimate)


def _trial_estimate(durations: list[float], first: float) -> float:
    """Expected length of the next trial: the median of recent complete ones."""
    if not durations:
        return first
    return statistics.median(durations[-5:])


def _run_trial(
    fam: Family,
    cv: CVData,
    params: dict[str, Any],
    trial: Trial,
    deadline: Deadline,
    durations: list[float],
    first_trial_estimate: float,
) -> tuple[float, CVResult] | None:
    """Fold by fold (or group by group, see ``fold_groups``) with pruning; None when
    pruned or stopped by the deadline."""
    oof = cv.empty_oof()
    done: list[FoldOutcome] = []
    groups = fold_groups(cv, fam.parallel_folds)
    group_estimate = _trial_estimate(durations, first_trial_estimate) / len(groups)
    # A configuration that trains far longer than the typical one (a tiny learning rate
    # crawling towards a separable optimum) is cut and pruned: it would starve the rest.
    fold_cap = max(1.0, 4.0 * group_estimate) if durations else float("inf")
    for group in groups:
        if not deadline.allows(group_estimate):
            return None
        started = time.perf_counter()
        folds = run_together(lambda i: _trial_fold(fam, cv, params, i, (deadline, fold_cap)), group)
        if any(fold.timed_out for fold in folds):
            return None
        for i, fold in zip(group, folds, strict=True):
            cv.put(oof, i, fold.prediction)
            done.append(fold)
            trial.report(cv.seen_score(cv.metric, oof, i), i)
            if trial.should_prune():
                return None
        group_estimate = max(group_estimate, time.perf_counter() - started)
    value = float(np.mean(cv.fold_scores(cv.metric, oof)))
    return value, cv_result(cv, oof, done, rounds=[fold.rounds for fold in done])


def _trial_fold(
    fam: Family,
    cv: CVData,
    params: dict[str, Any],
    i: int,
    limits: tuple[Deadline, float],
) -> FoldOutcome:
    train, val = cv.splits[i]
    Xt_train, Xt_val, prep_fit, prep_val = cv.fold(fam.kind, i)
    started = time.perf_counter()
    fitted = fam.fit_predict(params, FoldData(Xt_train, cv.y[train], Xt_val, cv.y[val]), *limits)
    fit_seconds = time.perf_counter() - started
    if fitted.timed_out:
        return FoldOutcome(np.empty(0), fit_seconds, 0.0, fit_seconds, timed_out=True)
    prediction = fitted.predict(cv, Xt_val)
    spent = time.perf_counter() - started
    return FoldOutcome(
        prediction, prep_fit + fit_seconds, prep_val + spent - fit_seconds, spent, fitted.rounds,
        tree_nodes=fitted.tree_nodes,
    )  # fmt: skip
