"""runtime.Model: load a real saved model, predict from records, frames and packed files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline

from tabship import artifact, runtime
from tabship.data import infer_schema, prepare_target, read_table
from tabship.errors import ArtifactError, TabshipWarning, TaskError, ValidationError
from tabship.features import build_preprocessor
from tests.conftest import dataset_path


def _fit_and_save(out: Path, name: str, target: str, estimator) -> tuple[Path, pd.DataFrame]:
    frame = read_table(dataset_path(f"{name}.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TabshipWarning)
        schema = infer_schema(frame, target)
    X, y, _ = prepare_target(frame, target, schema.task)
    pipeline = make_pipeline(build_preprocessor(schema, "linear"), estimator).fit(X, y)
    path = artifact.save(
        out / name,
        pipeline=pipeline,
        schema=schema,
        metrics={"holdout": {}},
        summary={},
        report_html="<p>report</p>",
    )
    return path, X


@pytest.fixture(scope="module")
def mpg(tmp_path_factory) -> tuple[runtime.Model, pd.DataFrame]:
    """Regression with an optional field (Horsepower has missing values) and text."""
    path, X = _fit_and_save(tmp_path_factory.mktemp("models"), "auto-mpg", "MPG", Ridge())
    return runtime.load(path), X


@pytest.fixture(scope="module")
def drug(tmp_path_factory) -> tuple[runtime.Model, pd.DataFrame]:
    """Multiclass with categories users type as words."""
    model = LogisticRegression(max_iter=1000)
    path, X = _fit_and_save(tmp_path_factory.mktemp("models"), "drug200", "Drug", model)
    return runtime.load(path), X


def test_load_gives_a_model_with_its_artifact(mpg):
    model, _ = mpg
    assert isinstance(model, runtime.Model)
    assert model.task == "regression"
    assert model.classes is None
    assert model.schema.target.name == "MPG"
    assert model.metrics == {"holdout": {}}
    assert model.summary == {}
    assert model.manifest["format_version"] == artifact.FORMAT_VERSION
    assert model.report_html == "<p>report</p>"
    assert model.load_seconds > 0
    assert repr(model) == f"Model(path={str(model.path)!r}, target='MPG', task='regression')"


def test_predict_frame_agrees_with_the_pipeline(mpg):
    model, X = mpg
    predictions = model.predict(X)
    assert predictions.dtype == float and predictions.shape == (len(X),)
    assert 0 < X["Horsepower"].isna().sum() < len(X)
    np.testing.assert_allclose(predictions, model.pipeline.predict(X), rtol=0, atol=1e-9)


def test_predict_one_record_equals_its_row_in_a_batch(mpg):
    model, X = mpg
    records = X.head(3).to_dict(orient="records")
    batch = model.predict(records)
    np.testing.assert_allclose(model.predict(records[1]), batch[1:2])
    np.testing.assert_allclose(batch, model.pipeline.predict(X.head(3)))


def test_predict_leaves_a_missing_optional_field_to_the_trained_imputation(mpg):
    model, X = mpg
    record = {k: v for k, v in X.iloc[0].to_dict().items() if k != "Horsepower"}
    missing = X.head(1).assign(Horsepower=np.nan)
    np.testing.assert_allclose(model.predict(record), model.pipeline.predict(missing))
    assert model.score(record).defaulted == [(0, "Horsepower")]


def test_predict_refuses_a_record_missing_a_required_field(mpg):
    model, X = mpg
    record = {k: v for k, v in X.iloc[0].to_dict().items() if k != "Weight"}
    with pytest.raises(ValidationError, match="Weight"):
        model.predict(record)


def test_predict_proba_refuses_a_regression(mpg):
    model, X = mpg
    with pytest.raises(TaskError, match="'predict_proba' needs a classification model"):
        model.predict_proba(X.head(1))


def test_classifier_predicts_text_labels(drug):
    model, X = drug
    assert model.task == "multiclass"
    assert model.classes == ["drugA", "drugB", "drugC", "drugX", "drugY"]
    labels = model.predict(X)
    assert labels.dtype == object and all(isinstance(v, str) for v in labels)
    assert (labels == model.pipeline.predict(X).astype(str)).mean() > 0.99


def test_classifier_probabilities_one_column_per_class(drug):
    model, X = drug
    sample = X.iloc[[5, 0, 7]]
    proba = model.predict_proba(sample)
    assert list(proba.columns) == model.classes
    assert list(proba.index) == [5, 0, 7]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba.to_numpy(), model.pipeline.predict_proba(sample))
    assert list(proba.idxmax(axis=1)) == list(model.predict(sample))


def test_classifier_reads_categories_as_users_type_them(drug):
    model, X = drug
    record = X.iloc[0].to_dict()
    typed = {**record, "BP": str(record["BP"]).lower(), "Sex": str(record["Sex"]).lower()}
    assert model.predict(typed)[0] == model.predict(record)[0]


def test_load_a_packed_model(drug, tmp_path):
    model, X = drug
    packed = artifact.pack(model.path, tmp_path / "drug.tabship")
    again = runtime.load(packed)
    pd.testing.assert_frame_equal(again.predict_proba(X.head(5)), model.predict_proba(X.head(5)))


def test_load_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(ArtifactError, match="does not exist"):
        runtime.load(tmp_path / "missing")


def test_a_model_saved_without_a_plan_compiles_one_at_load(mpg):
    model, X = mpg
    assert runtime.PLAN_FILE not in model.artifact.extra_files
    assert model.plan is not None
    np.testing.assert_allclose(model.predict(X), model.pipeline.predict(X), rtol=0, atol=1e-9)


def test_a_plan_this_version_cannot_run_is_compiled_afresh(mpg):
    model, X = mpg
    loaded = artifact.load(model.path)
    loaded.extra_files = {runtime.PLAN_FILE: b'{"format": 1, "task": "regression"}'}
    again = runtime.Model(loaded)
    assert again.plan is not None
    np.testing.assert_allclose(again.predict(X), model.predict(X), rtol=0, atol=1e-9)


def test_a_model_keeps_its_record_validator_until_the_category_policy_changes(drug):
    """The schema's lookup tables are built once per model, not per request."""
    model, X = drug
    first = model.validator
    assert model.validator is first and first.schema is model.schema
    record = {**X.iloc[0].to_dict(), "BP": "very high"}
    assert model.score(record).warnings[0]["type"] == "unknown_category"
    model.allow_unknown_categories = False
    try:
        assert model.validator is not first
        assert model.validator is model.validator
        with pytest.raises(ValidationError, match="'BP' field must be one of"):
            model.predict(record)
    finally:
        model.allow_unknown_categories = True
