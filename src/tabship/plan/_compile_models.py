"""Compiling fitted estimators: voting ensembles, pipelines and their final models.

Linear models become coefficients; tree ensembles (LightGBM, HistGradientBoosting,
scikit-learn forests and trees) become Treelite files, deflated, named ``plan-N.*`` in
the order they are written. Anything else raises ``Unsupported``: the model then has no
plan.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

import numpy as np

from tabship.plan._compile_columns import Unsupported, coercer, column_transformer
from tabship.plan._spec import (
    LinearModel,
    Link,
    LogTargetModel,
    PipelineNode,
    PlanModel,
    PlanNode,
    TreesModel,
    VotingNode,
)
from tabship.plan._spec_steps import ColumnPart, DeriveStep, FrameStep

__all__ = ["Estimator", "ModelCompiler", "Unsupported"]

# A fitted scikit-learn (or LightGBM) estimator. Those libraries ship no type hints, and
# the compiler reads their fitted attributes by duck typing, so it stays untyped.
Estimator = Any


class ModelCompiler:
    """Compiles one fitted estimator, collecting the model files it writes in ``blobs``."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def blob(self, suffix: str, data: bytes) -> str:
        name = f"plan-{len(self.blobs)}.{suffix}"
        self.blobs[name] = zlib.compress(data, 6)
        return name

    def estimator(self, est: Estimator) -> PlanNode:
        name = type(est).__name__
        if name == "Pipeline":
            return self.pipeline(est)
        if name in ("VotingRegressor", "VotingClassifier"):
            if name == "VotingClassifier" and est.voting != "soft":
                raise Unsupported("hard voting")
            weights = est._weights_not_none
            return VotingNode(
                weights=None if weights is None else [float(w) for w in weights],
                members=[self.estimator(m) for m in est.estimators_],
            )
        raise Unsupported(name)

    def pipeline(self, pipe: Estimator) -> PipelineNode:
        steps = [step for _, step in pipe.steps if step not in (None, "passthrough")]
        model = steps[-1]
        prep = steps[:-1]
        if len(prep) == 1 and type(prep[0]).__name__ == "Pipeline":
            prep = [step for _, step in prep[0].steps]
        frame_steps: list[FrameStep] = []
        columns: list[ColumnPart] | None = None
        inner = _innermost(model)
        hgb = inner if _native_hist_gradient_boosting(inner) else None
        for step in prep:
            kind = type(step).__name__
            if kind == "SchemaCoercer":
                frame_steps.append(coercer(step))
            elif kind == "DerivedColumns":
                frame_steps.append(DeriveStep(list(step.expressions)))
            elif kind == "ColumnTransformer" and columns is None:
                columns = column_transformer(step, hgb)
            elif kind == "PositionalNames" and columns is not None:
                continue  # renames the estimator's columns; the plan is positional
            else:
                raise Unsupported(kind)
        if columns is None:
            raise Unsupported("no ColumnTransformer")
        return PipelineNode(steps=frame_steps, columns=columns, model=self.model(model))

    def model(self, model: Estimator) -> PlanModel:
        name = type(model).__name__
        if name == "LogTargetRegressor":
            inner = self.model(model.regressor_)
            return LogTargetModel(inner, clip=(model.low_, model.high_), shift=model.shift_)
        if name == "TransformedTargetRegressor":
            if model.inverse_func is not np.expm1 or model.func is not np.log1p:
                raise Unsupported("target transform")
            return LogTargetModel(self.model(model.regressor_))
        if name in ("LGBMRegressor", "LGBMClassifier"):
            return self.lightgbm(model)
        if _native_hist_gradient_boosting(model) or name.startswith("HistGradientBoosting"):
            return self.hist_gradient_boosting(model)
        if name in _TREE_MODELS:
            return self.sklearn_trees(model)
        if name in ("Ridge", "RidgeCV", "LinearRegression", "LogisticRegression"):
            return _linear(model)
        raise Unsupported(name)

    def lightgbm(self, model: Estimator) -> TreesModel:
        import treelite

        booster = model.booster_
        params = booster.params if isinstance(booster.params, dict) else {}
        if float(params.get("sigmoid", 1.0)) != 1.0:
            raise Unsupported("LightGBM sigmoid")
        link = _classifier_link(model)
        if link == "none" and not str(model.objective_).startswith("regression"):
            raise Unsupported(f"LightGBM objective {model.objective_}")
        converted = treelite.frontend.from_lightgbm(booster)
        treelite_file = self.blob("treelite", converted.serialize_bytes())
        text = booster.model_to_string().encode("utf-8")
        return TreesModel(link, treelite_file, lightgbm=self.blob("lightgbm", text))

    def hist_gradient_boosting(self, model: Estimator) -> TreesModel:
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
        link = _classifier_link(model)
        treelite_file = self.blob("treelite", converted.serialize_bytes())
        if not _native_hist_gradient_boosting(model):
            return TreesModel(link, treelite_file)
        # Its own ColumnTransformer puts the categories first, then the numbers.
        mask = np.asarray(model.is_categorical_, dtype=bool)
        order = [*np.flatnonzero(mask).tolist(), *np.flatnonzero(~mask).tolist()]
        return TreesModel(link, treelite_file, order=order)

    def sklearn_trees(self, model: Estimator) -> TreesModel:
        import treelite.sklearn

        converted = treelite.sklearn.import_model(_as_forest(model))
        treelite_file = self.blob("treelite", converted.serialize_bytes())
        return TreesModel("none", treelite_file, float32=True)


_TREE_MODELS = frozenset(
    f"{family}{kind}"
    for family in ("DecisionTree", "RandomForest", "ExtraTrees")
    for kind in ("Regressor", "Classifier")
)


def _as_forest(model: Estimator) -> Estimator:
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


def _classifier_link(model: Estimator) -> Link:
    if not hasattr(model, "classes_"):
        return "none"
    return "sigmoid" if len(model.classes_) == 2 else "softmax"


def _linear(model: Estimator) -> LinearModel:
    coef = np.asarray(model.coef_, dtype=float)
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=float))
    link: Link
    if hasattr(model, "classes_"):
        link = "sigmoid" if len(model.classes_) == 2 else "softmax"
        coef = np.atleast_2d(coef)
    else:
        link = "identity"
        if coef.ndim != 1:
            raise Unsupported("multi-output regression")
        intercept = intercept.reshape(())
    return LinearModel(coef=coef.tolist(), intercept=intercept.tolist(), link=link)


def _innermost(model: Estimator) -> Estimator:
    wrapped = type(model).__name__ in ("LogTargetRegressor", "TransformedTargetRegressor")
    return model.regressor_ if wrapped else model


def _native_hist_gradient_boosting(model: Estimator) -> bool:
    """HistGradientBoosting with categories from the dtype: it encodes category *text*
    itself, with its own ordinal encoder (private ``_preprocessor``)."""
    name = type(model).__name__
    return (
        name.startswith("HistGradientBoosting")
        and getattr(model, "_preprocessor", None) is not None
    )
