"""Everything the training report shows, gathered by ``train`` into one plain object.

The report layer computes nothing about the model: ``train`` hands over the leaderboard,
the holdout predictions and metrics, the importances and the schema, and the report only
lays them out. Keeping the inputs in one dataclass makes the report renderable (and
testable) from saved numbers without refitting anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tabship.data import TASKS, Schema
from tabship.errors import DataError, OptionError

__all__ = ["ReportContext"]


@dataclass
class ReportContext:
    """The inputs of ``render_report``.

    Parameters
    ----------
    title : str
        Page heading, e.g. ``"charges — regression"``.
    created : str
        When the model was trained (ISO 8601 text).
    tabship_version : str
        The tabship version that trained the model.
    dataset : mapping
        ``source`` (file name or ``"DataFrame"``), ``n_rows``, ``n_columns`` and
        ``n_dropped_target_rows``.
    task : {"regression", "binary", "multiclass"}
    target : str
        Name of the target column.
    metric : str
        The primary metric the search optimised (``"r2"``, ``"roc_auc"``, ...).
    schema : tabship.data.Schema
        Drives the "Columns" table.
    leaderboard : pandas.DataFrame
        One row per candidate, best first (``model``, ``cv_<metric>_mean``/``_std``,
        ``fit_seconds``, ``predict_us_per_row``, ...).
    holdout_metrics : mapping
        Metrics on the held-out rows; numbers are shown as cards, ``confusion_matrix``
        and ``labels`` order the confusion-matrix plot.
    y_true, y_pred : array-like
        Held-out targets and predictions of the chosen model.
    y_train : array-like
        Training targets, for the target distribution plot.
    importance : pandas.DataFrame or None
        ``feature``, ``importance`` and optionally ``std``; omitted when None.
    params : mapping
        The chosen model's hyperparameters and run settings (model, time budget, ...).
    warnings : sequence of str
        Notes for the reader (dropped columns, dropped rows, fallbacks).

    Raises
    ------
    OptionError
        ``task`` is not one of the known tasks.
    DataError
        ``y_true`` and ``y_pred`` have different lengths.
    """

    title: str
    created: str
    tabship_version: str
    dataset: Mapping[str, Any]
    task: str
    target: str
    metric: str
    schema: Schema
    leaderboard: pd.DataFrame
    holdout_metrics: Mapping[str, Any]
    y_true: Any
    y_pred: Any
    y_train: Any
    importance: pd.DataFrame | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    warnings: Sequence[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise OptionError("task", "one of " + ", ".join(map(repr, TASKS)), self.task)
        n_true, n_pred = len(np.asarray(self.y_true)), len(np.asarray(self.y_pred))
        if n_true != n_pred:
            raise DataError(
                f"The report's y_true has {n_true} values but y_pred has {n_pred}.",
                hint="Pass the holdout targets and the predictions for the same rows.",
            )

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"
