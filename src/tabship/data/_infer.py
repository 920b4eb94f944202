"""``infer_schema``: the training frame and a target name to the :class:`Schema`.

User choices (``roles``, ``drop``, ``task``) are validated first, so that a typo fails
fast with a suggestion instead of after the whole frame has been analysed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from tabship.data._canonical import canonical_text
from tabship.data._fields import build_field, json_value
from tabship.data._markers import na_markers
from tabship.data._roles import infer_roles
from tabship.data._schema import ROLES, Field, Role, Schema
from tabship.data._task import build_target, detect_task
from tabship.errors import ColumnNotFoundError, OptionError, TabshipWarning

__all__ = ["infer_schema"]


def infer_schema(
    df: pd.DataFrame,
    target: str,
    *,
    roles: Mapping[str, str] | None = None,
    drop: Iterable[str] = (),
    task: str | None = None,
    na_values: Iterable[str] = (),
) -> Schema:
    """Infer every input field's role and statistics, the task and the target.

    ``roles`` overrides inferred roles, ``drop`` removes columns from the schema
    altogether, ``task`` overrides the detected task. Empty and constant columns stay in
    the schema (serving accepts and ignores them) with a :class:`TabshipWarning`.
    """
    columns = [str(c) for c in df.columns]
    roles = dict(roles or {})
    drop = list(drop)
    _check_choices(columns, target, roles, drop)
    inputs = df.drop(columns=[target, *drop])
    chosen: dict[str, Role] = infer_roles(inputs)
    chosen.update(roles)  # type: ignore[arg-type]  # validated by _check_choices
    fields = [build_field(inputs[name], chosen[name]) for name in inputs.columns]
    _warn_unusable(fields, inputs)
    detected = detect_task(df[target], task)
    return Schema(
        fields=fields,
        target=build_target(df[target], detected),
        example=_example(inputs, fields),
        na_values=na_markers(na_values),
    )


def _check_choices(columns: list[str], target: str, roles: dict[str, str], drop: list[str]) -> None:
    if target not in columns:
        raise ColumnNotFoundError(target, columns, what="target")
    for name in [*roles, *drop]:
        if name not in columns:
            raise ColumnNotFoundError(name, columns)
    for name, role in roles.items():
        if role not in ROLES:
            raise OptionError(f"roles['{name}']", "one of " + ", ".join(ROLES), role)
    if target in roles or target in drop:
        raise OptionError("roles/drop", f"about input columns, not the target '{target}'", target)


def _warn_unusable(fields: list[Field], inputs: pd.DataFrame) -> None:
    for field in fields:
        if field.role == "empty":
            reason = "it is entirely missing"
        elif field.role == "constant":
            value = canonical_text(inputs[field.name].dropna().iloc[0])
            reason = f"it is constant (every value is '{value}')"
        else:
            continue
        warnings.warn(f"Dropping column '{field.name}': {reason}.", TabshipWarning, stacklevel=3)


def _example(inputs: pd.DataFrame, fields: list[Field]) -> dict[str, Any]:
    """One real record (the first complete one) with JSON-native values, else defaults."""
    used = [f for f in fields if f.used]
    if not used:
        return {}
    complete = inputs[[f.name for f in used]].dropna()
    if complete.empty:
        return {f.name: f.default for f in used}
    row = complete.iloc[0]
    return {f.name: json_value(row[f.name], f) for f in used}
