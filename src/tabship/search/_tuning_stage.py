"""The search's tuning stage: LightGBM, then a second family, then both again.

LightGBM gets most of the time left after screening, up to a set number of trials, and a
second family (HistGradientBoosting, or the better screened forest on a small
classification table) the rest. Each tuning stops at set trial counts (``TRIAL_STOPS``,
for repeatable runs), which can leave up to about a sixth of its share unused: that time
then goes to the families again, each up to its next stop, instead of ending the search
early (insurance at 60 s ended at 39.5 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tabship.search._after import AfterSearch
from tabship.search._budget import Deadline
from tabship.search._candidates import is_skewed_positive, lightgbm_threads
from tabship.search._cv import CVData, trial_seconds
from tabship.search._failures import FamilyFailures
from tabship.search._families import (
    ExtraTreesFamily,
    Family,
    HistGradientBoostingFamily,
    LightGBMFamily,
    RandomForestFamily,
)
from tabship.search._rows import Row, describe, rank
from tabship.search._tuning import TunedResult, Tuning

__all__ = ["TuningOutcome", "tune_families"]

Progress = Callable[[str], None]

_LIGHTGBM_TUNING_SHARE = 0.7
# LightGBM's first pass ends at this many asked trials (a stop) when a second family
# follows; the rest of the time goes to that family, then to both again. On insurance at
# 20 s LightGBM's cross-validated r2 was 0.8570 after 29 asked trials (17 complete) and
# 0.8574 after 45-56, while HistGradientBoosting got 6 trials; with the cap it got 10 (a
# traced run) and the chosen ensemble scored r2 0.8803-0.8817 on the held-out rows
# (0.8792 before). Tables whose trials are slow never reach the cap in a first pass.
_FIRST_PASS_TRIALS = 29
_SMALL_LIGHTGBM_TUNING_SHARE = 0.5
_LEARNING_RATE_FLOORS = (0.01, 0.02, 0.03, 0.05, 0.1)


@dataclass
class TuningOutcome:
    """What the tuning stage found: each family's best trial (``tuned``), the next best
    trials of each (``runners_up``: ensemble members only, never chosen alone), and how
    many trials each family completed."""

    tuned: list[Row] = field(default_factory=list)
    runners_up: list[Row] = field(default_factory=list)
    trials: dict[str, int] = field(default_factory=dict)


def tune_families(
    cv: CVData,
    rows: list[Row],
    deadline: Deadline,
    *,
    seed: int,
    threads: int,
    say: Progress,
    failures: FamilyFailures,
    after: AfterSearch,
) -> TuningOutcome:
    """Tune LightGBM with most of the time left (up to ``_FIRST_PASS_TRIALS`` trials),
    then a second family with the rest, then each of them again while its next stretch
    of trials fits.

    The second is HistGradientBoosting, or on a small classification table (repeated
    folds) the forest that screened better, with half the time. A family whose tuning
    fails loses its tuned row (its screened row stays); one failing when tuned again
    keeps its best trial so far.
    """
    n = len(cv.y)
    skewed = cv.task == "regression" and is_skewed_positive(cv.y)
    fold_seconds = {r.family: r.cv.model_seconds for r in rows}
    lr_min = _smallest_learning_rate(
        deadline.remaining(), trial_seconds(cv, fold_seconds.get("lightgbm", 0), parallel=True)
    )
    families: list[Family] = [
        LightGBMFamily(
            cv.task,
            n,
            classes=cv.classes,
            skewed=skewed,
            seed=seed,
            n_jobs=lightgbm_threads(threads, n),
            lr_min=lr_min,
            class_weights=cv.repeats > 1,
            defaults_screened="lightgbm" in fold_seconds,
        ),  # fmt: skip
        _second_family(cv, rows, skewed=skewed, seed=seed, threads=threads),
    ]
    first_share = _SMALL_LIGHTGBM_TUNING_SHARE if cv.repeats > 1 else _LIGHTGBM_TUNING_SHARE
    tuned: list[Row] = []
    trials: dict[str, int] = {}
    tunings: list[Tuning] = []
    # A family that could not even be screened has no cost estimate and is not tuned.
    families = [fam for fam in families if fam.family in fold_seconds]
    families = _affordable_families(
        families, fold_seconds, cv, (1 - first_share) * deadline.remaining()
    )
    for i, fam in enumerate(families):
        share = first_share if i < len(families) - 1 else 1.0
        budget = deadline.sub(share * deadline.remaining())
        first = trial_seconds(cv, fold_seconds[fam.family], fam.parallel_folds)
        # A second family is only worth starting if a few of its trials can finish.
        if not budget.allows(first if i == 0 else 3 * first):
            say(f"no time left to tune {fam.name}")
            continue
        say(f"tuning {fam.name} for up to {budget.remaining():.0f} s")
        tuning = Tuning(
            fam, cv, seed=seed, first_trial_estimate=first,
            on_best=lambda found: after.keep(rows + tuned, found),
        )  # fmt: skip
        try:
            tuning.run(budget, stop_at=_FIRST_PASS_TRIALS if i < len(families) - 1 else None)
        except Exception as error:  # a library refusing one trial's settings its own way
            failures.drop(fam.name, error, stage="tuning")
            trials[fam.name] = 0
            continue
        tunings.append(tuning)
        _add_tuned(cv, tuning, tuned, trials, say)
        after.keep(rows + tuned)
    # What the stops left unused goes to the families again, each up to its next stop.
    for tuning in tunings:
        if not tuning.next_stretch_fits(deadline):
            continue
        say(f"tuning {tuning.fam.name} further for up to {deadline.remaining():.0f} s")
        try:
            tuning.run(deadline)
        except Exception as error:  # the trials before it stand
            say(f"stopped tuning {tuning.fam.name}: {error}")
        _add_tuned(cv, tuning, tuned, trials, say)
        after.keep(rows + tuned)
    runners_up = [_row(cv, found) for tuning in tunings for found in tuning.runners_up()]
    return TuningOutcome(tuned, runners_up, trials)


def _add_tuned(
    cv: CVData, tuning: Tuning, tuned: list[Row], trials: dict[str, int], say: Progress
) -> None:
    """Put ``tuning``'s best trial in ``tuned``, in place of the family's earlier one."""
    result = tuning.result()
    trials[tuning.fam.name] = tuning.n_trials
    if result is None:
        return
    row = _row(cv, result)
    earlier = [k for k, r in enumerate(tuned) if r.name == row.name]
    if earlier:
        tuned[earlier[0]] = row
    else:
        tuned.append(row)
    say(describe(cv, row) + f" after {result.n_trials} trials")


def _row(cv: CVData, found: TunedResult) -> Row:
    return Row(
        found.name, found.family, found.kind, found.build, found.params, found.cv,
        scores=cv.fold_scores(cv.metric, found.cv.oof),
    )  # fmt: skip


def _second_family(cv: CVData, rows: list[Row], *, skewed: bool, seed: int, threads: int) -> Family:
    """HistGradientBoosting, or the better screened forest on a small classification table."""
    n = len(cv.y)
    forests = [r for r in rank(cv, rows) if r.family in ("extra_trees", "random_forest")]
    if cv.repeats == 1 or not forests:
        return HistGradientBoostingFamily(cv.task, n, skewed=skewed, seed=seed)
    cls = ExtraTreesFamily if forests[0].family == "extra_trees" else RandomForestFamily
    return cls(
        cv.task, n, seed=seed, n_jobs=threads, n_trees=int(forests[0].params["n_estimators"])
    )


def _affordable_families(
    families: list[Family], fold_seconds: dict[str, float], cv: CVData, share: float
) -> list[Family]:
    """Drop the second family when a few of its trials would not fit in its share.

    LightGBM then keeps tuning until the deadline instead of leaving that share unused.
    """
    if len(families) < 2:
        return families
    second = families[1]
    if share < 3 * trial_seconds(cv, fold_seconds[second.family], second.parallel_folds):
        return families[:1]
    return families


def _smallest_learning_rate(tuning_seconds: float, default_trial_seconds: float) -> float:
    """The lowest learning rate worth trying when about 15 trials should fit.

    A trial at learning rate ``lr`` needs roughly ``0.15 / lr`` times the rounds (and
    time) of default LightGBM (100 rounds at 0.1) before early stopping ends it.
    """
    if default_trial_seconds <= 0:
        return 0.01
    trials_of_default = tuning_seconds / default_trial_seconds
    exact = float(np.clip(2.25 / max(trials_of_default, 1e-9), 0.01, 0.1))
    # Rounded up to a few set values: the bound shapes Optuna's space, and a bound that
    # moved with the clock's noise would give two runs of one seed different trials.
    return next(step for step in _LEARNING_RATE_FLOORS if step >= exact - 1e-12)
