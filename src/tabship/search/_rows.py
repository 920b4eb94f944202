"""Leaderboard rows: one cross-validated candidate each, how they rank, and the table.

The search builds a ``Row`` for every candidate that finished (screened, tuned or the
ensemble of the best), ranks them, and hands the caller a leaderboard frame of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabship.evaluate import PRIMARY_METRIC, greater_is_better
from tabship.features import Kind
from tabship.search._cv import CVData, CVResult, secondary_metric

__all__ = ["Row", "choice_metric", "describe", "leaderboard", "rank", "rank_for_choice"]


@dataclass
class Row:
    """One leaderboard row: a named, cross-validated candidate (or ensemble of rows)."""

    name: str
    family: str
    kind: Kind | None
    build: Callable[[], Any]
    params: dict[str, Any]
    cv: CVResult
    members: list[tuple[Row, int]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def mean(self) -> float:
        return float(np.mean(self.scores))


def rank(cv: CVData, rows: list[Row]) -> list[Row]:
    """Best first by the primary metric's mean over the folds."""
    sign = -1.0 if greater_is_better(cv.metric) else 1.0
    return sorted(rows, key=lambda r: sign * r.mean())


def choice_metric(task: str) -> str:
    """The metric the winner is chosen by: accuracy for multiclass, else the primary.

    A multiclass model is judged by its accuracy (the share of rows it labels right);
    the log loss ranks the rows while tuning because it moves smoothly with every
    probability, and it still decides between rows whose accuracies differ by less
    than their noise (``rank_for_choice``).
    """
    return "accuracy" if task == "multiclass" else PRIMARY_METRIC[task]


def rank_for_choice(cv: CVData, rows: list[Row]) -> list[Row]:
    """Best first by ``choice_metric``, a difference within its noise counting for none.

    Rows whose cross-validated accuracy is within half a standard error of the best
    (``0.5 * sqrt(a * (1 - a) / n)``, 1.7 points on 171 rows at 0.7) come first, ranked
    by the primary metric; then the rest, by accuracy. On 171 rows a default LightGBM
    was 0.0003 ahead of the ensemble on accuracy and 0.37 behind on log loss: the hair
    is noise, the log loss says which model is surer of its labels.
    """
    chosen_by = choice_metric(cv.task)
    ranked = rank(cv, rows)
    if chosen_by == cv.metric:
        return ranked
    accuracy = {id(r): float(np.mean(cv.fold_scores(chosen_by, r.cv.oof))) for r in ranked}
    best = max(accuracy.values())
    floor = best - 0.5 * float(np.sqrt(best * (1.0 - best) / len(cv.y)))
    near = [r for r in ranked if accuracy[id(r)] >= floor]
    rest = [r for r in ranked if accuracy[id(r)] < floor]
    return near + sorted(rest, key=lambda r: -accuracy[id(r)])


def leaderboard(cv: CVData, rows: list[Row]) -> pd.DataFrame:
    """The rows as the caller's table, in the order given."""
    metric, second = cv.metric, secondary_metric(cv.task)
    records = []
    for row in rows:
        scores = row.scores
        records.append(
            {
                "model": row.name,
                "family": row.family,
                f"cv_{metric}_mean": float(np.mean(scores)),
                f"cv_{metric}_std": float(np.std(scores)),
                f"cv_{second}_mean": float(np.mean(cv.fold_scores(second, row.cv.oof))),
                "fit_seconds": round(float(row.cv.fit_seconds), 4),
                "predict_us_per_row": round(float(row.cv.predict_us_per_row), 3),
                "params": _plain(row.params),
            }
        )
    return pd.DataFrame.from_records(records)


def describe(cv: CVData, row: Row) -> str:
    """One progress line for a finished row."""
    return (
        f"{row.name}: cv {cv.metric} {row.mean():.4f} ± {np.std(row.scores):.4f} "
        f"({row.cv.fit_seconds:.2f} s per fit)"
    )


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as plain Python values (numpy scalars become floats and ints)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out[key] = _plain(value)
        elif hasattr(value, "item"):
            out[key] = value.item()
        else:
            out[key] = value
    return out
