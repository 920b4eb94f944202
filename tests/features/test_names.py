"""PositionalNames: whatever a CSV header holds, the estimator sees f0, f1, ..."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from tabship.data import infer_schema
from tabship.features import PositionalNames, build_preprocessor
from tabship.features._names import positional_name

# Every name LightGBM refuses or mangles: JSON characters, brackets, a newline, an empty
# string, and two names its whitespace replacement makes equal ("a b" -> "a_b").
NASTY = ['a"b', "{x}", "k:v", "c,d", "x[0]", "line\nbreak", "", "a b", "a_b", "ünï cödé", "1st"]


def nasty_frame(n: int = 120) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    columns = {name: rng.normal(size=n) for name in NASTY}
    columns["{x}"] = rng.choice(["p", "q", "r"], n)
    X = pd.DataFrame(columns)
    y = pd.Series(X['a"b'] * 2 + (X["{x}"] == "p") + rng.normal(size=n) * 0.1, name="y")
    return X, y


def test_positional_names_are_unique_and_safe():
    names = [positional_name(i, n) for i, n in enumerate(NASTY)]
    assert len(set(names)) == len(NASTY)
    assert all(n.replace("_", "").isalnum() and n.isascii() for n in names)
    assert names[0] == "f0_a_b" and names[6] == "f6" and names[9] == "f9_n_c_d"


def test_positional_names_keep_values_and_dtypes():
    frame = pd.DataFrame({"a b": [1.0, np.nan], "{x}": pd.Categorical(["p", "q"])})
    out = PositionalNames().fit(frame).transform(frame)
    assert list(out.columns) == ["f0_a_b", "f1_x"]
    assert isinstance(out["f1_x"].dtype, pd.CategoricalDtype)
    np.testing.assert_array_equal(out["f0_a_b"].to_numpy(), frame["a b"].to_numpy())


@pytest.mark.parametrize(
    "model",
    [
        lightgbm.LGBMRegressor(n_estimators=20, verbose=-1, n_jobs=1, random_state=0),
        HistGradientBoostingRegressor(max_iter=20, categorical_features="from_dtype"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_native_models_train_on_any_column_name(model):
    X, y = nasty_frame()
    schema = infer_schema(X.assign(y=y), "y")
    assert [f.name for f in schema.feature_fields] == NASTY  # the user's names stay
    pipeline = Pipeline([("prep", build_preprocessor(schema, "native")), ("model", model)])
    with threadpool_limits(1):
        predictions = pipeline.fit(X, y).predict(X.iloc[:5])
    assert np.isfinite(predictions).all()
