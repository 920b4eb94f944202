"""Preprocessing as scikit-learn transformers, built from a ``tabship.data.Schema``.

``build_preprocessor(schema, kind)`` is the entry point; the transformer classes are
public so that the artifact layer can trust exactly them (``FEATURE_TRANSFORMERS``) and
so that users can reuse them in their own pipelines.
"""

from tabship.features._categories import CategoryEncoder
from tabship.features._coerce import SchemaCoercer
from tabship.features._datetime import DatetimeParts
from tabship.features._derived import DERIVED_FUNCTIONS, DerivedColumns, parse_derived
from tabship.features._names import PositionalNames
from tabship.features._preprocessor import KINDS, Kind, build_preprocessor
from tabship.features._target import LogTargetRegressor
from tabship.features._text import TextTokens

# tabship's own classes inside a fitted pipeline (transformers, and the log-target
# regressor): the artifact layer trusts them by name (``artifact.TABSHIP_TYPES``, kept
# equal to this tuple by tests/artifact/test_trusted.py).
FEATURE_TRANSFORMERS: tuple[type, ...] = (
    SchemaCoercer,
    DerivedColumns,
    DatetimeParts,
    CategoryEncoder,
    PositionalNames,
    LogTargetRegressor,
    TextTokens,
)

__all__ = [
    "DERIVED_FUNCTIONS",
    "FEATURE_TRANSFORMERS",
    "KINDS",
    "CategoryEncoder",
    "DatetimeParts",
    "DerivedColumns",
    "Kind",
    "LogTargetRegressor",
    "PositionalNames",
    "SchemaCoercer",
    "TextTokens",
    "build_preprocessor",
    "parse_derived",
]
