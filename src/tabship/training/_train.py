"""``tabship.train``: from a table and a target column to a validated, fitted pipeline."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from tabship.data import (
    JSONValue,
    Schema,
    clean_frame,
    infer_schema,
    json_safe,
    prepare_target,
    read_table,
    summarize,
)
from tabship.errors import TabshipWarning
from tabship.runtime import background_bytes
from tabship.search import Deadline
from tabship.training._budget import BudgetShares
from tabship.training._run import TrainingRun
from tabship.training._split import check_enough_rows, split_holdout

if TYPE_CHECKING:
    from tabship.evaluate import Scores

__all__ = ["train"]

Progress = Callable[[str], None]


# scikit-learn's task wrapper empties the process-wide warning filters while a task runs
# (``catch_warnings`` then ``resetwarnings``: not thread-safe before Python 3.14). Folds
# fitted at once in two threads (``search._cv.run_together``) can then see no filters as
# one of them starts its own ``Parallel``, and scikit-learn warns that its ``delayed`` was
# not called through its ``Parallel``. It was; nothing is lost (tabship sets no
# scikit-learn configuration to propagate). Seen as 48 test errors in one of two
# concurrent fresh-clone runs.
_SKLEARN_RACE = r"`sklearn\.utils\.parallel\.delayed` should be used with"


def train(
    data: pd.DataFrame | str | Path,
    target: str,
    *,
    time_budget: float = 60.0,
    task: str | None = None,
    roles: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    derive: Sequence[str] = (),
    na_values: Sequence[str] = (),
    sep: str | None = None,
    header: bool = True,
    names: Sequence[str] | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    stratify: str | None = None,
    folds: int = 5,
    refit: bool = True,
    n_jobs: int | None = None,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train, tune and validate a pipeline for ``target`` within ``time_budget`` seconds.

    Parameters
    ----------
    data : DataFrame, path or URL
        The table: a DataFrame, or a CSV (also ``.csv.gz``), Parquet or whitespace
        separated file, local or over http(s).
    target : str
        The column to predict.
    time_budget : float
        Wall-clock seconds for the whole call, search, evaluation, refit and report
        included.
    task : {"regression", "binary", "multiclass"}, optional
        Overrides the task detected from the target.
    roles : mapping, optional
        ``{"column": role}`` overrides of the inferred column roles.
    drop : sequence of str
        Columns to leave out.
    derive : sequence of str
        Derived columns such as ``"power_to_weight = Horsepower / Weight"``; they become
        part of the pipeline, so serving computes them too.
    na_values, sep, header, names
        How to read the file (extra missing-value markers, separator, header row).
    test_size, seed, stratify
        The held-out test split (``stratify`` names a column to stratify on).
    folds : int
        Cross-validation folds used by the search.
    refit : bool
        Refit the chosen pipeline on train + test at the end (default).
    n_jobs : int, optional
        Threads for the search (see ``search``: folds side by side, or threads per fit
        above 200,000 rows); every core this process may use by default.
    progress : callable, optional
        Called with one line of text per step.

    Returns
    -------
    TrainingRun

    Examples
    --------
    >>> import tabship  # doctest: +SKIP
    >>> run = tabship.train("insurance.csv", target="charges", time_budget=30)  # doctest: +SKIP
    >>> run.leaderboard.head()  # doctest: +SKIP
    """
    say: Progress = progress or (lambda _line: None)
    deadline = Deadline(float(time_budget))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TabshipWarning)
        frame = _read(data, sep=sep, header=header, names=names, na_values=na_values)
        _check_derived(derive)
        schema = infer_schema(frame, target, roles=roles, drop=drop, task=task, na_values=na_values)
        schema.derived = list(derive)
        X, y, n_dropped = prepare_target(frame, target, schema.task)
        schema.target.n_dropped_missing = n_dropped
        if n_dropped:
            warnings.warn(
                f"Dropped {n_dropped} rows whose target '{target}' is missing.",
                TabshipWarning,
                stacklevel=2,
            )
        check_enough_rows(y, schema, folds=folds, test_size=test_size)
    notes = _pass_on(caught)
    say(
        f"read {len(frame)} rows x {frame.shape[1]} columns; task {schema.task}, "
        f"{len(schema.feature_fields)} input features"
    )
    X_train, X_test, y_train, y_test = split_holdout(
        X, y, schema, test_size=test_size, seed=seed, stratify=stratify
    )
    data_ = _Prepared(
        schema, frame, X, y, X_train, X_test, y_train, y_test, notes, _source_name(data)
    )
    threads = n_jobs if n_jobs and n_jobs > 0 else _available_cores()
    from tabship.search import thread_limits

    # The search caps the thread pools, and so must the evaluation and refit after it.
    with thread_limits(threads, len(y_train)):
        return _search_evaluate_refit(
            deadline, data_, seed=seed, folds=folds, refit=refit, threads=threads, say=say
        )


@dataclass
class _Prepared:
    """The cleaned table, its schema and the held-out split, ready for the search."""

    schema: Schema
    frame: pd.DataFrame
    X: pd.DataFrame
    y: pd.Series
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    notes: list[str]
    source: str


def _search_evaluate_refit(
    deadline: Deadline,
    d: _Prepared,
    *,
    seed: int,
    folds: int,
    refit: bool,
    threads: int,
    say: Progress,
) -> TrainingRun:
    from sklearn.base import clone

    from tabship.search import search

    phases = _Phases(deadline)
    shares = BudgetShares(deadline)
    _preload_what_follows()
    phases.end("imports")
    with warnings.catch_warnings(record=True) as caught:  # a dropped model family
        warnings.simplefilter("always", TabshipWarning)
        warnings.filterwarnings("ignore", message=_SKLEARN_RACE, category=UserWarning)
        found = search(
            d.X_train,
            d.y_train,
            d.schema,
            time_budget=shares.search_seconds(),
            seed=seed,
            folds=folds,
            progress=say,
            n_jobs=threads,
            importance_seconds=shares.importance_cap(),
            keep_for_refits=True,
        )
    d.notes.extend(_pass_on(caught))
    phases.end("search")
    say(f"best candidate: {found.best_name}; scoring it on the {len(d.y_test)} held-out rows")
    fitted = clone(found.best).fit(d.X_train, d.y_train)
    # The refit sees all rows: the holdout fit's time, scaled to them.
    refit_estimate = phases.end("holdout_fit") * len(d.y) / max(len(d.y_train), 1)
    holdout, test_predictions = _holdout_metrics(fitted, d.X_test, d.y_test, d.schema)
    say("holdout: " + ", ".join(f"{k} {v:.4g}" for k, v in holdout.items() if _is_number(v)))
    importance = _importance(fitted, d, seed, shares.importance_seconds(refit_estimate))
    phases.end("importance")
    final = _final_model(found.best, fitted, d, refit=refit, estimate=refit_estimate,
                         shares=shares)  # fmt: skip
    phases.end("refit")
    metrics = _metrics_record(
        found, holdout, deadline,
        refit=final is not fitted, n_train=len(d.y_train), n_test=len(d.y_test),
    )  # fmt: skip
    metrics["importance"] = importance.to_dict(orient="records")
    report_html = _render(d, found, holdout, test_predictions, importance, metrics)
    phases.end("report")
    summary = summarize(d.frame, d.schema, predictions=_reference_predictions(final, d.X, seed))
    background = background_bytes(d.X, d.schema, seed=seed)
    phases.end("summary")
    metrics["seconds"] = round(deadline.elapsed, 2)
    metrics["phase_seconds"] = phases.seconds
    say(f"done in {deadline.elapsed:.1f} s (budget {deadline.seconds:g} s)")
    return TrainingRun(
        model=final,
        leaderboard=found.leaderboard,
        metrics=metrics,
        schema=d.schema,
        # The prediction's drift reference: what the final model says about its own rows.
        summary=summary,
        report_html=report_html,
        importance=importance,
        warnings=d.notes,
        background=background,
    )


# The most training rows whose predictions make the prediction's drift reference.
_REFERENCE_ROWS = 20_000


def _reference_predictions(final: Any, X: pd.DataFrame, seed: int) -> Any:
    """The final model's predictions on the training rows, on at most ``_REFERENCE_ROWS``
    of them (a seeded sample).

    They only make the drift reference of the predictions: decile bins or class shares,
    which a sample of that size draws to within a few thousandths. With every row the
    summary took 4.4 s of a 60 s diamonds run (a five-model ensemble on 53,940 rows),
    with 20,000 of them 2.1 s; and the cost grew with the table outside anything the
    search holds.
    """
    rows = X if len(X) <= _REFERENCE_ROWS else X.sample(n=_REFERENCE_ROWS, random_state=seed)
    return final.predict(rows)


def _preload_what_follows() -> None:
    """Import the save's and the report's libraries before the search: their import
    time (1-2 s on a busy machine) then comes out of the search's share, which the
    deadline bounds, not out of the reserve after it (ensembles on small tables ran
    24.7-25.4 s at a 20 s budget). The reserve was sized before this, from the reading
    alone."""
    from tabship.artifact import preload_saving
    from tabship.report import preload_plotting

    preload_saving()
    preload_plotting()


class _Phases:
    """Seconds spent in each step of a run, in order, for ``metrics["phase_seconds"]``."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.seconds: dict[str, float] = {"prepare": round(deadline.elapsed, 3)}
        self._mark = deadline.elapsed

    def end(self, name: str) -> float:
        """Close the step ``name`` (started where the last one ended); its seconds."""
        now = self.deadline.elapsed
        spent = now - self._mark
        self.seconds[name] = round(spent, 3)
        self._mark = now
        return spent


def _importance(fitted: Any, d: _Prepared, seed: int, seconds: float) -> pd.DataFrame:
    from tabship.evaluate import feature_importance

    return feature_importance(
        fitted, d.X_test, d.y_test, d.schema.task, seed=seed, max_seconds=seconds
    )


def _final_model(
    best: Any, fitted: Any, d: _Prepared, *, refit: bool, estimate: float, shares: BudgetShares
) -> Any:
    """The winner refitted on every row, unless that is off or would overrun the budget."""
    from sklearn.base import clone

    if refit and not shares.refit_fits(estimate):
        # A note in the report and refit_on_all_rows: false in the metrics, not a
        # warning: the model is as validated, only not refreshed with the test rows.
        d.notes.append(
            f"Kept the model fitted on the training split: its refit on all {len(d.y)} rows "
            f"would take about {estimate:.1f} s, past the time budget."
        )
        refit = False
    return clone(best).fit(d.X, d.y) if refit else fitted


def _pass_on(caught: list[warnings.WarningMessage]) -> list[str]:
    """Warn ``caught`` again for the caller; tabship's own are returned for the report.

    scikit-learn's false alarm about its own ``Parallel`` (``_SKLEARN_RACE``) is dropped,
    and so are convergence warnings, which the search silences on purpose
    (``search._cv.fit_quietly``) but which the same race can let through.
    """
    for w in caught:
        if re.match(_SKLEARN_RACE, str(w.message)) or _is_convergence(w.category):
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return [str(w.message) for w in caught if issubclass(w.category, TabshipWarning)]


def _is_convergence(category: type[Warning]) -> bool:
    from sklearn.exceptions import ConvergenceWarning  # asked only of a caught warning

    return issubclass(category, ConvergenceWarning)


def _read(
    data: pd.DataFrame | str | Path,
    *,
    sep: str | None,
    header: bool,
    names: Sequence[str] | None,
    na_values: Sequence[str],
) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return clean_frame(data, na_values=na_values)
    return read_table(data, sep=sep, header=header, names=names, na_values=na_values)


def _check_derived(derive: Sequence[str]) -> None:
    """Fail on a malformed --derive before reading the data further or searching."""
    from tabship.features import parse_derived

    for expression in derive:
        parse_derived(expression)


def _holdout_metrics(
    fitted: Any, X_test: pd.DataFrame, y_test: pd.Series, schema: Schema
) -> tuple[Scores, Any]:
    """The held-out scores and the predictions they come from, which the report draws
    (predicting the held-out rows again cost an ensemble on diamonds a second)."""
    from tabship.evaluate import score

    y_pred = fitted.predict(X_test)
    if schema.task == "regression":
        return score(schema.task, y_test, y_pred), y_pred
    proba = fitted.predict_proba(X_test)
    classes = [str(c) for c in fitted.classes_]
    return score(schema.task, y_test, y_pred, proba=proba, classes=classes), y_pred


def _metrics_record(
    found: Any,
    holdout: Scores,
    deadline: Deadline,
    *,
    refit: bool,
    n_train: int,
    n_test: int,
) -> dict[str, Any]:
    board = found.leaderboard
    chosen = _chosen_row(found)
    return {
        "metric": found.metric,
        # multiclass: the winner is chosen by accuracy, the metric ranking it otherwise
        "chosen_by": found.chosen_by or found.metric,
        "cv_repeats": found.repeats,
        "best_model": found.best_name,
        "cv_score": float(chosen[f"cv_{found.metric}_mean"]),
        "holdout": holdout,
        "params": json_safe(chosen.get("params", {}), nonfinite="keep"),
        "leaderboard": json_safe(board.to_dict(orient="records"), nonfinite="keep"),
        "time_budget": deadline.seconds,
        "refit_on_all_rows": refit,
        "n_train": n_train,
        "n_test": n_test,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _render(
    d: _Prepared,
    found: Any,
    holdout: Scores,
    y_pred: Any,
    importance: pd.DataFrame,
    metrics: dict[str, Any],
) -> str:
    from tabship import __version__
    from tabship.report import ReportContext, render_report

    schema = d.schema
    ctx = ReportContext(
        title=f"{schema.target.name} — {schema.task}",
        created=metrics["created"],
        tabship_version=__version__,
        dataset={
            "source": d.source,
            "n_rows": len(d.frame),
            "n_columns": d.frame.shape[1],
            "n_dropped_target_rows": schema.target.n_dropped_missing,
        },
        task=schema.task,
        target=schema.target.name,
        metric=found.metric,
        schema=schema,
        leaderboard=found.leaderboard,
        holdout_metrics=holdout,
        y_true=d.y_test.to_numpy(),
        y_pred=y_pred,
        y_train=d.y_train.to_numpy(),
        importance=importance,
        params={
            "model": found.best_name,
            **_chosen_params(found),
            "time_budget": metrics["time_budget"],
        },
        warnings=d.notes,
    )
    return render_report(ctx)


def _available_cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _chosen_row(found: Any) -> pd.Series:
    """The leaderboard row of the chosen model (not always the top row)."""
    board = found.leaderboard
    rows = board[board["model"] == found.best_name]
    return rows.iloc[0] if len(rows) else board.iloc[0]


def _source_name(data: object) -> str:
    return "DataFrame" if isinstance(data, pd.DataFrame) else str(data)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _chosen_params(found: Any) -> dict[str, JSONValue]:
    """The chosen model's parameters, plain (numpy scalars as Python numbers)."""
    params = json_safe(_chosen_row(found).get("params", {}), nonfinite="keep")
    return cast(dict[str, JSONValue], params)  # a mapping in, a dict out
