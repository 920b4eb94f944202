"""Insurance records predicted by a real model and logged through the real LogWriter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from tabship.monitor import LogRecord, LogWriter, MonitoredModel, PredictionLog, new_record_id
from tabship.runtime import Model


def log_predictions(
    log: PredictionLog,
    model: Model,
    frame: pd.DataFrame,
    *,
    ts: datetime | None = None,
    spread: timedelta = timedelta(0),
    exclude: frozenset[str] = frozenset(),
) -> list[str]:
    """Predict ``frame``'s rows with ``model`` and log them as a server does; their times
    run from ``ts`` (default: now) over ``spread``. Returns the record ids, in order."""
    watched = MonitoredModel.from_model(model)
    inputs = frame[model.schema.names].to_dict(orient="records")
    predictions = model.predict(frame[model.schema.names])
    probabilities = _probabilities(model, frame)
    start = ts or datetime.now(UTC)
    step = spread / max(len(frame) - 1, 1)
    records = [
        LogRecord(
            id=new_record_id(),
            ts=start + i * step,
            route="/predict",
            inputs=row,
            prediction=_plain(prediction),
            probabilities=None if probabilities is None else probabilities[i],
            latency_ms=1.0 + (i % 7),
        )
        for i, (row, prediction) in enumerate(zip(inputs, predictions, strict=True))
    ]
    writer = LogWriter(log, model=watched.sha, reference=watched.references, exclude=exclude)
    writer.submit(records)
    writer.close()
    assert writer.snapshot().written == len(records)
    return [r.id for r in records]


def shifted(frame: pd.DataFrame, years: int = 25) -> pd.DataFrame:
    """The issue's drifted records: ages up by ``years`` (clipped to the training range)
    and every record a smoker."""
    moved = frame.copy()
    moved["age"] = np.minimum(moved["age"] + years, frame["age"].max())
    moved["smoker"] = "yes"
    return moved


def _probabilities(model: Model, frame: pd.DataFrame) -> Sequence[dict[str, float]] | None:
    if model.task == "regression":
        return None
    table = model.predict_proba(frame[model.schema.names])
    return [{str(k): float(v) for k, v in row.items()} for row in table.to_dict("records")]


def _plain(value: object) -> float | str:
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[return-value]
