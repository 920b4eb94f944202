"""What the monitor compares the log with, taken from the model, and the live bin
counts of a window of the last N records.

A time window's counts come from the aggregate table the writer fills; the last N
records are read back and binned here with the same rule (``drift_bin_indices``), so
both windows count alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tabship.data import DriftReference, DriftReferences, drift_bin_indices, drift_references
from tabship.monitor._metrics import holdout_figures
from tabship.monitor._record import model_hash
from tabship.monitor._tables import PREDICTION

if TYPE_CHECKING:
    from datetime import timedelta

    from tabship.artifact import Artifact
    from tabship.monitor._log import PredictionLog
    from tabship.monitor._queries import LoggedRow
    from tabship.monitor._report import MonitorReport
    from tabship.runtime import Model

__all__ = ["MonitoredModel", "bin_labels", "counts_of_rows"]


@dataclass(frozen=True, slots=True)
class MonitoredModel:
    """What a report needs to know of a model: its hash in the log, its drift
    references, its holdout metrics, its task and classes."""

    sha: str
    references: DriftReferences
    holdout: dict[str, float]
    task: str
    classes: list[str] | None

    def report(
        self,
        log: PredictionLog,
        *,
        since: timedelta | None = None,
        last: int | None = None,
        warn: float = 0.1,
        alert: float = 0.25,
    ) -> MonitorReport:
        """This model's ``build_report`` over ``since`` or the ``last`` N records."""
        from tabship.monitor._report import build_report

        return build_report(
            log,
            model=self.sha,
            references=self.references,
            holdout_metrics=self.holdout,
            task=self.task,
            classes=self.classes,
            since=since,
            last=last,
            warn=warn,
            alert=alert,
        )

    @classmethod
    def from_model(cls, model: Model) -> MonitoredModel:
        """From a loaded model (``tabship.runtime.load``; a lean load is enough)."""
        return cls.from_parts(
            model.manifest, model.summary, model.metrics, model.task, model.classes
        )

    @classmethod
    def from_artifact(cls, loaded: Artifact) -> MonitoredModel:
        """From an artifact loaded without its pipeline (``build_pipeline=False``): what
        ``tabship monitor`` reads, in a fraction of a model load."""
        target = loaded.schema.target
        return cls.from_parts(
            loaded.manifest, loaded.summary, loaded.metrics, target.task, target.classes
        )

    @classmethod
    def from_parts(
        cls,
        manifest: Mapping[str, Any],
        summary: Mapping[str, Any],
        metrics: Mapping[str, Any],
        task: str,
        classes: Sequence[str] | None,
    ) -> MonitoredModel:
        """From an artifact's manifest, summary.json and metrics.json."""
        return cls(
            sha=model_hash(manifest),
            references=drift_references(summary),
            holdout=holdout_figures(metrics),
            task=task,
            classes=None if classes is None else [str(c) for c in classes],
        )


def bin_labels(ref: DriftReference) -> list[str]:
    """A short label per bin: "< 25", "25 – 31", "≥ 60" for numbers, the category names
    and "other" for categories."""
    if ref["kind"] == "categorical":
        return [*ref["categories"], "other"]
    edges = [_number(e) for e in ref["edges"]]
    if not edges:
        return ["all"]
    inner = [f"{low} – {high}" for low, high in zip(edges, edges[1:], strict=False)]
    return [f"< {edges[0]}", *inner, f"≥ {edges[-1]}"]


def counts_of_rows(
    references: DriftReferences, rows: Sequence[LoggedRow]
) -> dict[str, dict[int, int]]:
    """Live counts per bin (``{name: {bin: n}}``, as ``PredictionLog.window_counts``) of
    read-back rows. A field absent from every row's inputs (excluded from the log) is
    left out, so its drift is not computed."""
    found: dict[str, dict[int, int]] = {}
    for name, ref in references["features"].items():
        if any(name in row.inputs for row in rows):
            found[name] = _count(ref, [row.inputs.get(name) for row in rows])
    prediction = references.get("prediction")
    if prediction is not None and rows:
        found[PREDICTION] = _count(prediction, [row.prediction for row in rows])
    return found


def _count(ref: DriftReference, values: list[object]) -> dict[int, int]:
    return dict(Counter(drift_bin_indices(ref, values).tolist()))


def _number(value: float) -> str:
    """Short and readable: ``11806.9 -> "11,807"``, ``22.99 -> "22.99"``."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"
