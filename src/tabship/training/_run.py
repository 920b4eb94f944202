"""The result of one ``tabship.train`` call, and how it is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tabship.data import Schema, Summary

__all__ = ["TrainingRun"]


@dataclass
class TrainingRun:
    """A trained model with everything learned on the way to it.

    Attributes
    ----------
    model : sklearn.pipeline.Pipeline
        The fitted pipeline (preprocessing + estimator), usable anywhere scikit-learn is.
        It takes the raw columns of the training table.
    leaderboard : pandas.DataFrame
        Every candidate tried, best first: CV mean and spread of the task's metric, fit
        seconds, prediction microseconds per row.
    metrics : dict
        Holdout test metrics of the chosen model, its name and parameters, the CV score,
        the time used.
    schema : Schema
        Every input field and the target, as inferred from the training table.
    """

    model: Any
    leaderboard: pd.DataFrame
    metrics: dict[str, Any]
    schema: Schema
    summary: Summary
    report_html: str
    importance: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None
    # ``background.json``: the training rows explanations are measured against
    # (``tabship.runtime.background_bytes``); None saves a model without it.
    background: bytes | None = field(default=None, repr=False)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the artifact atomically; refuse to replace an existing one unless ``force``."""
        from tabship import artifact
        from tabship.plan import plan_files
        from tabship.runtime import BACKGROUND_FILE, pipeline_probe

        extra: dict[str, bytes] = plan_files(self.model, self.schema, probe=pipeline_probe)
        if self.background is not None:
            extra[BACKGROUND_FILE] = self.background
        self.path = artifact.save(
            path,
            pipeline=self.model,
            schema=self.schema,
            metrics=self.metrics,
            summary=self.summary,
            report_html=self.report_html,
            extra_files=extra,
            force=force,
        )
        return self.path

    def predict(self, X: pd.DataFrame) -> Any:
        """Predict with the fitted pipeline (a convenience for notebooks)."""
        return self.model.predict(X)

    def __repr__(self) -> str:
        best = self.metrics.get("best_model", "?")
        holdout = self.metrics.get("holdout", {})
        shown = ", ".join(f"{k}={v:.4g}" for k, v in holdout.items() if isinstance(v, float))
        return f"TrainingRun(target={self.schema.target.name!r}, best={best!r}, {shown})"
