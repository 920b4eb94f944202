"""The worker side of Dask scale-out: the artifact plugin and the per-partition scorer.

Kept apart from ``_dask.py`` because it subclasses ``distributed.WorkerPlugin`` (Dask
refuses duck-typed plugins), and importing ``distributed`` must not happen when
``tabship.batch`` is imported by someone who never uses Dask.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from distributed import WorkerPlugin

__all__ = ["COUNTS", "ModelPlugin", "score_partition"]

COUNTS = pd.DataFrame({"rows": [0], "scored": [0], "failed": [0]}).iloc[:0]
_MODELS: dict[str, Any] = {}  # artifact sha256 -> Model, loaded once per worker process


class ModelPlugin(WorkerPlugin):
    """Carries the packed artifact to each worker once; loads the Model there once."""

    idempotent = True

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.key = hashlib.sha256(payload).hexdigest()

    def setup(self, worker: Any) -> None:
        if self.key in _MODELS:
            return
        from tabship.runtime import load

        folder = Path(getattr(worker, "local_directory", None) or tempfile.gettempdir())
        path = folder / f"tabship-{self.key[:16]}.tabship"
        path.write_bytes(self.payload)
        # Partitions are large: HistGradientBoosting's own predictor, when the plan has one.
        _MODELS[self.key] = load(path, lean=True, native_lightgbm=True)

    def teardown(self, worker: Any) -> None:
        _MODELS.pop(self.key, None)


def score_partition(
    part: pd.DataFrame,
    *,
    key: str,
    folder: str,
    kind: str,
    na_values: list[str],
    escape: bool = True,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Score one partition with the worker's cached Model and write its part files."""
    from tabship.batch._formulas import escape_formulas
    from tabship.batch._read import cleaned_chunk
    from tabship.batch._table import score_chunk

    model = _MODELS.get(key)
    if model is None:
        raise RuntimeError("the tabship model plugin did not run on this worker")
    number = (partition_info or {}).get("number", 0)
    part = part.reset_index(drop=True)
    chunk = cleaned_chunk(part, model.schema.names, na_values, "a Dask partition")
    good, bad = score_chunk(model, chunk)
    stem = Path(folder) / f"part-{number:05d}"
    csv_cells = escape_formulas if escape else _as_is
    if not good.empty:
        if kind == "parquet":
            good.to_parquet(stem.with_suffix(".parquet"), index=False)
        else:
            csv_cells(good).to_csv(stem.with_suffix(".csv"), index=False)
    if not bad.empty:
        csv_cells(bad).to_csv(stem.with_suffix(".errors.csv"), index=False)
    return pd.DataFrame({"rows": [len(chunk)], "scored": [len(good)], "failed": [len(bad)]})


def _as_is(frame: pd.DataFrame) -> pd.DataFrame:
    return frame
