"""``build_preprocessor``: the schema turned into one of three preprocessing pipelines.

Each model family wants its inputs differently: linear models need imputed, scaled,
one-hot columns; tree ensembles only need numbers; LightGBM and HistGradientBoosting do
best with native categoricals and missing values left in. The pipeline is fitted once, at
training, and then serves single records and batches alike.
"""

from __future__ import annotations

from typing import Any, Literal

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from tabship.data import Schema
from tabship.errors import OptionError
from tabship.features._categories import CategoryEncoder
from tabship.features._coerce import SchemaCoercer
from tabship.features._datetime import DatetimeParts
from tabship.features._derived import DerivedColumns
from tabship.features._names import PositionalNames
from tabship.features._text import TextTokens

__all__ = ["KINDS", "MISSING_CATEGORY", "build_preprocessor", "category_levels"]

Kind = Literal["linear", "tree", "native"]
KINDS: tuple[str, ...] = ("linear", "tree", "native")
MISSING_CATEGORY = "__missing__"
# Above this many levels one-hot columns swamp linear and tree models: target-encode.
ONE_HOT_MAX_LEVELS = 30
# HistGradientBoosting accepts at most 255 bins per feature, categories included.
NATIVE_MAX_LEVELS = 250
# A category seen fewer times than this at fit shares one "infrequent" one-hot column.
ONE_HOT_MIN_FREQUENCY = 5
_TARGET_TYPES = {"regression": "continuous", "binary": "binary", "multiclass": "multiclass"}
_SEED = 0


def build_preprocessor(schema: Schema, kind: Kind) -> Pipeline:
    """The unfitted preprocessing pipeline for ``schema`` and an estimator ``kind``.

    Parameters
    ----------
    schema : Schema
        Its used fields, their roles and category counts, ``derived`` expressions and
        task decide the steps.
    kind : {"linear", "tree", "native"}
        ``linear``: median impute + missing indicators + scaling, one-hot up to 30
        levels, target encoding above. ``tree``: median impute, the same encodings.
        ``native``: a pandas frame with NaN kept and ``category`` columns (up to 250
        levels; target encoding above) for LightGBM / HistGradientBoosting, its columns
        named by position. Every kind turns text fields into 0/1 indicators of their
        most frequent words (``TextTokens``).

    Returns
    -------
    Pipeline
        ``coerce`` (SchemaCoercer) -> ``derive`` (DerivedColumns, when the schema has
        derived columns) -> ``dates`` (DatetimeParts, when it has datetime fields) ->
        ``columns`` (ColumnTransformer) -> ``names`` (PositionalNames, native only: the
        estimator sees ``f0, f1, ...`` whatever the columns are called). Append an
        estimator to it.

    Raises
    ------
    OptionError
        ``kind`` is not one of the three.
    """
    if kind not in KINDS:
        raise OptionError("kind", "one of " + ", ".join(f"'{k}'" for k in KINDS), kind)
    fields = tuple((f.name, f.role) for f in schema.feature_fields)
    steps: list[tuple[str, Any]] = [("coerce", SchemaCoercer(fields=fields))]
    if schema.derived:
        steps.append(("derive", DerivedColumns(expressions=tuple(schema.derived))))
    if schema.columns("datetime"):
        steps.append(("dates", DatetimeParts()))
    steps.append(("columns", _column_transformer(schema, kind)))
    if kind == "native":
        # LightGBM refuses many names a CSV header can hold ('a"b', '{x}', 'c,d', '').
        steps.append(("names", PositionalNames()))
    return Pipeline(steps)


def category_levels(schema: Schema, name: str) -> int:
    """How many levels a categorical/boolean field has (its categories, else n_unique)."""
    field = schema.field(name)
    if field.categories:
        return len(field.categories)
    return max(field.n_unique, 2 if field.role == "boolean" else 0)


def _column_transformer(schema: Schema, kind: str) -> ColumnTransformer:
    categorical = schema.columns("categorical", "boolean")
    limit = NATIVE_MAX_LEVELS if kind == "native" else ONE_HOT_MAX_LEVELS
    low = [c for c in categorical if category_levels(schema, c) <= limit]
    high = [c for c in categorical if category_levels(schema, c) > limit]
    transformers: list[tuple[str, Any, Any]] = []
    if low:
        transformers.append(("categorical", _low_cardinality(kind), low))
    if high:
        transformers.append(("target_encoded", _high_cardinality(schema, kind), high))
    text = schema.columns("text")
    if text:
        transformers.append(("text", TextTokens(), text))
    # Every other column is numeric by now (numeric fields, derived columns, date parts,
    # whose names are only known after fit): the remainder is the numeric branch.
    columns = ColumnTransformer(
        transformers, remainder=_numeric(kind), verbose_feature_names_out=False
    )
    if kind == "native":
        columns.set_output(transform="pandas")
    return columns


def _numeric(kind: str) -> Any:
    if kind == "native":
        return "passthrough"
    if kind == "tree":
        return SimpleImputer(strategy="median")
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True)),
            ("scale", StandardScaler()),
        ]
    )


def _low_cardinality(kind: str) -> Any:
    if kind == "native":
        return CategoryEncoder()
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            (
                "one_hot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=ONE_HOT_MIN_FREQUENCY,
                    sparse_output=False,
                ),
            ),
        ]
    )


def _high_cardinality(schema: Schema, kind: str) -> Any:
    """Cross-fitted target encoding, so training rows never see their own target."""
    target_type = _TARGET_TYPES[schema.task]
    splitter = KFold if target_type == "continuous" else StratifiedKFold
    encoder = TargetEncoder(
        target_type=target_type, cv=splitter(n_splits=5, shuffle=True, random_state=_SEED)
    )
    if kind != "linear":
        return encoder
    return Pipeline([("encode", encoder), ("scale", StandardScaler())])
