"""Writing a fitted pipeline down as a scoring plan (see ``tabship.runtime._plan``).

This walks the *fitted* scikit-learn objects once, when a model is saved (or loaded from
an artifact that has no plan yet), and records what each step does at prediction time:
lookup tables, imputation statistics, scaler moments, one-hot blocks computed by the
encoder itself, target encodings, linear coefficients, and tree ensembles converted by
Treelite. Only what tabship's own pipelines contain is compiled; anything else (datetime
parts, an unknown estimator) makes ``compile_plan`` return None and the runtime keeps
using the pipeline.
"""

from __future__ import annotations

import copy
import json
import warnings
import zlib
from typing import Any

import numpy as np

from tabship.errors import TabshipWarning
from tabship.runtime._plan import PLAN_FILE, PLAN_FORMAT, Plan
from tabship.runtime._plan import _is_missing as _missing

__all__ = ["compile_plan", "plan_files"]


class Unsupported(Exception):
    """A pipeline part the plan does not express (the pipeline is used instead)."""


def plan_files(pipeline: Any, schema: Any) -> dict[str, bytes]:
    """``plan.json`` and its model files for ``pipeline``; empty when it has no plan.

    A plan is only returned after it predicted what the pipeline predicts on probe
    records built from the schema (every category, the range ends, missing values): a
    converter bug must cost speed, never a wrong answer. Nothing here can fail a save.
    """
    compiled = _Compiler()
    try:
        root = compiled.estimator(pipeline)
        task = schema.task
        spec = {
            "format": PLAN_FORMAT,
            "task": task,
            "classes": None if task == "regression" else [str(c) for c in pipeline.classes_],
            "inputs": [f.name for f in schema.feature_fields],
            "root": root,
        }
        files = {PLAN_FILE: json.dumps(spec, allow_nan=False).encode("utf-8"), **compiled.blobs}
        problem = _disagreement(Plan.from_files(files), pipeline, schema)
    except Unsupported:
        return {}
    except Exception as error:  # a converter failing in its own way
        problem = f"it could not be compiled ({type(error).__name__}: {error})"
    if problem:
        warnings.warn(
            f"The model has no scoring plan: {problem}. It predicts with its scikit-learn "
            "pipeline instead, which is slower to load and to serve.",
            TabshipWarning,
            stacklevel=2,
        )
        return {}
    return files


def _disagreement(plan: Plan, pipeline: Any, schema: Any) -> str | None:
    """Why ``plan`` cannot stand in for ``pipeline`` on probe records, or None."""
    from tabship.runtime._scoring import frame_predictor
    from tabship.runtime._validate import validate_records

    checked = validate_records(_probe_records(schema), schema)
    if checked.errors or not checked.valid_index:
        return None  # nothing valid to compare on (a schema without an example)
    n = len(checked.valid_index)
    expected = frame_predictor(pipeline, schema)(checked.columns, n)
    got = plan.predict(checked.columns, n)
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
        worst = float(np.max(np.abs(got - expected))) if got.shape == expected.shape else None
        return f"it disagrees with the pipeline on probe records (largest difference {worst})"
    return None


def _probe_records(schema: Any) -> list[dict[str, Any]]:
    """The example record, then one change at a time: every category (up to 50 per
    field), the ends of every numeric range, and a missing value where one is allowed."""
    base = dict(schema.example)
    records = [base]
    for f in schema.feature_fields:
        if f.role in ("categorical", "boolean"):
            values: list[Any] = list(f.categories or [])[:50]
        elif f.role == "numeric":
            values = [v for v in (f.minimum, f.maximum) if v is not None]
        else:
            values = []
        if not f.required:
            values.append(None)
        records.extend({**base, f.name: v} for v in values)
    return records


def compile_plan(pipeline: Any, schema: Any) -> Plan | None:
    """A ``Plan`` for ``pipeline`` built in memory, or None when it has no plan."""
    files = plan_files(pipeline, schema)
    return Plan.from_files(files) if files else None


class _Compiler:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def blob(self, suffix: str, data: bytes) -> str:
        name = f"plan-{len(self.blobs)}.{suffix}"
        self.blobs[name] = zlib.compress(data, 6)
        return name

    def estimator(self, est: Any) -> dict[str, Any]:
        name = type(est).__name__
        if name == "Pipeline":
            return self.pipeline(est)
        if name in ("VotingRegressor", "VotingClassifier"):
            if name == "VotingClassifier" and est.voting != "soft":
                raise Unsupported("hard voting")
            weights = est._weights_not_none
            return {
                "kind": "voting",
                "weights": None if weights is None else [float(w) for w in weights],
                "members": [self.estimator(m) for m in est.estimators_],
            }
        raise Unsupported(name)

    def pipeline(self, pipe: Any) -> dict[str, Any]:
        steps = [step for _, step in pipe.steps if step not in (None, "passthrough")]
        model = steps[-1]
        prep = steps[:-1]
        if len(prep) == 1 and type(prep[0]).__name__ == "Pipeline":
            prep = [step for _, step in prep[0].steps]
        frame_steps: list[dict[str, Any]] = []
        columns: list[dict[str, Any]] | None = None
        inner = _innermost(model)
        hgb = inner if _native_hist_gradient_boosting(inner) else None
        for step in prep:
            kind = type(step).__name__
            if kind == "SchemaCoercer":
                frame_steps.append(_coercer(step))
            elif kind == "DerivedColumns":
                frame_steps.append({"op": "derive", "expressions": list(step.expressions)})
            elif kind == "ColumnTransformer" and columns is None:
                columns = _column_transformer(step, hgb)
            else:
                raise Unsupported(kind)
        if columns is None:
            raise Unsupported("no ColumnTransformer")
        return {
            "kind": "pipeline",
            "steps": frame_steps,
            "columns": columns,
            "model": self.model(model),
        }

    def model(self, model: Any) -> dict[str, Any]:
        name = type(model).__name__
        if name == "LogTargetRegressor":
            inner = self.model(model.regressor_)
            clip = [model.low_, model.high_]
            return {"kind": "log_target", "inner": inner, "clip": clip, "shift": model.shift_}
        if name == "TransformedTargetRegressor":
            if model.inverse_func is not np.expm1 or model.func is not np.log1p:
                raise Unsupported("target transform")
            return {"kind": "log_target", "inner": self.model(model.regressor_)}
        if name in ("LGBMRegressor", "LGBMClassifier"):
            return self.lightgbm(model)
        if _native_hist_gradient_boosting(model) or name.startswith("HistGradientBoosting"):
            return self.hist_gradient_boosting(model)
        if name in _TREE_MODELS:
            return self.sklearn_trees(model)
        if name in ("Ridge", "RidgeCV", "LinearRegression", "LogisticRegression"):
            return _linear(model)
        raise Unsupported(name)

    def lightgbm(self, model: Any) -> dict[str, Any]:
        import treelite

        booster = model.booster_
        params = booster.params if isinstance(booster.params, dict) else {}
        if float(params.get("sigmoid", 1.0)) != 1.0:
            raise Unsupported("LightGBM sigmoid")
        link = _classifier_link(model)
        if link == "none" and not str(model.objective_).startswith("regression"):
            raise Unsupported(f"LightGBM objective {model.objective_}")
        converted = treelite.frontend.from_lightgbm(booster)
        return {
            "kind": "trees",
            "link": link,
            "treelite": self.blob("treelite", converted.serialize_bytes()),
            "lightgbm": self.blob("lightgbm", booster.model_to_string().encode("utf-8")),
        }

    def hist_gradient_boosting(self, model: Any) -> dict[str, Any]:
        import treelite.sklearn

        if type(model._loss.link).__name__ not in ("IdentityLink", "LogitLink", "MultinomialLogit"):
            raise Unsupported("HistGradientBoosting loss")
        # The plan encodes the category text and orders the columns itself (below), so
        # Treelite sees the model after its private preprocessor. Given the preprocessor,
        # Treelite expects category *values* as integers instead, and got digit-string
        # categories wrong (auto-mpg's cylinders '3'..'8': 6.3 mpg off, measured).
        bare = copy.copy(model)
        bare._preprocessor = None
        converted = treelite.sklearn.import_model(bare)
        spec: dict[str, Any] = {
            "kind": "trees",
            "link": _classifier_link(model),
            "treelite": self.blob("treelite", converted.serialize_bytes()),
        }
        if _native_hist_gradient_boosting(model):
            # Its own ColumnTransformer puts the categories first, then the numbers.
            mask = np.asarray(model.is_categorical_, dtype=bool)
            spec["order"] = [*np.flatnonzero(mask).tolist(), *np.flatnonzero(~mask).tolist()]
        return spec

    def sklearn_trees(self, model: Any) -> dict[str, Any]:
        import treelite.sklearn

        converted = treelite.sklearn.import_model(_as_forest(model))
        return {
            "kind": "trees",
            "link": "none",
            "float32": True,
            "treelite": self.blob("treelite", converted.serialize_bytes()),
        }


_TREE_MODELS = frozenset(
    f"{family}{kind}"
    for family in ("DecisionTree", "RandomForest", "ExtraTrees")
    for kind in ("Regressor", "Classifier")
)


def _as_forest(model: Any) -> Any:
    """A one-tree forest around a decision tree: Treelite imports forests, and a forest
    of one tree predicts exactly what the tree does."""
    if not type(model).__name__.startswith("DecisionTree"):
        return model
    from sklearn import ensemble

    classifier = hasattr(model, "classes_")
    forest = (ensemble.RandomForestClassifier if classifier else ensemble.RandomForestRegressor)(
        n_estimators=1
    )
    forest.estimators_ = [model]
    forest.n_features_in_ = model.n_features_in_
    forest.n_outputs_ = model.n_outputs_
    if classifier:
        forest.classes_ = model.classes_
        forest.n_classes_ = model.n_classes_
    return forest


def _classifier_link(model: Any) -> str:
    if not hasattr(model, "classes_"):
        return "none"
    return "sigmoid" if len(model.classes_) == 2 else "softmax"


def _linear(model: Any) -> dict[str, Any]:
    coef = np.asarray(model.coef_, dtype=float)
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=float))
    if hasattr(model, "classes_"):
        link = "sigmoid" if len(model.classes_) == 2 else "softmax"
        coef = np.atleast_2d(coef)
    else:
        link = "identity"
        if coef.ndim != 1:
            raise Unsupported("multi-output regression")
        intercept = intercept.reshape(())
    return {"kind": "linear", "coef": coef.tolist(), "intercept": intercept.tolist(), "link": link}


def _innermost(model: Any) -> Any:
    wrapped = type(model).__name__ in ("LogTargetRegressor", "TransformedTargetRegressor")
    return model.regressor_ if wrapped else model


def _native_hist_gradient_boosting(model: Any) -> bool:
    """HistGradientBoosting with categories from the dtype: it encodes category *text*
    itself, with its own ordinal encoder (private ``_preprocessor``)."""
    name = type(model).__name__
    return (
        name.startswith("HistGradientBoosting")
        and getattr(model, "_preprocessor", None) is not None
    )


# --- preprocessing ----------------------------------------------------------------------


def _coercer(step: Any) -> dict[str, Any]:
    fields = [[name, role] for name, role in step.fields_]
    if any(role == "datetime" for _, role in fields):
        raise Unsupported("datetime fields")
    return {"op": "coerce", "fields": fields}


def _column_transformer(ct: Any, hgb: Any) -> list[dict[str, Any]]:
    inputs = [str(c) for c in ct.feature_names_in_]
    parts: list[dict[str, Any]] = []
    hgb_tables = _hgb_tables(hgb) if hgb else None
    for _, transformer, cols in ct.transformers_:
        names = _column_names(cols, inputs)
        if transformer == "drop" or not names:
            continue
        start = sum(len(p["inputs"]) for p in parts)
        if hgb_tables is not None and type(transformer).__name__ == "CategoryEncoder":
            steps = [_hgb_codes(transformer, hgb_tables, start)]
        else:
            steps = _vector_steps(transformer)
        parts.append({"inputs": names, "steps": steps})
    return parts


def _hgb_tables(model: Any) -> dict[int, dict[str, float]]:
    """Feature position -> HistGradientBoosting's own code per category text."""
    mask = np.asarray(model.is_categorical_, dtype=bool)
    encoder = model._preprocessor.named_transformers_["encoder"]
    positions = np.flatnonzero(mask).tolist()
    return {
        position: {_key(c): float(i) for i, c in enumerate(cats) if not _missing(c)}
        for position, cats in zip(positions, encoder.categories_, strict=True)
    }


def _hgb_codes(encoder: Any, tables: dict[int, dict[str, float]], start: int) -> dict[str, Any]:
    """Category text known to our encoder, mapped to HistGradientBoosting's own codes."""
    out = []
    for j, known in enumerate(encoder.categories_):
        table = tables.get(start + j)
        if table is None:
            raise Unsupported("HistGradientBoosting categorical layout")
        out.append({_key(c): table[_key(c)] for c in known if _key(c) in table})
    return {"op": "codes", "tables": out}


def _column_names(cols: Any, inputs: list[str]) -> list[str]:
    if isinstance(cols, slice):
        return inputs[cols]
    items = list(cols) if not isinstance(cols, str) else [cols]
    if items and isinstance(items[0], bool | np.bool_):
        return [n for n, keep in zip(inputs, items, strict=True) if keep]
    return [inputs[int(c)] if isinstance(c, int | np.integer) else str(c) for c in items]


def _vector_steps(transformer: Any) -> list[dict[str, Any]]:
    name = type(transformer).__name__
    # A fitted ColumnTransformer holds its passthrough remainder as an identity function.
    if transformer == "passthrough" or (name == "FunctionTransformer" and transformer.func is None):
        return [{"op": "float"}]
    if name == "Pipeline":
        return [
            s
            for _, step in transformer.steps
            if step not in (None, "passthrough")
            for s in _vector_steps(step)
        ]
    builders = {
        "CategoryEncoder": _category_codes,
        "SimpleImputer": _imputer,
        "StandardScaler": _scaler,
        "OneHotEncoder": _one_hot,
        "TargetEncoder": _target_encoder,
    }
    if name not in builders:
        raise Unsupported(name)
    return [builders[name](transformer)]


def _category_codes(encoder: Any) -> dict[str, Any]:
    tables = [
        {_key(c): float(i) for i, c in enumerate(cats) if not _missing(c)}
        for cats in encoder.categories_
    ]
    return {"op": "codes", "tables": tables}


def _imputer(imputer: Any) -> dict[str, Any]:
    if not _missing(imputer.missing_values):
        raise Unsupported("imputer missing_values")
    statistics = list(imputer.statistics_)
    if any(_missing(s) for s in statistics):
        raise Unsupported("imputer dropped an all-missing column")
    indicator = getattr(imputer, "indicator_", None)
    return {
        "op": "impute",
        "statistics": [s if isinstance(s, str) else float(s) for s in statistics],
        "indicator": [int(i) for i in indicator.features_] if indicator is not None else [],
    }


def _scaler(scaler: Any) -> dict[str, Any]:
    n = scaler.n_features_in_
    mean = scaler.mean_ if scaler.with_mean else np.zeros(n)
    scale = scaler.scale_ if scaler.with_std else np.ones(n)
    return {"op": "scale", "mean": [float(m) for m in mean], "scale": [float(s) for s in scale]}


def _one_hot(encoder: Any) -> dict[str, Any]:
    """Each input's output block, computed once per category by the encoder itself."""
    sizes = list(encoder._n_features_outs)
    n = len(encoder.categories_)
    blocks: list[dict[str, list[float]]] = []
    unknown: list[list[float]] = []
    for j, cats in enumerate(encoder.categories_):
        known = [c for c in cats if not _missing(c)]
        table = _encode_column(encoder, j, [*known, "\x00unseen\x00"], n)
        start = sum(sizes[:j])
        rows = [[float(x) for x in r[start : start + sizes[j]]] for r in table]
        blocks.append({_key(c): row for c, row in zip(known, rows[:-1], strict=True)})
        unknown.append(rows[-1])
    return {"op": "onehot", "blocks": blocks, "unknown": unknown}


def _encode_column(encoder: Any, j: int, probe: list[Any], n: int) -> np.ndarray:
    """The encoder's output for rows where input ``j`` takes each ``probe`` value."""
    filler = [encoder.categories_[k][0] for k in range(n)]
    rows = [[*filler[:j], value, *filler[j + 1 :]] for value in probe]
    data: Any = np.asarray(rows, dtype=object)
    names = getattr(encoder, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        data = pd.DataFrame(data, columns=list(names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unseen probe value warns by design
        out = encoder.transform(data)
    return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=float)


def _target_encoder(encoder: Any) -> dict[str, Any]:
    multiclass = encoder.target_type_ == "multiclass"
    n_classes = len(encoder.classes_) if multiclass else 1
    tables: list[dict[str, list[float]]] = []
    missing: list[list[float] | None] = []
    for j, cats in enumerate(encoder.categories_):
        table: dict[str, list[float]] = {}
        when_missing: list[float] | None = None
        for i, cat in enumerate(cats):
            row = [float(encoder.encodings_[j * n_classes + k][i]) for k in range(n_classes)]
            if _missing(cat):
                when_missing = row
            else:
                table[_key(cat)] = row
        tables.append(table)
        missing.append(when_missing)
    fallback = [float(m) for m in np.atleast_1d(encoder.target_mean_)]
    return {"op": "target", "tables": tables, "missing": missing, "fallback": fallback}


# --- small helpers ----------------------------------------------------------------------


def _key(category: Any) -> str:
    """Category text as a JSON key; the plan is only exact when categories are text."""
    if not isinstance(category, str):
        raise Unsupported(f"category {category!r} is not text")
    return category
