"""Drift of one feature (or of the prediction): PSI over the training bins, a status,
and the change in the missing rate.

PSI (population stability index) = sum over the bins of (a - e) * ln(a / e), with ``e``
the training and ``a`` the live fraction of the non-missing values in each bin, both
floored at 1e-4 so an empty bin does not make it infinite. Rules of thumb that the
defaults follow: under 0.1 the distribution is stable, 0.1 to 0.25 it moved (warn), over
0.25 it changed (alert).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

from tabship.data import DriftReference
from tabship.monitor._reference import bin_labels

__all__ = [
    "FLOOR",
    "BinShare",
    "FeatureDrift",
    "PredictionDrift",
    "Status",
    "Thresholds",
    "feature_drift",
    "prediction_drift",
    "psi",
    "worst_status",
]

FLOOR = 1e-4
Status = Literal["ok", "warn", "alert"]
_RANK: dict[Status, int] = {"ok": 0, "warn": 1, "alert": 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """PSI at or above ``warn`` is a warning, at or above ``alert`` an alert."""

    warn: float = 0.1
    alert: float = 0.25

    def __post_init__(self) -> None:
        if not (0 <= self.warn <= self.alert) or not math.isfinite(self.alert):
            raise ValueError(
                f"thresholds must satisfy 0 <= warn <= alert, got warn={self.warn:g} "
                f"and alert={self.alert:g}"
            )

    def status(self, value: float) -> Status:
        if value >= self.alert:
            return "alert"
        return "warn" if value >= self.warn else "ok"


class BinShare(TypedDict):
    """One bin: its label and the fractions of training and live values in it."""

    label: str
    training: float
    live: float


class FeatureDrift(TypedDict):
    """A feature's drift in the report (``/monitor.json``)."""

    psi: float
    status: Status
    missing_rate: float
    training_missing_rate: float
    missing_rate_change: float
    records: int  # live records counted, missing values included
    kind: Literal["numeric", "categorical"]
    bins: list[BinShare]


class PredictionDrift(TypedDict):
    """The prediction's drift in the report."""

    psi: float
    status: Status
    records: int
    kind: Literal["numeric", "categorical"]
    bins: list[BinShare]
    approximate: bool


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """PSI between two distributions given as counts (or fractions) per bin; 0.0 when
    either has nothing in any bin (there is nothing to compare)."""
    e_total, a_total = float(sum(expected)), float(sum(actual))
    if e_total <= 0 or a_total <= 0:
        return 0.0
    value = 0.0
    for e_n, a_n in zip(expected, actual, strict=True):
        e = max(e_n / e_total, FLOOR)
        a = max(a_n / a_total, FLOOR)
        value += (a - e) * math.log(a / e)
    return value


def feature_drift(
    ref: DriftReference, live: Mapping[int, int], thresholds: Thresholds
) -> FeatureDrift:
    """The drift of one feature from its live counts per bin (bin -1: missing)."""
    live_counts = _live_counts(ref, live)
    missing = int(live.get(-1, 0))
    records = sum(live_counts) + missing
    training_rows = sum(ref["counts"]) + ref["missing"]
    value = round(psi(ref["counts"], live_counts), 6)
    live_rate = missing / records if records else 0.0
    training_rate = ref["missing"] / training_rows if training_rows else 0.0
    return {
        "psi": value,
        "status": thresholds.status(value),
        "missing_rate": round(live_rate, 6),
        "training_missing_rate": round(training_rate, 6),
        "missing_rate_change": round(live_rate - training_rate, 6),
        "records": records,
        "kind": ref["kind"],
        "bins": _shares(ref, live_counts),
    }


def prediction_drift(
    ref: DriftReference, live: Mapping[int, int], thresholds: Thresholds, *, approximate: bool
) -> PredictionDrift:
    """The drift of the model's predictions from their live counts per bin."""
    live_counts = _live_counts(ref, live)
    value = round(psi(ref["counts"], live_counts), 6)
    return {
        "psi": value,
        "status": thresholds.status(value),
        "records": sum(live_counts) + int(live.get(-1, 0)),
        "kind": ref["kind"],
        "bins": _shares(ref, live_counts),
        "approximate": approximate,
    }


def worst_status(statuses: Sequence[Status]) -> Status:
    """The most severe of ``statuses`` ("ok" for none)."""
    return max(statuses, key=_RANK.__getitem__, default="ok")


def _live_counts(ref: DriftReference, live: Mapping[int, int]) -> list[int]:
    """Live counts in the reference's bins (a bin index out of range, as from a changed
    reference, is folded into the nearest bin)."""
    n_bins = len(ref["counts"])
    counts = [0] * n_bins
    for bin_, n in live.items():
        if bin_ >= 0 and n_bins:
            counts[min(int(bin_), n_bins - 1)] += int(n)
    return counts


def _shares(ref: DriftReference, live_counts: list[int]) -> list[BinShare]:
    e_total, a_total = sum(ref["counts"]) or 1, sum(live_counts) or 1
    return [
        {"label": label, "training": round(e / e_total, 6), "live": round(a / a_total, 6)}
        for label, e, a in zip(bin_labels(ref), ref["counts"], live_counts, strict=True)
    ]
