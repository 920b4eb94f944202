"""What one predicted record leaves in the log, and a batch of them made ready to write.

The request path builds a :class:`LogRecord` (cheap: an id, the time, references to the
values it already has). Everything costlier — JSON text, the excluded fields removed,
the drift bins and the hourly sums — is done by :func:`prepare_batch` on the writer's
thread, once per flush.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tabship.data import JSONValue, json_safe
from tabship.monitor._tables import PREDICTION

if TYPE_CHECKING:
    from tabship.data import DriftReference, DriftReferences

__all__ = [
    "HourKey",
    "LogBatch",
    "LogRecord",
    "model_hash",
    "new_record_id",
    "prepare_batch",
]

_log = logging.getLogger("tabship.monitor")


def new_record_id() -> str:
    """A new record id: 32 hex digits, unique across workers and machines.

    A UUID version 7 (RFC 9562): the time in milliseconds, then 74 random bits. Ids made
    one after another sort together, so the log's primary-key index grows at its end
    instead of at random places (inserts stay fast on a log of millions of rows).
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & (1 << 48) - 1) << 80 | secrets.randbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value).hex


def model_hash(manifest: Mapping[str, Any]) -> str:
    """The key a model's rows carry in the log: the sha256 of its manifest's file table.

    It depends on the artifact's contents only (not on when or where it was saved), so
    every worker, ``tabship feedback --model`` and ``tabship monitor`` agree on it.
    """
    files = manifest.get("files", manifest)
    text = json.dumps(files, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One predicted record, as the serving code hands it to :class:`LogWriter`.

    ``ts`` is an aware datetime (UTC preferred); ``inputs`` the record as validated;
    ``prediction`` a number (regression) or a class label; ``probabilities`` per class
    (classification) or None; ``latency_ms`` the time the prediction took.
    """

    id: str
    ts: datetime
    route: str
    inputs: Mapping[str, Any]
    prediction: float | str | None
    probabilities: Mapping[str, float] | None = None
    warnings: Sequence[str] = field(default_factory=tuple)
    latency_ms: float = 0.0


HourKey = datetime  # the UTC hour a record falls in (minutes, seconds cut)


@dataclass
class LogBatch:
    """Rows for ``tabship_predictions`` and the sums to add to the two aggregate tables."""

    rows: list[dict[str, object]]
    counts: dict[tuple[HourKey, str, int], int]
    hours: dict[HourKey, tuple[int, float, float]]  # records, latency sum, latency max

    def __len__(self) -> int:
        return len(self.rows)


def prepare_batch(
    model: str,
    records: Sequence[LogRecord],
    reference: DriftReferences | None = None,
    exclude: frozenset[str] = frozenset(),
) -> LogBatch:
    """The rows and aggregates of ``records``; excluded fields are neither stored nor counted."""
    hour_of = [_hour(record.ts) for record in records]
    return LogBatch(
        rows=[_row(model, record, exclude) for record in records],
        counts=_counts(records, hour_of, reference, exclude) if reference else {},
        hours=_hours(records, hour_of),
    )


def _hour(ts: datetime) -> HourKey:
    utc = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def _row(model: str, record: LogRecord, exclude: frozenset[str]) -> dict[str, object]:
    inputs = {k: v for k, v in record.inputs.items() if k not in exclude}
    number, label = _split_prediction(record.prediction)
    return {
        "id": record.id,
        "ts": record.ts,
        "model": model,
        "route": record.route[:40],
        "inputs": _json(inputs),
        "prediction_num": number,
        "prediction_label": label,
        "probabilities": None if record.probabilities is None else _json(record.probabilities),
        "warnings": _json(list(record.warnings)) if record.warnings else None,
        "latency_ms": float(record.latency_ms),
    }


def _split_prediction(prediction: object) -> tuple[float | None, str | None]:
    """A number goes to ``prediction_num`` (None when not finite), anything else is a label."""
    if prediction is None:
        return None, None
    if isinstance(prediction, str | bool):
        return None, str(prediction)
    try:  # Python and numpy numbers
        value = float(prediction)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, str(prediction)
    return (value if math.isfinite(value) else None), None


def _json(value: object) -> str:
    """JSON text of ``value``; NaN and infinities become null.

    Validated records hold plain Python values, which ``json.dumps`` takes as they are:
    that is tried first, and ``json_safe`` (a copy, value by value: half the writer's
    time per row) only runs for what it refuses (numpy values, dates, NaN).
    """
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        safe: JSONValue = json_safe(value, nonfinite="null")
        return json.dumps(safe, separators=(",", ":"), ensure_ascii=False)


def _counts(
    records: Sequence[LogRecord],
    hour_of: Sequence[HourKey],
    reference: DriftReferences,
    exclude: frozenset[str],
) -> dict[tuple[HourKey, str, int], int]:
    counted: Counter[tuple[HourKey, str, int]] = Counter()
    for name, ref in reference["features"].items():
        if name not in exclude:
            _count(counted, name, ref, [r.inputs.get(name) for r in records], hour_of)
    prediction_ref = reference.get("prediction")
    if prediction_ref is not None:
        _count(counted, PREDICTION, prediction_ref, [r.prediction for r in records], hour_of)
    return dict(counted)


_failed_bins: set[str] = set()


def _count(
    counted: Counter[tuple[HourKey, str, int]],
    name: str,
    ref: DriftReference,
    values: list[object],
    hour_of: Sequence[HourKey],
) -> None:
    from tabship.data import drift_bin_indices

    try:
        bins = drift_bin_indices(ref, values)
    except Exception as err:  # a field we cannot bin must not cost the rows: say it once
        if name not in _failed_bins:
            _failed_bins.add(name)
            _log.warning("Cannot count drift bins of '%s' in the prediction log: %s", name, err)
        return
    counted.update(zip(hour_of, _names(name, len(values)), bins.tolist(), strict=True))


def _names(name: str, n: int) -> Iterable[str]:
    return (name for _ in range(n))


def _hours(
    records: Sequence[LogRecord], hour_of: Sequence[HourKey]
) -> dict[HourKey, tuple[int, float, float]]:
    sums: dict[HourKey, tuple[int, float, float]] = {}
    for record, hour in zip(records, hour_of, strict=True):
        n, total, worst = sums.get(hour, (0, 0.0, 0.0))
        latency = float(record.latency_ms)
        sums[hour] = (n + 1, total + latency, max(worst, latency))
    return sums
