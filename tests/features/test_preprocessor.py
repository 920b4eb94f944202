"""build_preprocessor on the reference datasets, with real estimators and skops."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from tabship.data import Field, Schema, Target
from tabship.errors import OptionError
from tabship.features import FEATURE_TRANSFORMERS, KINDS, build_preprocessor

DATASETS = ["insurance", "auto_mpg", "college"]


@pytest.fixture(params=DATASETS)
def dataset(request):
    return request.getfixturevalue(request.param)


def as_array(out) -> np.ndarray:
    return out.to_numpy() if isinstance(out, pd.DataFrame) else out


def assert_same_output(left, right):
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right)
    else:
        np.testing.assert_allclose(left, right, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_preprocessor_fits_once_and_one_row_equals_its_batch_row(dataset, kind):
    X, y, schema = dataset
    pre = build_preprocessor(schema, kind).fit(X, y)
    batch = pre.transform(X)
    assert len(batch) == len(X)
    for i in (0, 31, len(X) - 1):
        one = pre.transform(X.iloc[[i]])
        expected = batch.iloc[[i]] if isinstance(batch, pd.DataFrame) else batch[[i]]
        assert_same_output(one, expected)
    if kind != "native":
        assert np.isfinite(batch).all()


def test_preprocessor_steps_follow_the_schema(auto_mpg, insurance):
    assert [n for n, _ in build_preprocessor(auto_mpg[2], "tree").steps] == [
        "coerce", "derive", "columns",
    ]  # fmt: skip
    assert [n for n, _ in build_preprocessor(insurance[2], "linear").steps] == [
        "coerce", "columns",
    ]  # fmt: skip


def test_preprocessor_rejects_an_unknown_kind(insurance):
    with pytest.raises(OptionError, match="'kind' must be one of 'linear', 'tree', 'native'"):
        build_preprocessor(insurance[2], "forest")


def test_linear_kind_imputes_scales_and_one_hot_encodes(auto_mpg):
    X, y, schema = auto_mpg
    pre = build_preprocessor(schema, "linear").fit(X, y)
    names = list(pre.get_feature_names_out())
    assert {"Origin_1", "Origin_2", "Origin_3", "acc_on_power"} <= set(names)
    assert "missingindicator_Horsepower" in names and "Car Name" not in names
    out = pre.transform(X)
    assert abs(out[:, names.index("Weight")].mean()) < 1e-9
    indicator = names.index("missingindicator_Horsepower")
    scaled_missing = out[X["Horsepower"].isna().to_numpy(), indicator]
    assert len(set(scaled_missing)) == 1 and scaled_missing[0] > 0
    unseen = X.iloc[[0]].assign(Origin=7, Horsepower=np.nan)
    row = pre.transform(unseen)[0]
    assert row[indicator] == scaled_missing[0]
    assert row[[names.index(f"Origin_{i}") for i in (1, 2, 3)]].tolist() == [0.0, 0.0, 0.0]


def test_high_cardinality_goes_to_target_encoding(college):
    X, y, schema = college
    assert len(schema.field("CIPDESC").categories) == 296
    assert len(schema.field("STABBR").categories) > 30
    expected = {
        "linear": ["STABBR", "CIPCODE", "CIPDESC"],
        "tree": ["STABBR", "CIPCODE", "CIPDESC"],
        "native": ["CIPCODE", "CIPDESC"],  # up to 250 levels stay native categories
    }
    for kind in KINDS:
        pre = build_preprocessor(schema, kind)
        encoders = {name: cols for name, _, cols in pre.named_steps["columns"].transformers}
        assert encoders["target_encoded"] == expected[kind], kind
    # Before the last step, which names the columns by position.
    native = build_preprocessor(schema, "native").fit(X, y)[:-1].transform(X.iloc[:50])
    assert native["CIPDESC"].dtype == "float64"
    assert isinstance(native["STABBR"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(("task", "width"), [("binary", 1), ("multiclass", 3)])
def test_target_encoding_follows_the_classification_task(task, width):
    rng = np.random.default_rng(0)
    codes = [f"c{i}" for i in range(40)]
    X = pd.DataFrame({"code": rng.choice(codes, 300), "x": rng.normal(size=300)})
    y = pd.Series(rng.choice(["a", "b", "c"][: 2 if task == "binary" else 3], 300))
    schema = Schema(
        fields=[Field("code", "categorical", categories=codes), Field("x", "numeric")],
        target=Target("y", task),
    )
    out = build_preprocessor(schema, "tree").fit(X, y).transform(X)
    assert out.shape == (300, width + 1)


def test_datetime_fields_become_parts(insurance):
    X = pd.DataFrame({"when": ["2024-01-01", "2024-06-30", None] * 4, "x": range(12)})
    schema = Schema(
        fields=[Field("when", "datetime"), Field("x", "numeric")],
        target=Target("y", "regression"),
    )
    pre = build_preprocessor(schema, "native")
    assert [n for n, _ in pre.steps] == ["coerce", "dates", "columns", "names"]
    pre.fit(X, np.arange(12.0))
    parts = ["when_year", "when_month", "when_day", "when_dayofweek", "x"]
    assert list(pre[:-1].transform(X).columns) == parts
    assert list(pre.transform(X).columns) == [f"f{i}_{name}" for i, name in enumerate(parts)]


@pytest.mark.parametrize("kind", KINDS)
def test_fitted_preprocessor_round_trips_through_skops(auto_mpg, kind):
    X, y, schema = auto_mpg
    pre = build_preprocessor(schema, kind).fit(X, y)
    data = sio.dumps(pre)
    untrusted = sio.get_untrusted_types(data=data)
    ours = {f"{t.__module__}.{t.__qualname__}" for t in FEATURE_TRANSFORMERS}
    assert set(untrusted) - ours <= {"numpy.dtype"}
    loaded = sio.loads(data, trusted=untrusted)
    assert_same_output(loaded.transform(X), pre.transform(X))


def test_preprocessor_clones_unfitted_for_search(insurance):
    X, y, schema = insurance
    pre = build_preprocessor(schema, "linear")
    twin = clone(pre)
    assert twin.get_params()["coerce__fields"] == pre.get_params()["coerce__fields"]
    np.testing.assert_allclose(twin.fit_transform(X, y), pre.fit_transform(X, y))


def native_models():
    return [
        lightgbm.LGBMRegressor(n_estimators=30, verbose=-1, n_jobs=1, random_state=0),
        HistGradientBoostingRegressor(max_iter=30, categorical_features="from_dtype"),
    ]


@pytest.mark.parametrize("model", native_models(), ids=lambda m: type(m).__name__)
def test_native_output_feeds_lightgbm_and_hgb(auto_mpg, model):
    X, y, schema = auto_mpg
    pipeline = Pipeline([("pre", build_preprocessor(schema, "native")), ("model", model)])
    with threadpool_limits(1):  # OpenMP threads thrash on the shared 2-core machine
        check_native_predictions(pipeline, X, y)


def check_native_predictions(pipeline, X, y):
    pipeline.fit(X, y)
    model = pipeline.named_steps["model"]
    if isinstance(model, HistGradientBoostingRegressor):
        flags = model.is_categorical_.tolist()  # Origin only (not numbers, Car Name's words)
        assert flags == [True] + [False] * (len(flags) - 1)
    else:
        assert model.booster_.pandas_categorical == [["1", "3", "2"]]
    odd = X.iloc[[5, 6, 7]].assign(Origin=["9", np.nan, "2"], Horsepower=[np.nan, 95.0, 150.0])
    batch = pipeline.predict(pd.concat([X.iloc[:20], odd]))
    assert np.isfinite(batch).all()
    for row in (0, 7, 19):
        assert pipeline.predict(X.iloc[[row]])[0] == pytest.approx(batch[row], abs=1e-9)
    for j in range(3):
        assert pipeline.predict(odd.iloc[[j]])[0] == pytest.approx(batch[20 + j], abs=1e-9)


def test_linear_output_feeds_a_linear_model(college):
    X, y, schema = college
    pipeline = Pipeline([("pre", build_preprocessor(schema, "linear")), ("model", Ridge())])
    pipeline.fit(X.iloc[:5000], y.iloc[:5000])
    assert pipeline.score(X.iloc[5000:8000], y.iloc[5000:8000]) > 0.5
