"""Reading tables, inferring their schema and task, cleaning the target. No model code."""

from tabship.data._schema import FEATURE_ROLES, ROLES, TASKS, Field, Role, Schema, Target, Task

__all__ = ["FEATURE_ROLES", "ROLES", "TASKS", "Field", "Role", "Schema", "Target", "Task"]
