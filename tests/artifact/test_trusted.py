"""The trusted-type list: every pipeline tabship builds fits in it, nothing else loads."""

from __future__ import annotations

import functools
import importlib
import io
import os
import sys
import zipfile

import numpy as np
import pytest
import skops.io
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import TransformedTargetRegressor, make_column_transformer
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler, TargetEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from tabship import artifact
from tabship.artifact._trusted import untrusted_types
from tabship.errors import ArtifactFormatError, UntrustedTypeError
from tabship.features import LogTargetRegressor
from tests.artifact.conftest import CATEGORICAL, rewrite

SMALL_TREES = {"n_estimators": 5, "max_depth": 3, "random_state": 0, "n_jobs": 1}
LGBM = {"n_estimators": 5, "num_leaves": 4, "verbose": -1, "n_jobs": 1}

REGRESSORS = {
    "lightgbm": LGBMRegressor(**LGBM),
    "hist_gradient_boosting": HistGradientBoostingRegressor(max_iter=5),
    "random_forest": ExtraTreesRegressor(**SMALL_TREES),
    "decision_tree": DecisionTreeRegressor(max_depth=3),
    "ridge": Ridge(),
    "log_target": TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1),
    "bounded_log_target": LogTargetRegressor(LGBMRegressor(**LGBM)),
    "voting": VotingRegressor([("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=2))]),
    "stacking": StackingRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=2))], cv=2
    ),
}
CLASSIFIERS = {
    "lightgbm": LGBMClassifier(**LGBM),
    "random_forest": RandomForestClassifier(**SMALL_TREES),
    "logistic": LogisticRegression(),
    "voting": VotingClassifier(
        [("logistic", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=2))],
        voting="soft",
    ),
}


def _encoder(categorical):
    numeric = make_pipeline(SimpleImputer(add_indicator=True), StandardScaler())
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="infrequent_if_exist"), categorical),
        (TargetEncoder(), categorical[:1]),
        remainder=numeric,
    )


@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regression_pipelines_hold_only_trusted_types(name, insurance_xy):
    X, y = insurance_xy
    fitted = make_pipeline(_encoder(CATEGORICAL), REGRESSORS[name]).fit(X, y)
    assert untrusted_types(skops.io.dumps(fitted)) == []


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classification_pipelines_hold_only_trusted_types(name, insurance):
    X, y = insurance.drop(columns="region"), insurance["region"]
    fitted = make_pipeline(_encoder(["sex", "smoker"]), CLASSIFIERS[name]).fit(X, y)
    assert untrusted_types(skops.io.dumps(fitted)) == []


@pytest.mark.parametrize(
    "estimator",
    [
        LGBMRegressor(**LGBM),
        HistGradientBoostingRegressor(max_iter=5, categorical_features="from_dtype"),
    ],
    ids=["lightgbm", "hist_gradient_boosting"],
)
def test_native_categorical_models_load_back(estimator, insurance_xy, tmp_path, save_model):
    X, y = insurance_xy[0].head(300), insurance_xy[1].head(300)
    X = X.astype(dict.fromkeys(CATEGORICAL, "category"))
    fitted = make_pipeline(estimator).fit(X, y)
    loaded = artifact.load(save_model(tmp_path / "m", pipeline=fitted))
    np.testing.assert_allclose(loaded.pipeline.predict(X), fitted.predict(X))


def test_trusted_list_is_code_not_data():
    names = artifact.trusted_types()
    assert isinstance(artifact.TRUSTED_TYPES, tuple)
    assert set(artifact.TRUSTED_TYPES) <= set(names)
    assert set(artifact.TABSHIP_TYPES) <= set(names)
    assert all(isinstance(n, str) and "." in n for n in names)
    assert not [n for n in names if n.startswith(("builtins.", "os.", "posix.", "subprocess."))]


def _resolve(type_name: str) -> object:
    """The object a skops type name points to (``package.module.Qual.Name``)."""
    parts = type_name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        return functools.reduce(getattr, parts[split:], found)
    raise ImportError(type_name)


@pytest.mark.parametrize("name", artifact.TABSHIP_TYPES)
def test_every_trusted_tabship_type_name_is_a_real_class(name):
    """The names are strings (artifact never imports features), so a move must fail here."""
    cls = _resolve(name)
    assert isinstance(cls, type)
    assert f"{cls.__module__}.{cls.__qualname__}" == name


def test_trusted_tabship_types_are_exactly_the_feature_transformers():
    from tabship.features import FEATURE_TRANSFORMERS

    own = {f"{c.__module__}.{c.__qualname__}" for c in FEATURE_TRANSFORMERS}
    assert set(artifact.TABSHIP_TYPES) == own


def _dangerous_pipelines():
    return {
        "os.system": make_pipeline(FunctionTransformer(os.system)),
        "partial(os.system)": make_pipeline(
            FunctionTransformer(functools.partial(os.system, "echo owned"))
        ),
        "eval": make_pipeline(FunctionTransformer(eval)),
    }


@pytest.mark.parametrize("name", sorted(_dangerous_pipelines()))
def test_load_refuses_functions_outside_the_list(name, model_dir):
    rewrite(model_dir, "pipeline.skops", skops.io.dumps(_dangerous_pipelines()[name]))
    with pytest.raises(
        UntrustedTypeError, match=r"outside tabship's trusted list: .*(system|eval)"
    ):
        artifact.load(model_dir)


EVIL_MODULE = """
import pathlib

pathlib.Path(MARKER).write_text("imported")


class Evil:
    def __init__(self):
        pathlib.Path(MARKER).write_text("constructed")

    def __setstate__(self, state):
        pathlib.Path(MARKER).write_text("constructed")

    def transform(self, X):
        return X
"""


def test_untrusted_class_is_neither_imported_nor_constructed(tmp_path, monkeypatch, model_dir):
    marker = tmp_path / "marker.txt"
    (tmp_path / "tabship_evil_module.py").write_text(f"MARKER = {str(marker)!r}\n{EVIL_MODULE}")
    monkeypatch.syspath_prepend(str(tmp_path))
    evil = importlib.import_module("tabship_evil_module").Evil()
    stored = skops.io.dumps(make_pipeline(FunctionTransformer(kw_args={"payload": evil})))
    marker.unlink()
    monkeypatch.delitem(sys.modules, "tabship_evil_module")
    rewrite(model_dir, "pipeline.skops", stored)

    with pytest.raises(UntrustedTypeError, match="'tabship_evil_module.Evil'"):
        artifact.load(model_dir)
    assert not marker.exists()
    assert "tabship_evil_module" not in sys.modules


def test_load_reports_a_pipeline_that_cannot_be_rebuilt(model_dir, ridge_pipeline):
    """Trusted types, broken content: a stored JSON value inside the skops file is garbage."""
    original = zipfile.ZipFile(io.BytesIO(skops.io.dumps(ridge_pipeline)))
    inner = original.read("schema.json").decode()
    assert '"content": "1.0"' in inner  # Ridge's alpha
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as damaged:
        for member in original.namelist():
            content = original.read(member)
            if member == "schema.json":
                content = inner.replace('"content": "1.0"', '"content": "{bad"', 1).encode()
            damaged.writestr(member, content)
    rewrite(model_dir, "pipeline.skops", buffer.getvalue())
    with pytest.raises(
        ArtifactFormatError,
        match=r"its pipeline \(pipeline.skops\) cannot be rebuilt.*JSONDecodeError",
    ):
        artifact.load(model_dir)


# Every preprocessing kind tabship builds, with the model families search fits on it,
# on real tables that exercise high-cardinality (target-encoded) and native categoricals.
TABSHIP_DATASETS = {
    "college_scorecard": (
        "EARN_MDN_5YR",
        {"drop": ["UNITID"], "roles": {"CIPCODE": "categorical"}},
    ),
    "adult": ("income", {}),
    "drug200": ("Drug", {}),
}


def _families(kind, regression):
    if kind == "linear":
        if regression:
            return [
                Ridge(),
                TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1),
            ]
        return [LogisticRegression(max_iter=200)]
    if kind == "tree":
        suffix = "Regressor" if regression else "Classifier"
        ensemble = importlib.import_module("sklearn.ensemble")
        trees = [
            getattr(ensemble, f"{f}{suffix}")(**SMALL_TREES) for f in ("RandomForest", "ExtraTrees")
        ]
        return [
            *trees,
            DecisionTreeRegressor(max_depth=3)
            if regression
            else DecisionTreeClassifier(max_depth=3),
        ]
    hgb = "HistGradientBoostingRegressor" if regression else "HistGradientBoostingClassifier"
    native_hgb = getattr(importlib.import_module("sklearn.ensemble"), hgb)
    lgbm = LGBMRegressor(**LGBM) if regression else LGBMClassifier(**LGBM)
    return [lgbm, native_hgb(max_iter=5, categorical_features="from_dtype")]


@pytest.fixture(scope="module")
def tabship_tables():
    """Real tables with their inferred schemas (600 rows each keeps this fast)."""
    import warnings

    from tabship.data import infer_schema, prepare_target, read_table
    from tabship.errors import TabshipWarning
    from tests.conftest import dataset_path

    tables = {}
    for name, (target, options) in TABSHIP_DATASETS.items():
        frame = read_table(dataset_path(f"{name}.csv")).head(600)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TabshipWarning)
            schema = infer_schema(frame, target, **options)
        X, y, _ = prepare_target(frame, target, schema.task)
        tables[name] = (schema, X, y)
    return tables


@pytest.mark.parametrize("kind", ["linear", "tree", "native"])
@pytest.mark.parametrize("dataset", sorted(TABSHIP_DATASETS))
def test_tabship_pipelines_hold_only_trusted_types(dataset, kind, tabship_tables):
    from tabship.features import build_preprocessor

    schema, X, y = tabship_tables[dataset]
    for model in _families(kind, schema.task == "regression"):
        fitted = make_pipeline(build_preprocessor(schema, kind), model).fit(X, y)
        assert untrusted_types(skops.io.dumps(fitted)) == [], type(model).__name__


def test_tabship_voting_ensemble_saves_and_loads(tabship_tables, tmp_path, save_model):
    """The search's ensemble (voting over whole pipelines) round-trips through save/load."""
    from tabship.features import build_preprocessor

    schema, X, y = tabship_tables["drug200"]
    members = [
        ("linear", make_pipeline(build_preprocessor(schema, "linear"), LogisticRegression())),
        ("native", make_pipeline(build_preprocessor(schema, "native"), LGBMClassifier(**LGBM))),
    ]
    fitted = VotingClassifier(members, voting="soft").fit(X, y)
    path = save_model(tmp_path / "drug", pipeline=fitted, schema=schema)
    loaded = artifact.load(path)
    np.testing.assert_allclose(loaded.pipeline.predict_proba(X), fitted.predict_proba(X))
    from tabship.features import FEATURE_TRANSFORMERS

    own = {f"{c.__module__}.{c.__qualname__}" for c in FEATURE_TRANSFORMERS}
    assert own <= set(artifact.trusted_types())
