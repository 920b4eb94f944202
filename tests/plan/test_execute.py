"""The scoring plan agrees with the fitted Pipeline, on every reference dataset.

Each dataset gets every model family the search builds (with the preprocessing kind it
uses), plus a log-target regressor and a soft-voting ensemble, fitted on a sample; the
plan, written to its files and read back, must reproduce ``Pipeline.predict`` /
``predict_proba`` to 1e-9 (1e-12 relative for huge values) on records it never saw,
including missing values, unseen categories and numbers far outside the training range,
one record at a time and all at once (bit for bit alike), with Treelite and with LightGBM
(its C library as a worker loads it, and its Python package as batch scoring does), and
with LightGBM models compiled by lleaves for batches of 10,000 rows and more.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from tabship.plan import Coded, Plan, plan_files
from tabship.runtime import open_plan, pipeline_probe
from tabship.runtime._scoring import frame_predictor
from tabship.runtime._validate import RecordValidator, validate_records
from tests.plan._fitted import DATASETS, fitted_candidates, with_surprises


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DATASETS))
def test_plan_agrees_with_the_pipeline(name):
    schema, pipelines, X = fitted_candidates(name)
    X = with_surprises(X, schema)
    validator = RecordValidator(schema)
    # As a JSON client sends them: a missing value is null, not NaN.
    records = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in X.to_dict(orient="records")
    ]
    checked = validate_records(records, schema)
    assert not checked.errors, checked.errors[:3]
    frame = checked.frame
    # A DataFrame validated as a whole hands its text columns over coded (``Coded``).
    coded = validate_records(X, schema)
    assert coded.valid_index == checked.valid_index, coded.errors[:3]
    has_text = any(f.role in ("categorical", "text") for f in schema.feature_fields)
    assert not has_text or any(isinstance(c, Coded) for c in coded.columns.values())
    compiled = 0
    for label, pipeline in pipelines.items():
        if schema.task == "regression":
            expected = pipeline.predict(frame)
        else:
            expected = pipeline.predict_proba(frame)
        # The pipeline itself (models without a plan) reads coded columns as plain ones.
        from_coded = frame_predictor(pipeline, schema)(coded.columns, len(records))
        np.testing.assert_array_equal(from_coded, expected, err_msg=f"{name}: {label}")
        files = plan_files(pipeline, schema, probe=pipeline_probe)
        if not files:
            continue
        compiled += 1
        for native in ("treelite", "lightgbm library", "native"):
            plan = (
                Plan.from_files(files, lightgbm_library=False)
                if native == "treelite"
                else open_plan(files, native_lightgbm=native == "native", pipeline=pipeline)
            )
            one_by_one = [
                plan.predict({k: [v] for k, v in validator.validate_one(r).values.items()}, 1)
                for r in records
            ]
            got = np.asarray(one_by_one, dtype=float).reshape(expected.shape)
            message = f"{name}: {label}, native={native}"
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9, err_msg=message)
            at_once = plan.predict(checked.columns, len(records))
            np.testing.assert_allclose(at_once, expected, rtol=1e-12, atol=1e-9, err_msg=message)
            np.testing.assert_array_equal(
                plan.predict(coded.columns, len(records)), at_once, err_msg=message
            )
            # Alone or in a batch, a record gets the same bits (the API promises it).
            np.testing.assert_array_equal(got, np.reshape(at_once, got.shape), err_msg=message)
            # Large batches look categories up column-wise (pandas) and predict on all cores.
            big = {k: list(v) * 40 for k, v in checked.columns.items()}
            tiled = np.concatenate([expected] * 40)
            got_big = plan.predict(big, 40 * len(records))
            np.testing.assert_allclose(got_big, tiled, rtol=1e-12, atol=1e-9, err_msg=message)
            if native == "lightgbm library":
                _check_compiled_trees(plan, checked.columns, expected, message)
    has_dates = any(f.role == "datetime" for f in schema.feature_fields)
    assert has_dates or compiled == len(pipelines), f"{name}: only {compiled} compiled"


def _check_compiled_trees(plan, columns, expected, message):
    """Batches of 10,000 rows and more move to the LightGBM models lleaves compiled, once
    built: LightGBM's C library's numbers to 1e-13 (blocks of trees are summed on their
    own), so the pipeline's numbers to 1e-9."""
    if not plan.compiled_trees() or importlib.util.find_spec("lleaves") is None:
        return
    times = 10_000 // len(expected) + 1
    n = times * len(expected)
    huge = {k: list(v) * times for k, v in columns.items()}
    before = plan.predict(huge, n)  # LightGBM's C library; the builds start
    for forest in plan.compiled_trees():
        assert forest.wait() is not None, f"{message}: {forest.failure}"
    after = plan.predict(huge, n)
    assert all(forest.failure is None for forest in plan.compiled_trees()), message
    np.testing.assert_allclose(after, before, rtol=1e-13, atol=1e-13, err_msg=message)
    tiled = np.concatenate([expected] * times)
    np.testing.assert_allclose(after, tiled, rtol=1e-12, atol=1e-9, err_msg=message)


@pytest.mark.parametrize("name", ["insurance", "adult"])
def test_ensemble_members_on_one_preprocessing(name):
    """Members fitted on the same preprocessing (as a search's ensembles of LightGBMs
    are) share its matrix inside the plan; each still predicts what it predicts alone,
    to the bit, one record at a time and all at once."""
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.ensemble import VotingClassifier, VotingRegressor

    from tabship.data import infer_schema, prepare_target, read_table
    from tabship.search._candidates import make_pipeline
    from tests.conftest import dataset_path

    file, target, _ = DATASETS[name]
    frame = read_table(dataset_path(file)).iloc[:400]
    schema = infer_schema(frame, target)
    X, y, _ = prepare_target(frame, target, schema.task)
    regression = schema.task == "regression"
    lgbm = LGBMRegressor if regression else LGBMClassifier
    members = [
        (f"m{i}", make_pipeline(schema, "tree", lgbm(n_estimators=n, verbose=-1, random_state=i)))
        for i, n in enumerate((15, 30))
    ]
    voting = (
        VotingRegressor(members, weights=[5, 3])
        if regression
        else VotingClassifier(members, weights=[5, 3], voting="soft")
    )
    ensemble = voting.fit(X.iloc[:300], y.iloc[:300])
    records = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in X.iloc[300:340].to_dict(orient="records")
    ]
    checked = validate_records(records, schema)
    expected = (
        ensemble.predict(checked.frame) if regression else ensemble.predict_proba(checked.frame)
    )
    plan = open_plan(plan_files(ensemble, schema, probe=pipeline_probe), pipeline=ensemble)
    validator = RecordValidator(schema)
    one_by_one = np.asarray(
        [
            plan.predict({k: [v] for k, v in validator.validate_one(r).values.items()}, 1)
            for r in records
        ],
        dtype=float,
    ).reshape(expected.shape)
    at_once = plan.predict(checked.columns, len(records))
    np.testing.assert_allclose(at_once, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(one_by_one, np.reshape(at_once, one_by_one.shape))
