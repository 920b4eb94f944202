"""Reading tables, inferring their schema and task, cleaning the target. No model code."""

from tabship.data._canonical import canonical_series, canonical_text
from tabship.data._clean import DEFAULT_NA_VALUES, clean_frame
from tabship.data._infer import infer_schema
from tabship.data._read import read_table
from tabship.data._schema import FEATURE_ROLES, ROLES, TASKS, Field, Role, Schema, Target, Task
from tabship.data._summary import summarize
from tabship.data._task import prepare_target

__all__ = [
    "DEFAULT_NA_VALUES",
    "FEATURE_ROLES",
    "ROLES",
    "TASKS",
    "Field",
    "Role",
    "Schema",
    "Target",
    "Task",
    "canonical_series",
    "canonical_text",
    "clean_frame",
    "infer_schema",
    "prepare_target",
    "read_table",
    "summarize",
]
