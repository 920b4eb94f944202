"""The input schema: what a model expects, shared by training, the artifact and serving.

The schema is inferred once, from the training frame, and then drives everything that
must agree with it: the preprocessing built in ``features``, the validation done by the
serving ``runtime``, the web form, ``/openapi.json`` and the deployment files. It is plain
data (JSON round-trip through ``to_dict``/``from_dict``) so that the runtime can use it
without importing any training code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["FEATURE_ROLES", "ROLES", "TASKS", "Field", "Role", "Schema", "Target", "Task"]

Role = Literal[
    "numeric", "categorical", "boolean", "datetime", "text", "identifier", "constant", "empty"
]
Task = Literal["regression", "binary", "multiclass"]

ROLES: tuple[str, ...] = (
    "numeric",
    "categorical",
    "boolean",
    "datetime",
    "text",
    "identifier",
    "constant",
    "empty",
)
# Roles whose columns feed the model; the others are kept in the schema (so serving can
# accept and ignore them) but never reach the estimator.
FEATURE_ROLES: tuple[str, ...] = ("numeric", "categorical", "boolean", "datetime", "text")
TASKS: tuple[str, ...] = ("regression", "binary", "multiclass")


@dataclass
class Field:
    """One input column.

    ``categories`` holds the allowed values of categorical and boolean fields in their
    canonical text form (integer-coded categories such as ``Origin`` appear as ``"1"``),
    ordered by decreasing training frequency. ``minimum``/``maximum`` are the observed
    range of numeric fields. ``default`` is what a missing optional value becomes in the
    form (median or most frequent value); the pipeline itself imputes missing values.
    """

    name: str
    role: Role
    dtype: str = "float64"
    required: bool = True
    categories: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    missing_fraction: float = 0.0
    n_unique: int = 0
    is_integer: bool = False
    description: str = ""

    @property
    def used(self) -> bool:
        """Whether the column feeds the model."""
        return self.role in FEATURE_ROLES


@dataclass
class Target:
    """The target column and the task learned from it."""

    name: str
    task: Task
    classes: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    n_dropped_missing: int = 0


@dataclass
class Schema:
    """Every input field, the target, an example record and how raw text was read."""

    fields: list[Field]
    target: Target
    example: dict[str, Any] = field(default_factory=dict)
    na_values: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)

    @property
    def task(self) -> Task:
        return self.target.task

    @property
    def feature_fields(self) -> list[Field]:
        """Fields that feed the model, in column order."""
        return [f for f in self.fields if f.used]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def columns(self, *roles: str) -> list[str]:
        """Names of the fields with any of ``roles``, in column order."""
        return [f.name for f in self.fields if f.role in roles]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        return cls(
            fields=[Field(**f) for f in data["fields"]],
            target=Target(**data["target"]),
            example=dict(data.get("example", {})),
            na_values=list(data.get("na_values", [])),
            derived=list(data.get("derived", [])),
        )
