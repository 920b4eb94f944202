"""Reading tables, inferring their schema and task, cleaning the target. No model code.

The schema and the expression language need only the standard library and numpy; the
readers and cleaners need pandas. Names load on first use, so a serving worker that only
needs ``Schema`` never pays for pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes
from tabship.data._json import JSONValue, NonFinite, is_column, json_safe
from tabship.data._schema import FEATURE_ROLES, ROLES, TASKS, Field, Role, Schema, Target, Task
from tabship.data._summary_types import (
    CategorySummary,
    DatetimeSummary,
    DriftReference,
    DriftReferences,
    FeatureSummary,
    Histogram,
    NumericSummary,
    Summary,
    TargetSummary,
)
from tabship.data._text import (
    MAX_TEXT_LENGTH,
    TOKEN_PATTERN,
    shared_token_fraction,
    text_tokens,
    word_indicators,
)

if TYPE_CHECKING:
    from tabship.data._canonical import (
        canonical_object_series,
        canonical_series,
        canonical_text,
        canonical_text_or_nan,
    )
    from tabship.data._clean import check_unique_names, clean_frame
    from tabship.data._drift import MISSING_BIN, drift_bin_indices, drift_references
    from tabship.data._expressions import (
        DERIVED_FUNCTIONS,
        derived_columns_used,
        evaluate_derived,
        parse_derived,
    )
    from tabship.data._infer import infer_schema
    from tabship.data._markers import DEFAULT_NA_VALUES, na_markers
    from tabship.data._read import header_names, read_table
    from tabship.data._summary import summarize
    from tabship.data._task import prepare_target

__all__ = [
    "DEFAULT_NA_VALUES",
    "DERIVED_FUNCTIONS",
    "FEATURE_ROLES",
    "JSONValue",
    "MAX_TEXT_LENGTH",
    "MISSING_BIN",
    "NonFinite",
    "ROLES",
    "TASKS",
    "TOKEN_PATTERN",
    "CategorySummary",
    "DatetimeSummary",
    "DriftReference",
    "DriftReferences",
    "FeatureSummary",
    "Field",
    "Histogram",
    "NumericSummary",
    "Role",
    "Schema",
    "Summary",
    "Target",
    "TargetSummary",
    "Task",
    "canonical_object_series",
    "canonical_series",
    "canonical_text",
    "canonical_text_or_nan",
    "check_unique_names",
    "clean_frame",
    "derived_columns_used",
    "drift_bin_indices",
    "drift_references",
    "evaluate_derived",
    "header_names",
    "infer_schema",
    "is_column",
    "json_safe",
    "na_markers",
    "parse_derived",
    "prepare_target",
    "read_table",
    "shared_token_fraction",
    "summarize",
    "text_tokens",
    "word_indicators",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "canonical_object_series": "tabship.data._canonical",
        "canonical_series": "tabship.data._canonical",
        "canonical_text": "tabship.data._canonical",
        "canonical_text_or_nan": "tabship.data._canonical",
        "DEFAULT_NA_VALUES": "tabship.data._markers",
        "check_unique_names": "tabship.data._clean",
        "clean_frame": "tabship.data._clean",
        "na_markers": "tabship.data._markers",
        "MISSING_BIN": "tabship.data._drift",
        "drift_bin_indices": "tabship.data._drift",
        "drift_references": "tabship.data._drift",
        "DERIVED_FUNCTIONS": "tabship.data._expressions",
        "derived_columns_used": "tabship.data._expressions",
        "evaluate_derived": "tabship.data._expressions",
        "parse_derived": "tabship.data._expressions",
        "infer_schema": "tabship.data._infer",
        "header_names": "tabship.data._read",
        "read_table": "tabship.data._read",
        "summarize": "tabship.data._summary",
        "prepare_target": "tabship.data._task",
    },
)
