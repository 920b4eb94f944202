"""``Model``: a loaded artifact that predicts from records, with nothing from training.

Every prediction goes through the same validate-then-predict path as the HTTP API
(``score_records``), so ``model.predict(record)`` in a notebook and ``POST /predict`` on
a server accept the same inputs, fill the same defaults and give the same answer. The
model predicts from its scoring plan (``tabship.plan``) whenever it has one, for one record or
a million; the scikit-learn pipeline is the fallback for what the plan cannot express.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tabship.artifact import Artifact, Manifest
from tabship.artifact import load as load_artifact
from tabship.data import Schema, Summary
from tabship.errors import TaskError
from tabship.plan import Plan
from tabship.runtime._explain import BACKGROUND_FILE, Explainer, PredictColumns
from tabship.runtime._planning import plan_for
from tabship.runtime._scoring import (
    MAX_EXPLAINED,
    Scored,
    background_explainer,
    frame_predictor,
    score_records,
)
from tabship.runtime._validate import RecordValidator

if TYPE_CHECKING:
    import pandas as pd

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

    def __init__(
        self, artifact: Artifact, *, load_seconds: float = 0.0, native_lightgbm: bool = False
    ) -> None:
        self.artifact = artifact
        self.load_seconds = load_seconds
        # Every pipeline tabship builds handles unseen categories, so they are accepted
        # with a warning; a server may refuse them instead (``--strict-categories``).
        self.allow_unknown_categories = True
        self._validator: RecordValidator | None = None
        self._explainer: Explainer | None = None
        self.plan: Plan | None = plan_for(artifact, native_lightgbm)
        self._predict: PredictColumns | None = self.plan.predict if self.plan else None

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
    def summary(self) -> Summary:
        return self.artifact.summary

    @property
    def manifest(self) -> Manifest:
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
        if self.plan is not None and self.plan.classes is not None:
            return list(self.plan.classes)
        return [str(c) for c in self.pipeline.classes_]

    @property
    def predict_columns(self) -> PredictColumns:
        """The model on validated columns: ``predict_columns(columns, n)`` gives values
        ``(n,)`` or class probabilities ``(n, k)``; the plan when there is one."""
        if self._predict is None:
            self._predict = frame_predictor(self.pipeline, self.schema)
        return self._predict

    @property
    def validator(self) -> RecordValidator:
        """The record validator of the schema, built on first use and kept: its lookup
        tables serve every request (built again only if ``allow_unknown_categories``
        changes)."""
        policy = self.allow_unknown_categories
        if self._validator is None or self._validator.allow_unknown_categories != policy:
            self._validator = RecordValidator(self.schema, allow_unknown_categories=policy)
        return self._validator

    @property
    def explainer(self) -> Explainer:
        """What ``score(..., explain=True)`` explains with: Shapley values of the inputs
        against the background rows saved at training (``background.json``), built on
        first use and kept (it predicts the background rows once)."""
        if self._explainer is None:
            self._explainer = background_explainer(
                self.predict_columns,
                self.classes,
                self.schema,
                self.artifact.extra_files.get(BACKGROUND_FILE),
            )
        return self._explainer

    def score(
        self,
        data: Any,
        *,
        explain: bool = False,
        strict: bool = True,
        max_records: int | None = None,
        probability_dicts: bool = True,
        max_explained: int | None = MAX_EXPLAINED,
    ) -> Scored:
        """Validate ``data`` against the schema, then predict; see ``score_records``."""
        return score_records(
            self.predict_columns,
            self.classes,
            self.schema,
            data,
            explain=explain,
            strict=strict,
            max_records=max_records,
            allow_unknown_categories=self.allow_unknown_categories,
            probability_dicts=probability_dicts,
            validator=self.validator,
            explainer=self.explainer if explain else None,
            max_explained=max_explained,
        )

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
        import pandas as pd

        scored = self.score(data)
        index = data.index[scored.index] if isinstance(data, pd.DataFrame) else None
        return pd.DataFrame(scored.probabilities, columns=self.classes, index=index)

    def __repr__(self) -> str:
        target = self.schema.target
        return f"Model(path={str(self.path)!r}, target={target.name!r}, task={self.task!r})"


def load(path: str | Path, *, lean: bool = False, native_lightgbm: bool = False) -> Model:
    """Load a model folder or packed ``.tabship`` file, verified and audited.

    Parameters
    ----------
    path : str or Path
        The model folder or packed file.
    lean : bool
        Check the files now but build the scikit-learn pipeline only if a prediction
        needs it (the scoring plan does not): what a server worker wants, to start in a
        second and stay small. Its types are audited now all the same, from the skops
        file's own listing, without importing scikit-learn.
    native_lightgbm : bool
        Predict HistGradientBoosting models with scikit-learn's own multi-threaded
        predictor, which is faster on large batches (the pipeline is then built, for a
        plan that holds one). LightGBM models always predict with LightGBM's C library
        (on every core for a batch), which needs no pipeline.

    Raises
    ------
    ArtifactError
        The path is not an intact tabship model (see ``tabship.artifact.load``).
    """
    started = time.perf_counter()
    loaded = load_artifact(path, build_pipeline=not lean)
    model = Model(loaded, native_lightgbm=native_lightgbm)
    model.load_seconds = time.perf_counter() - started
    return model
