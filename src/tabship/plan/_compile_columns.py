"""Compiling the preprocessing: the coercer and the column transformer's parts.

Each fitted transformer becomes a spec step holding what it learned: lookup tables,
imputation statistics, scaler moments, one-hot blocks computed by the encoder itself,
target encodings. Category keys must be text (``_key``): the plan is exact only then.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tabship.plan._spec_steps import (
    CodesStep,
    CoerceStep,
    ColumnPart,
    ColumnStep,
    FloatStep,
    ImputeStep,
    OneHotStep,
    ScaleStep,
    TargetStep,
    TokensStep,
)
from tabship.plan._values import is_missing

__all__ = ["Unsupported", "coercer", "column_transformer"]

# A fitted scikit-learn transformer (untyped library; read by duck typing).
Transformer = Any


class Unsupported(Exception):
    """A pipeline part the plan does not express (the pipeline is used instead)."""


def coercer(step: Transformer) -> CoerceStep:
    fields = [(name, role) for name, role in step.fields_]
    if any(role == "datetime" for _, role in fields):
        raise Unsupported("datetime fields")
    return CoerceStep(fields)


def column_transformer(ct: Transformer, hgb: Transformer | None) -> list[ColumnPart]:
    inputs = [str(c) for c in ct.feature_names_in_]
    parts: list[ColumnPart] = []
    hgb_tables = _hgb_tables(hgb) if hgb else None
    for _, transformer, cols in ct.transformers_:
        names = _column_names(cols, inputs)
        if transformer == "drop" or not names:
            continue
        start = sum(len(p.inputs) for p in parts)
        steps: list[ColumnStep]
        if hgb_tables is not None and type(transformer).__name__ == "CategoryEncoder":
            steps = [_hgb_codes(transformer, hgb_tables, start)]
        else:
            steps = _vector_steps(transformer)
        parts.append(ColumnPart(names, steps))
    return parts


def _hgb_tables(model: Transformer) -> dict[int, dict[str, float]]:
    """Feature position -> HistGradientBoosting's own code per category text."""
    mask = np.asarray(model.is_categorical_, dtype=bool)
    encoder = model._preprocessor.named_transformers_["encoder"]
    positions: list[int] = np.flatnonzero(mask).tolist()
    return {
        position: {_key(c): float(i) for i, c in enumerate(cats) if not is_missing(c)}
        for position, cats in zip(positions, encoder.categories_, strict=True)
    }


def _hgb_codes(encoder: Transformer, tables: dict[int, dict[str, float]], start: int) -> CodesStep:
    """Category text known to our encoder, mapped to HistGradientBoosting's own codes."""
    out = []
    for j, known in enumerate(encoder.categories_):
        table = tables.get(start + j)
        if table is None:
            raise Unsupported("HistGradientBoosting categorical layout")
        out.append({_key(c): table[_key(c)] for c in known if _key(c) in table})
    return CodesStep(out)


def _column_names(cols: str | slice | Iterable[object], inputs: list[str]) -> list[str]:
    if isinstance(cols, slice):
        return inputs[cols]
    items: list[object] = [cols] if isinstance(cols, str) else list(cols)
    if items and isinstance(items[0], bool | np.bool_):
        return [n for n, keep in zip(inputs, items, strict=True) if keep]
    return [inputs[int(c)] if isinstance(c, int | np.integer) else str(c) for c in items]


def _vector_steps(transformer: Transformer) -> list[ColumnStep]:
    name = type(transformer).__name__
    # A fitted ColumnTransformer holds its passthrough remainder as an identity function.
    if transformer == "passthrough" or (name == "FunctionTransformer" and transformer.func is None):
        return [FloatStep()]
    if name == "Pipeline":
        return [
            s
            for _, step in transformer.steps
            if step not in (None, "passthrough")
            for s in _vector_steps(step)
        ]
    if name not in _BUILDERS:
        raise Unsupported(name)
    return [_BUILDERS[name](transformer)]


def _category_codes(encoder: Transformer) -> CodesStep:
    tables = [
        {_key(c): float(i) for i, c in enumerate(cats) if not is_missing(c)}
        for cats in encoder.categories_
    ]
    return CodesStep(tables)


def _imputer(imputer: Transformer) -> ImputeStep:
    if not is_missing(imputer.missing_values):
        raise Unsupported("imputer missing_values")
    statistics = list(imputer.statistics_)
    if any(is_missing(s) for s in statistics):
        raise Unsupported("imputer dropped an all-missing column")
    indicator = getattr(imputer, "indicator_", None)
    return ImputeStep(
        statistics=[s if isinstance(s, str) else float(s) for s in statistics],
        indicator=[int(i) for i in indicator.features_] if indicator is not None else [],
    )


def _scaler(scaler: Transformer) -> ScaleStep:
    n = scaler.n_features_in_
    mean = scaler.mean_ if scaler.with_mean else np.zeros(n)
    scale = scaler.scale_ if scaler.with_std else np.ones(n)
    return ScaleStep(mean=[float(m) for m in mean], scale=[float(s) for s in scale])


def _one_hot(encoder: Transformer) -> OneHotStep:
    """Each input's output block, computed once per category by the encoder itself."""
    sizes = list(encoder._n_features_outs)
    n = len(encoder.categories_)
    blocks: list[dict[str, list[float]]] = []
    unknown: list[list[float]] = []
    for j, cats in enumerate(encoder.categories_):
        known = [c for c in cats if not is_missing(c)]
        table = _encode_column(encoder, j, [*known, "\x00unseen\x00"], n)
        start = sum(sizes[:j])
        rows = [[float(x) for x in r[start : start + sizes[j]]] for r in table]
        blocks.append({_key(c): row for c, row in zip(known, rows[:-1], strict=True)})
        unknown.append(rows[-1])
    return OneHotStep(blocks, unknown)


def _encode_column(
    encoder: Transformer, j: int, probe: list[object], n: int
) -> NDArray[np.float64]:
    """The encoder's output for rows where input ``j`` takes each ``probe`` value."""
    filler = [encoder.categories_[k][0] for k in range(n)]
    rows = [[*filler[:j], value, *filler[j + 1 :]] for value in probe]
    array = np.asarray(rows, dtype=object)
    data: object = array
    names = getattr(encoder, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        data = pd.DataFrame(array, columns=list(names))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unseen probe value warns by design
        out = encoder.transform(data)
    return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=float)


def _target_encoder(encoder: Transformer) -> TargetStep:
    multiclass = encoder.target_type_ == "multiclass"
    n_classes = len(encoder.classes_) if multiclass else 1
    tables: list[dict[str, list[float]]] = []
    missing: list[list[float] | None] = []
    for j, cats in enumerate(encoder.categories_):
        table: dict[str, list[float]] = {}
        when_missing: list[float] | None = None
        for i, cat in enumerate(cats):
            row = [float(encoder.encodings_[j * n_classes + k][i]) for k in range(n_classes)]
            if is_missing(cat):
                when_missing = row
            else:
                table[_key(cat)] = row
        tables.append(table)
        missing.append(when_missing)
    fallback = [float(m) for m in np.atleast_1d(encoder.target_mean_)]
    return TargetStep(tables, missing, fallback)


def _text_tokens(tokens: Transformer) -> TokensStep:
    return TokensStep([[str(w) for w in words] for words in tokens.vocabularies_])


_BUILDERS: dict[str, Callable[[Transformer], ColumnStep]] = {
    "CategoryEncoder": _category_codes,
    "SimpleImputer": _imputer,
    "StandardScaler": _scaler,
    "OneHotEncoder": _one_hot,
    "TargetEncoder": _target_encoder,
    "TextTokens": _text_tokens,
}


def _key(category: object) -> str:
    """Category text as a JSON key; the plan is only exact when categories are text."""
    if not isinstance(category, str):
        raise Unsupported(f"category {category!r} is not text")
    return category
