"""``Model``: a loaded artifact that predicts from records, with nothing from training.

Every prediction goes through the same validate-then-predict path as the HTTP API
(``score_records``), so ``model.predict(record)`` in a notebook and ``POST /predict`` on
a server accept the same inputs, fill the same defaults and give the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabship.artifact import Artifact
from tabship.artifact import load as load_artifact
from tabship.data import Schema
from tabship.errors import TaskError, ValidationError
from tabship.runtime._fastpath import FastPath, compile_fast_path
from tabship.runtime._scoring import Scored, score_records
from tabship.runtime._validate import _validator_for

__all__ = ["Model", "load"]


class Model:
    """A trained tabship model, loaded for prediction.

    Parameters
    ----------
    artifact : Artifact
        What ``tabship.artifact.load`` returned.
    load_seconds : float
        How long loading took (reported by the server's metrics).

    Examples
    --------
    >>> model = tabship.load("models/charges")  # doctest: +SKIP
    >>> model.predict({"age": 19, "sex": "female", "bmi": 27.9, "children": 0,
    ...                "smoker": "yes", "region": "southwest"})  # doctest: +SKIP
    array([16884.9...])
    """

    def __init__(self, artifact: Artifact, *, load_seconds: float = 0.0) -> None:
        self.artifact = artifact
        self.load_seconds = load_seconds
        # Every pipeline tabship builds handles unseen categories, so they are accepted
        # with a warning; a server may refuse them instead (``--strict-categories``).
        self.allow_unknown_categories = True
        self.fast_path: FastPath | None = compile_fast_path(artifact.pipeline, artifact.schema)

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn pipeline; it takes the raw input columns."""
        return self.artifact.pipeline

    @property
    def schema(self) -> Schema:
        return self.artifact.schema

    @property
    def metrics(self) -> dict[str, Any]:
        return self.artifact.metrics

    @property
    def summary(self) -> dict[str, Any]:
        return self.artifact.summary

    @property
    def manifest(self) -> dict[str, Any]:
        return self.artifact.manifest

    @property
    def path(self) -> Path:
        return self.artifact.path

    @property
    def report_html(self) -> str:
        return self.artifact.report_html

    @property
    def task(self) -> str:
        """``"regression"``, ``"binary"`` or ``"multiclass"``."""
        return self.schema.task

    @property
    def classes(self) -> list[str] | None:
        """Class labels as text, in the order of ``predict_proba``'s columns (None for
        regression)."""
        if self.task == "regression":
            return None
        return [str(c) for c in self.pipeline.classes_]

    def score(
        self,
        data: Any,
        *,
        explain: bool = False,
        strict: bool = True,
        max_records: int | None = None,
    ) -> Scored:
        """Validate ``data`` against the schema, then predict; see ``score_records``.

        One record (a dict) without explanations takes the compiled fast path when the
        pipeline has one: the same validation, no per-request DataFrame.
        """
        if self.fast_path is not None and not explain and isinstance(data, Mapping) and data:
            return self._score_one_fast(data)
        return score_records(
            self.pipeline,
            self.schema,
            data,
            explain=explain,
            strict=strict,
            max_records=max_records,
            allow_unknown_categories=self.allow_unknown_categories,
        )

    def _score_one_fast(self, record: Mapping[str, Any]) -> Scored:
        assert self.fast_path is not None
        validator = _validator_for(self.schema, self.allow_unknown_categories)
        check = validator.validate_one(record)
        if check.errors:
            raise ValidationError(check.errors)
        output = self.fast_path.predict_one(check.values)
        scored = Scored(
            index=[0],
            predictions=[],
            warnings=check.warnings,
            defaulted=check.defaulted,
            unknown_fields=check.unknown_fields,
        )
        if not self.fast_path.classifier:
            scored.predictions = [float(output[0])]
            return scored
        classes = self.classes or []
        scored.predictions = [classes[int(np.argmax(output))]]
        scored.probabilities = [dict(zip(classes, map(float, output), strict=True))]
        return scored

    def predict(self, data: Any) -> np.ndarray:
        """Predictions for one record (dict), a list of records or a DataFrame.

        Returns floats for regression and class labels (text) for classification, one
        per record. Missing optional fields get the schema's defaults.

        Raises
        ------
        ValidationError
            A record does not match the schema; every problem is listed.
        """
        predictions = self.score(data).predictions
        if self.task == "regression":
            return np.asarray(predictions, dtype=float)
        return np.asarray(predictions, dtype=object)

    def predict_proba(self, data: Any) -> pd.DataFrame:
        """Class probabilities, one column per class in ``classes`` and one row per record.

        Raises
        ------
        TaskError
            The model does regression.
        ValidationError
            A record does not match the schema.
        """
        if self.task == "regression":
            raise TaskError(
                "predict_proba",
                "regression",
                hint="Use predict() for the predicted value.",
            )
        scored = self.score(data)
        index = data.index[scored.index] if isinstance(data, pd.DataFrame) else None
        return pd.DataFrame(scored.probabilities, columns=self.classes, index=index)

    def __repr__(self) -> str:
        target = self.schema.target
        return f"Model(path={str(self.path)!r}, target={target.name!r}, task={self.task!r})"


def load(path: str | Path) -> Model:
    """Load a model folder or packed ``.tabship`` file, verified and audited.

    Raises
    ------
    ArtifactError
        The path is not an intact tabship model (see ``tabship.artifact.load``).
    """
    started = time.perf_counter()
    loaded = load_artifact(path)
    return Model(loaded, load_seconds=time.perf_counter() - started)
