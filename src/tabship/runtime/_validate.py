"""Record validation: whatever a client sends, checked against the model's input schema.

Every serving door (JSON API, HTML form, CSV upload, batch scoring) sends its records
through a :class:`RecordValidator` (``validate_records`` builds one), so a value is read
the same way wherever it came from. How one value is read is the business of the value
rules (``_rules``); how an input shape becomes rows, of ``_table``; how one field's
column is checked at once, of ``_columns``. This module puts them together:

- a missing optional field reaches the pipeline as missing, so the imputation fitted in
  training fills it exactly as it filled missing training values (substituting the
  schema's default here would bypass the learned missing-value handling and make a
  record score differently than the same row scored by the pipeline); it is reported
  in ``defaulted``. The schema's default is what forms pre-fill. An unknown field is
  reported, never silently dropped.
- Every problem is collected (not just the first) as an :class:`~tabship.errors.ErrorItem`
  ``{"loc", "msg", "type", "input", "expected"}``; a record with an error is left out of
  the frame so batch callers can score the good rows and report the bad ones per index.

The per-field lookup tables are built once per schema, when the validator is made (a
``Model`` holds one), which keeps a one-record check in the tens of microseconds:
building the DataFrame costs more than that, so :attr:`ValidationResult.frame` is only
built when asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

from tabship.data import Role, Schema
from tabship.errors import ErrorItem, ValidationError
from tabship.plan import Coded
from tabship.runtime._columns import ColumnCheck, ColumnValues, check_column, take
from tabship.runtime._rules import ABSENT, INVALID, resolve, rules_for
from tabship.runtime._table import BadInput, Table, input_error, is_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RecordCheck", "RecordValidator", "ValidationResult", "validate_records"]

UnknownPolicy = bool | Mapping[str, bool]


class RecordCheck(NamedTuple):
    """One record checked by :meth:`RecordValidator.validate_one`, as plain Python values."""

    values: dict[str, object]
    errors: list[ErrorItem]
    warnings: list[ErrorItem]
    defaulted: list[tuple[int, str]]
    unknown_fields: list[str]


@dataclass
class ValidationResult:
    """Records checked against a schema.

    ``columns`` holds the values of the valid records per feature field: Python values,
    or a numpy array when a DataFrame column was checked as a whole;
    ``frame`` (built on first access) holds the same as a DataFrame with the schema's
    dtypes: numeric float64, categorical/boolean canonical ``str``, datetime
    ``datetime64``. Row ``k`` of either is input record ``valid_index[k]``.
    ``defaulted`` lists ``(index, field)`` pairs of valid records only: the defaults that
    went into a prediction.
    """

    valid_index: list[int]
    errors: list[ErrorItem] = field(default_factory=list)
    warnings: list[ErrorItem] = field(default_factory=list)
    defaulted: list[tuple[int, str]] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    roles: dict[str, Role] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @cached_property
    def frame(self) -> pd.DataFrame:
        import pandas as pd

        data: dict[str, Any] = {}
        for name, column in self.columns.items():
            values = np.asarray(column) if isinstance(column, Coded) else column
            role = self.roles[name]
            if role == "numeric":
                data[name] = np.asarray(values, dtype="float64")
            elif role == "datetime":
                data[name] = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601")
            else:
                data[name] = pd.array(values, dtype="str")
        return pd.DataFrame(data, index=pd.RangeIndex(len(self.valid_index)))

    def raise_if_invalid(self) -> ValidationResult:
        """Raise :class:`~tabship.errors.ValidationError` listing every error, if any."""
        if self.errors:
            raise ValidationError(self.errors)
        return self


class RecordValidator:
    """The lookup tables for one schema, built once and reused for every request.

    ``allow_unknown_categories`` says, for all fields or per field name, whether an unseen
    category is accepted (with a warning: the pipeline encodes it as unknown) or refused.
    A schema is treated as frozen once a validator is built for it.
    """

    def __init__(self, schema: Schema, *, allow_unknown_categories: UnknownPolicy = True) -> None:
        self.schema = schema
        self.allow_unknown_categories = allow_unknown_categories
        self.rules = rules_for(schema, allow_unknown_categories)
        self.roles = {f.name: f.role for f in schema.feature_fields}
        # Unused fields and the target are known: accepted silently, never fed to the model.
        self.known = frozenset([*schema.names, schema.target.name])

    def validate_one(self, record: object) -> RecordCheck:
        """Check one record and return plain values for a fast path that skips pandas."""
        if not isinstance(record, Mapping) or not record:
            result = self.validate(record)
            return RecordCheck({}, result.errors, result.warnings, [], result.unknown_fields)
        values: dict[str, object] = {}
        errors: list[ErrorItem] = []
        warnings: list[ErrorItem] = []
        defaulted: list[tuple[int, str]] = []
        for rule in self.rules:
            raw = record.get(rule.name, ABSENT)
            value, problem, was_defaulted = resolve(rule, raw, False)
            if problem is not None:
                item = problem.item([rule.name], raw)
                (errors if value is INVALID else warnings).append(item)
            if was_defaulted:
                defaulted.append((0, rule.name))
            values[rule.name] = value
        unknown = [str(k) for k in record if k not in self.known]
        return RecordCheck(values, errors, warnings, defaulted, unknown)

    def validate(self, data: object, *, max_records: int | None = None) -> ValidationResult:
        """Check a record, a list of records, columns or a DataFrame; see the module doc."""
        if isinstance(data, Mapping) and data and not is_columns(data):
            return self._one_record(data)
        try:
            table = Table.read(data, self.known)
        except BadInput as bad:
            return self._empty_result([bad.item])
        if max_records is not None and table.n > max_records:
            item = input_error(
                "too_many_records",
                f"The input holds {table.n} records, more than the limit of {max_records}. "
                "Send the records in smaller batches.",
                table.n,
                max_records,
            )
            return self._empty_result([item], table.unknown)
        return self._check_table(table)

    def _one_record(self, record: Mapping[object, object]) -> ValidationResult:
        """The common case, without building a table: one record, loc without index."""
        check = self.validate_one(record)
        ok = not check.errors
        return ValidationResult(
            [0] if ok else [],
            check.errors,
            check.warnings,
            check.defaulted if ok else [],
            check.unknown_fields,
            columns={k: [v] if ok else [] for k, v in check.values.items()},
            roles=self.roles,
        )

    def _empty_result(
        self, errors: list[ErrorItem], unknown: list[str] | None = None
    ) -> ValidationResult:
        return ValidationResult(
            [],
            errors,
            unknown_fields=unknown or [],
            columns={r.name: [] for r in self.rules},
            roles=self.roles,
        )

    def _check_table(self, table: Table) -> ValidationResult:
        """Column by column (one lookup memo per column), then problems back in row order."""
        checked = [
            check_column(rule, table.column(rule.name), table.nan_is_missing, table.rejected)
            for rule in self.rules
        ]
        bad = set(table.rejected)
        for check in checked:
            bad.update(f.row for f in check.findings if f.invalid)
        result = ValidationResult(_valid_rows(table.n, bad))
        result.unknown_fields = table.unknown
        result.errors, result.warnings = self._items_in_row_order(table, checked)
        result.defaulted = _defaulted_pairs(
            [rule.name for rule in self.rules], [check.filled for check in checked], bad
        )
        result.columns = {
            rule.name: _as_column(
                check.values if not bad else take(check.values, result.valid_index)
            )
            for rule, check in zip(self.rules, checked, strict=True)
        }
        result.roles = self.roles
        return result

    def _items_in_row_order(
        self, table: Table, checked: list[ColumnCheck]
    ) -> tuple[list[ErrorItem], list[ErrorItem]]:
        """Errors and warnings sorted by row, then field order (a rejected row first)."""
        notes = [(i, -1, item, True) for i, item in table.rejected.items()]
        for j, (rule, check) in enumerate(zip(self.rules, checked, strict=True)):
            notes.extend(
                (f.row, j, f.problem.item([f.row, rule.name], f.raw), f.invalid)
                for f in check.findings
            )
        notes.sort(key=lambda note: note[:2])
        errors = [item for _, _, item, invalid in notes if invalid]
        warnings = [item for _, _, item, invalid in notes if not invalid]
        return errors, warnings


def _valid_rows(n: int, bad: set[int]) -> list[int]:
    """The rows of ``n`` not in ``bad``, ascending."""
    if not bad:
        return list(range(n))
    keep = np.ones(n, dtype=bool)
    keep[np.fromiter(bad, dtype=np.intp, count=len(bad))] = False
    valid: list[int] = np.flatnonzero(keep).tolist()
    return valid


def _defaulted_pairs(
    names: list[str], filled: list[list[int]], bad: set[int]
) -> list[tuple[int, str]]:
    """``(row, field)`` for each defaulted cell of a valid row, sorted as the tuples sort.

    Sorted by numpy: a batch with a common missing value has a pair for a good share
    of its rows (6,486 in a 50,000-row adult chunk).
    """
    if not any(filled):
        return []
    rows = np.concatenate([np.asarray(f, dtype=np.intp) for f in filled])
    fields = np.repeat(np.arange(len(names)), [len(f) for f in filled])
    if bad:
        keep = ~np.isin(rows, np.fromiter(bad, dtype=np.intp, count=len(bad)))
        rows, fields = rows[keep], fields[keep]
    name_rank = np.argsort(np.argsort(np.asarray(names, dtype=object)))
    order = np.lexsort((name_rank[fields], rows))
    return list(zip(rows[order].tolist(), [names[k] for k in fields[order].tolist()], strict=True))


def _as_column(values: ColumnValues) -> list[Any]:
    """A checked column as ``ValidationResult.columns`` holds it: a numpy array stays one
    (it indexes like the list the annotation names, and the plan reads it faster)."""
    return cast(list[Any], values)


def validate_records(
    data: object,
    schema: Schema,
    *,
    allow_unknown_categories: UnknownPolicy = True,
    max_records: int | None = None,
) -> ValidationResult:
    """Check records against ``schema`` and collect every problem at once.

    Parameters
    ----------
    data : dict, list of dict, dict of lists, or DataFrame
        One record, several records, columns (``{"age": [19, 40]}``, equal lengths) or a
        table. In a DataFrame a NaN cell means missing; elsewhere NaN is refused.
    schema : Schema
        The model's input schema.
    allow_unknown_categories : bool or mapping of field name to bool
        Whether an unseen category is accepted with a warning (the pipeline treats it as
        unknown) or refused with the allowed values.
    max_records : int, optional
        More records than this is an error.

    Returns
    -------
    ValidationResult
        Never raises for bad data; call ``raise_if_invalid()`` to turn errors into
        :class:`~tabship.errors.ValidationError`. Error ``loc`` is ``[field]`` for a single
        record, ``[index, field]`` otherwise, ``[]`` for a problem with the whole input.

    Each call builds the schema's lookup tables afresh; to check many inputs against one
    schema, build a :class:`RecordValidator` once and call its ``validate``.
    """
    validator = RecordValidator(schema, allow_unknown_categories=allow_unknown_categories)
    return validator.validate(data, max_records=max_records)
