"""Record validation: whatever a client sends, checked against the model's input schema.

Every serving door (JSON API, HTML form, CSV upload, batch scoring) sends its records
through :func:`validate_records`, so a value is read the same way wherever it came from:

- numbers as numbers or numeric text (``" 27.9 "``); ``True`` is not a number; NaN and
  infinities are refused (in a DataFrame, NaN is pandas' missing value and means missing);
- categories matched after trimming and case-folding (``"high" -> "HIGH"``), numbers via
  their canonical text (``1.0 -> "1"``), yes/no spellings for boolean fields; an unseen
  category is accepted with a warning when the pipeline handles unknowns, refused
  otherwise with the allowed values;
- a missing optional field reaches the pipeline as missing, so the imputation fitted in
  training fills it exactly as it filled missing training values (substituting the
  schema's default here would bypass the learned missing-value handling and make a
  record score differently than the same row scored by the pipeline); it is reported
  in ``defaulted``. The schema's default is what forms pre-fill. An unknown field is
  reported, never silently dropped.

Every problem is collected (not just the first) as a pydantic-style item
``{"loc", "msg", "type", "input", "expected"}``; a record with an error is left out of the
frame so batch callers can score the good rows and report the bad ones per index. The
per-field lookup tables are built once per schema (:class:`RecordValidator`), which keeps a
one-record check in the tens of microseconds: building the DataFrame costs more than that,
so :attr:`ValidationResult.frame` is only built when asked for.
"""

from __future__ import annotations

import math
import numbers
import sys
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from tabship.data._schema import Field, Schema
from tabship.errors import OptionError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RecordCheck", "RecordValidator", "ValidationResult", "validate_records"]

_ABSENT: Any = object()  # the key was not sent
_MISSING: Any = object()  # sent, but empty (blank text)
_INVALID: Any = object()  # the value cannot be used; the problem says why

# Spellings of a yes/no value, as in tabship.data's boolean role detection.
_TRUE = ("1", "true", "yes", "y", "t")
_FALSE = ("0", "false", "no", "n", "f")
_SHOWN_IN_MESSAGE = 10  # allowed values quoted in a message
_EXPECTED_LIMIT = 50  # allowed values listed in an item's "expected"


def _loaded_pandas() -> Any:
    """pandas if this process has imported it, else None. A value cannot be a pandas
    object unless pandas is loaded, so the checks below never import it themselves:
    a server validating JSON stays free of pandas."""
    return sys.modules.get("pandas")


def _is_series(value: Any) -> bool:
    pandas = _loaded_pandas()
    return pandas is not None and isinstance(value, pandas.Series)


def _is_column(value: Any) -> bool:
    if isinstance(value, list | tuple | np.ndarray):
        return True
    pandas = _loaded_pandas()
    return pandas is not None and isinstance(value, pandas.Series)


class _Problem(NamedTuple):
    """What is wrong with one value, before it knows where it is (``loc``)."""

    type: str
    msg: str
    expected: Any


class RecordCheck(NamedTuple):
    """One record checked by :meth:`RecordValidator.validate_one`, as plain Python values."""

    values: dict[str, Any]
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    defaulted: list[tuple[int, str]]
    unknown_fields: list[str]


def _show(value: Any) -> str:
    """A value as a message quotes it: JSON spellings, long text cut."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Mapping):
        return "an object"
    if _is_column(value):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number_text(number: float | None) -> str:
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` as something ``json.dumps(allow_nan=False)`` accepts, for the ``input`` key.

    The server echoes what came; a NaN or a numpy scalar there would turn a 4xx into a 500.
    """
    if value is None or isinstance(value, bool | str | int) and not isinstance(value, np.generic):
        return value
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else _show(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if depth < 3 and isinstance(value, Mapping):
        return {str(k): _json_safe(v, depth + 1) for k, v in list(value.items())[:100]}
    if depth < 3 and _is_column(value):
        return [_json_safe(v, depth + 1) for v in list(value)[:100]]
    return _show(value)


def _quoted(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:_SHOWN_IN_MESSAGE])
    if len(values) > _SHOWN_IN_MESSAGE:
        shown += f", ... ({len(values)} values in all)"
    return shown


# Tree models work in float32: a larger magnitude becomes infinity inside the estimator.
_LARGEST_MODEL_NUMBER = float(np.finfo(np.float32).max)


class _Rule:
    """How one field's values are read; subclasses implement ``convert``."""

    expected: Any = None
    wanted = "a value"

    def __init__(self, f: Field) -> None:
        self.name = f.name
        self.required = f.required
        self.missing_value: Any = None

    def convert(self, value: Any) -> tuple[Any, _Problem | None]:
        """``(value for the model, None)``, ``(value, warning)``, ``(_INVALID, error)``."""
        raise NotImplementedError

    def problem(self, type_: str, got: Any, what: str | None = None) -> _Problem:
        return _Problem(
            type_,
            f"The '{self.name}' field must be {what or self.wanted}. Got {_show(got)} instead.",
            self.expected,
        )

    def missing(self, got: Any) -> _Problem:
        came = "nothing" if got is _ABSENT else _show(got)
        return _Problem(
            "missing",
            f"The '{self.name}' field is required ({self.wanted}). Got {came} instead.",
            self.expected,
        )


class _NumberRule(_Rule):
    expected = "a finite number"
    wanted = "a number"

    def __init__(self, f: Field) -> None:
        super().__init__(f)
        self.low, self.high = f.minimum, f.maximum
        self.range = {"minimum": f.minimum, "maximum": f.maximum}
        self.missing_value = math.nan

    def convert(self, value: Any) -> tuple[Any, _Problem | None]:
        kind = type(value)
        if kind is str:
            text = value.strip()
            if not text:
                return _MISSING, None
            try:
                number = float(text)
            except ValueError:
                return _INVALID, self.problem("float_parsing", value)
        elif kind is float or kind is int:
            number = value
        elif isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
            number = value
        else:
            return _INVALID, self.problem("type_error", value)
        try:
            number = float(number)
        except (OverflowError, TypeError, ValueError):
            number = math.inf
        if not math.isfinite(number) or abs(number) > _LARGEST_MODEL_NUMBER:
            return _INVALID, self.problem("finite_number", value, "a finite number")
        return number, self._range_warning(number)

    def _range_warning(self, number: float) -> _Problem | None:
        low, high = self.low, self.high
        if (low is None or number >= low) and (high is None or number <= high):
            return None
        seen = f"{_number_text(low)} to {_number_text(high)}"
        return _Problem(
            "out_of_range",
            f"The '{self.name}' field is {_number_text(number)}, outside the range seen in "
            f"training ({seen}); the prediction extrapolates and may be unreliable.",
            self.range,
        )


class _CategoryRule(_Rule):
    """Categorical and boolean fields: one lookup table from folded text to category."""

    def __init__(self, f: Field, allow_unknown: bool) -> None:
        super().__init__(f)
        categories = [str(c) for c in f.categories or []]
        self.allow_unknown = allow_unknown
        self.exact = frozenset(categories)
        self.folded: dict[str, str] = {}
        for c in categories:
            self.folded.setdefault(c.strip().casefold(), c)
        if f.role == "boolean":
            self._add_yes_no(categories)
        self.expected = categories[:_EXPECTED_LIMIT]
        self.wanted = f"one of {_quoted(categories)}" if categories else "a text value"

    def _add_yes_no(self, categories: list[str]) -> None:
        """Let ``True``, ``"yes"``, ``1`` all reach a boolean field's own spelling."""
        for spellings in (_TRUE, _FALSE):
            own = [c for c in categories if c.strip().casefold() in spellings]
            if len(own) == 1:
                for s in spellings:
                    self.folded.setdefault(s, own[0])

    def convert(self, value: Any) -> tuple[Any, _Problem | None]:
        kind = type(value)
        if kind is str:
            text = value.strip()
            if not text:
                return _MISSING, None
        elif isinstance(value, bool | np.bool_):
            text = "True" if value else "False"
        elif isinstance(value, numbers.Integral):
            text = str(int(value))
        elif isinstance(value, numbers.Real):
            number = float(value)
            if not math.isfinite(number):
                return _INVALID, self.problem("enum", value)
            text = str(int(number)) if number.is_integer() else repr(number)
        else:
            return _INVALID, self.problem("type_error", value)
        if text in self.exact:
            return text, None
        match = self.folded.get(text.casefold())
        if match is not None:
            return match, None
        if not self.allow_unknown:
            return _INVALID, self.problem("enum", value)
        return text, _Problem(
            "unknown_category",
            f"The '{self.name}' field has the value {_show(text)}, which the model did not "
            "see in training; it is treated as an unknown category.",
            self.expected,
        )


class _DateRule(_Rule):
    """Dates as naive UTC ISO text, within the nanosecond range the pipeline can hold."""

    expected = "an ISO 8601 date or time"
    wanted = "a date or time such as '2024-01-31'"

    def convert(self, value: Any) -> tuple[Any, _Problem | None]:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return _MISSING, None
            if not any(ch.isdigit() for ch in text):  # "now", "today" parse, but are no data
                return _INVALID, self.problem("datetime_parsing", value)
        elif not isinstance(value, datetime | date | np.datetime64):
            return _INVALID, self.problem("type_error", value)
        import pandas as pd

        try:
            stamp = pd.Timestamp(value)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            inside = pd.Timestamp.min <= stamp <= pd.Timestamp.max
        except (ValueError, TypeError, OverflowError):
            return _INVALID, self.problem("datetime_parsing", value)
        if stamp is pd.NaT or not inside:
            return _INVALID, self.problem("datetime_parsing", value)
        return stamp.isoformat(), None


def _is_missing(value: Any, nan_is_missing: bool) -> bool:
    if value is None or value is _ABSENT:
        return True
    pandas = _loaded_pandas()
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return True
    return nan_is_missing and isinstance(value, float | np.floating) and math.isnan(value)


def _item(problem: _Problem, loc: list[Any], got: Any) -> dict[str, Any]:
    return {
        "loc": loc,
        "msg": problem.msg,
        "type": problem.type,
        "input": None if got is _ABSENT else _json_safe(got),
        "expected": problem.expected,
    }


def _input_error(type_: str, msg: str, got: Any = None, expected: Any = None) -> dict[str, Any]:
    """A problem with the whole input rather than one field (``loc`` is empty)."""
    return {"loc": [], "msg": msg, "type": type_, "input": got, "expected": expected}


@dataclass
class ValidationResult:
    """Records checked against a schema.

    ``columns`` holds plain Python values of the valid records, per feature field;
    ``frame`` (built on first access) holds the same as a DataFrame with the schema's
    dtypes: numeric float64, categorical/boolean canonical ``str``, datetime
    ``datetime64``. Row ``k`` of either is input record ``valid_index[k]``.
    ``defaulted`` lists ``(index, field)`` pairs of valid records only: the defaults that
    went into a prediction.
    """

    valid_index: list[int]
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    defaulted: list[tuple[int, str]] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    roles: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @cached_property
    def frame(self) -> pd.DataFrame:
        import pandas as pd

        data: dict[str, Any] = {}
        for name, values in self.columns.items():
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
    """

    def __init__(
        self, schema: Schema, *, allow_unknown_categories: bool | Mapping[str, bool] = True
    ) -> None:
        self.schema = schema
        allow = _allow_per_field(schema, allow_unknown_categories)
        self.rules: list[_Rule] = [_rule_for(f, allow[f.name]) for f in schema.feature_fields]
        self.roles = {f.name: f.role for f in schema.feature_fields}
        # Unused fields and the target are known: accepted silently, never fed to the model.
        self.known = frozenset([*schema.names, schema.target.name])

    def validate_one(self, record: Any) -> RecordCheck:
        """Check one record and return plain values for a fast path that skips pandas."""
        if not isinstance(record, Mapping) or not record:
            result = self.validate(record)
            return RecordCheck({}, result.errors, result.warnings, [], result.unknown_fields)
        values: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        defaulted: list[tuple[int, str]] = []
        for rule in self.rules:
            raw = record.get(rule.name, _ABSENT)
            value, problem, was_defaulted = _resolve(rule, raw, False)
            if problem is not None:
                (errors if value is _INVALID else warnings).append(_item(problem, [rule.name], raw))
            if was_defaulted:
                defaulted.append((0, rule.name))
            values[rule.name] = value
        unknown = [str(k) for k in record if k not in self.known]
        return RecordCheck(values, errors, warnings, defaulted, unknown)

    def validate(self, data: Any, *, max_records: int | None = None) -> ValidationResult:
        """Check a record, a list of records, columns or a DataFrame; see the module doc."""
        if isinstance(data, Mapping) and data and not _is_columns(data):
            return self._one_record(data)
        try:
            table = _Table.read(data, self.known)
        except _BadInput as bad:
            return self._empty_result([bad.item])
        if max_records is not None and table.n > max_records:
            item = _input_error(
                "too_many_records",
                f"The input holds {table.n} records, more than the limit of {max_records}. "
                "Send the records in smaller batches.",
                table.n,
                max_records,
            )
            return self._empty_result([item], table.unknown)
        return self._check_table(table)

    def _one_record(self, record: Mapping[Any, Any]) -> ValidationResult:
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
        self, errors: list[dict[str, Any]], unknown: list[str] | None = None
    ) -> ValidationResult:
        return ValidationResult(
            [],
            errors,
            unknown_fields=unknown or [],
            columns={r.name: [] for r in self.rules},
            roles=self.roles,
        )

    def _check_table(self, table: _Table) -> ValidationResult:
        """Column by column (one lookup memo per column), then problems back in row order."""
        checked = [
            _check_column(rule, table.column(rule.name), table.nan_is_missing, table.rejected)
            for rule in self.rules
        ]
        notes = [(i, -1, item, True) for i, item in table.rejected.items()]
        bad = set(table.rejected)
        for j, (rule, (_, problems, _)) in enumerate(zip(self.rules, checked, strict=True)):
            for i, problem, raw, invalid in problems:
                notes.append((i, j, _item(problem, [i, rule.name], raw), invalid))
                if invalid:
                    bad.add(i)
        notes.sort(key=lambda note: note[:2])
        result = ValidationResult([i for i in range(table.n) if i not in bad])
        result.unknown_fields = table.unknown
        for _, _, item, invalid in notes:
            (result.errors if invalid else result.warnings).append(item)
        result.defaulted = sorted(
            (i, rule.name)
            for rule, (_, _, filled) in zip(self.rules, checked, strict=True)
            for i in filled
            if i not in bad
        )
        keep = result.valid_index
        result.columns = {
            rule.name: values if not bad else _take(values, keep)
            for rule, (values, _, _) in zip(self.rules, checked, strict=True)
        }
        result.roles = self.roles
        return result


def _check_column(
    rule: _Rule, cells: Any, nan_is_missing: bool, skip: Mapping[int, Any]
) -> tuple[Any, list[tuple[int, _Problem, Any, bool]], list[int]]:
    """``(values, problems, defaulted rows)`` of one field; repeated cells are looked up once.

    A CSV column holds few distinct categories, so the memo turns most cells into one
    dict lookup. The key carries the type: ``1``, ``1.0`` and ``True`` are equal in Python.
    A DataFrame column of one kind is checked by its distinct values instead (below).
    """
    if not isinstance(cells, list):
        checked = None if skip or not nan_is_missing else _check_series(rule, cells)
        if checked is not None:
            return checked
        cells = cells.tolist() if _is_series(cells) else list(cells)
    values: list[Any] = [None] * len(cells)
    problems: list[tuple[int, _Problem, Any, bool]] = []
    filled: list[int] = []
    memo: dict[tuple[type, Any], tuple[Any, _Problem | None, bool]] = {}
    for i, raw in enumerate(cells):
        if i in skip:
            continue
        try:
            key: tuple[type, Any] | None = (raw.__class__, raw)
            hit = memo.get(key)  # type: ignore[arg-type]
        except TypeError:  # unhashable: a list or an object
            key, hit = None, None
        if hit is None:
            hit = _resolve(rule, raw, nan_is_missing)
            if key is not None:
                memo[key] = hit
        value, problem, was_defaulted = hit
        values[i] = value
        if problem is not None:
            problems.append((i, problem, raw, value is _INVALID))
        if was_defaulted:
            filled.append(i)
    return values, problems, filled


# Columns whose distinct values pandas can tell apart exactly as the per-cell memo does.
_ONE_KIND = frozenset({"string", "floating", "integer", "mixed-integer-float", "empty"})


def _check_series(
    rule: _Rule, column: Any
) -> tuple[np.ndarray, list[tuple[int, _Problem, Any, bool]], list[int]] | None:
    """A pandas column checked once per distinct value, then spread back with numpy.

    Batch scoring validates millions of cells; resolving each distinct value once and
    indexing by pandas' factorized codes gives the same values and problems as the
    per-cell loop at a fraction of its cost. Object columns mixing kinds (``1``, ``1.0``
    and ``True`` hash alike) return None and take the loop.
    """
    if not _is_series(column):
        return None
    if isinstance(rule, _NumberRule) and column.dtype.kind in "fiu":
        return _check_numbers(rule, column)
    pandas = _loaded_pandas()
    if column.dtype == object and pandas.api.types.infer_dtype(column) not in _ONE_KIND:
        return None
    codes, uniques = pandas.factorize(column, use_na_sentinel=True)
    raws = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
    missing_rows = np.flatnonzero(codes < 0)
    if len(missing_rows):
        raws.append(column.iloc[int(missing_rows[0])])  # NaN or None: what the cell held
        codes = np.where(codes < 0, len(raws) - 1, codes)
    resolved = [_resolve(rule, raw, True) for raw in raws]
    table = np.empty(len(resolved), dtype=object)
    table[:] = [value for value, _, _ in resolved]
    values = table[codes]
    if isinstance(rule, _NumberRule):
        values = _as_float_values(values)
    problems: list[tuple[int, _Problem, Any, bool]] = []
    filled: list[int] = []
    for k, (value, problem, was_defaulted) in enumerate(resolved):
        if problem is None and not was_defaulted:
            continue
        rows = np.flatnonzero(codes == k).tolist()
        if problem is not None:
            problems.extend((i, problem, raws[k], value is _INVALID) for i in rows)
        if was_defaulted:
            filled.extend(rows)
    return values, problems, sorted(filled)


def _check_numbers(
    rule: _NumberRule, column: Any
) -> tuple[np.ndarray, list[tuple[int, _Problem, Any, bool]], list[int]]:
    """A numeric column: only missing, non-finite or out-of-range cells need a look."""
    values = column.to_numpy(dtype=np.float64, na_value=math.nan)
    with np.errstate(invalid="ignore"):
        special = ~np.isfinite(values) | (np.abs(values) > _LARGEST_MODEL_NUMBER)
        if rule.low is not None:
            special |= values < rule.low
        if rule.high is not None:
            special |= values > rule.high
    rows = np.flatnonzero(special)
    if len(rows) == 0:
        return values, [], []
    values = values.copy()
    problems: list[tuple[int, _Problem, Any, bool]] = []
    filled: list[int] = []
    raws = column.iloc[rows].tolist()
    for i, raw in zip(rows.tolist(), raws, strict=True):
        value, problem, was_defaulted = _resolve(rule, raw, True)
        values[i] = math.nan if value is _INVALID else value
        if problem is not None:
            problems.append((i, problem, raw, value is _INVALID))
        if was_defaulted:
            filled.append(i)
    return values, problems, filled


def _as_float_values(values: np.ndarray) -> np.ndarray:
    """Numbers as float64; an invalid cell (its row is dropped anyway) becomes NaN."""
    invalid = np.fromiter((v is _INVALID for v in values), dtype=bool, count=len(values))
    if invalid.any():
        values = values.copy()
        values[invalid] = math.nan
    return values.astype(np.float64)


def _take(values: Any, keep: list[int]) -> Any:
    if isinstance(values, np.ndarray):
        return values[np.asarray(keep, dtype=np.intp)]
    return [values[i] for i in keep]


def _resolve(rule: _Rule, raw: Any, nan_is_missing: bool) -> tuple[Any, _Problem | None, bool]:
    """``(value, problem, defaulted)`` for one cell: converted, refused or defaulted."""
    if not _is_missing(raw, nan_is_missing):
        value, problem = rule.convert(raw)
        if value is not _MISSING:
            return value, problem, False
    if rule.required:
        return _INVALID, rule.missing(raw), False
    return rule.missing_value, None, True


def _rule_for(f: Field, allow_unknown: bool) -> _Rule:
    if f.role == "numeric":
        return _NumberRule(f)
    if f.role == "datetime":
        return _DateRule(f)
    return _CategoryRule(f, allow_unknown)


def _allow_per_field(schema: Schema, allow: bool | Mapping[str, bool]) -> dict[str, bool]:
    if not isinstance(allow, Mapping):
        return {name: bool(allow) for name in schema.names}
    strangers = sorted(set(allow) - set(schema.names))
    if strangers:
        raise OptionError(
            "allow_unknown_categories", "a mapping of the schema's field names", strangers
        )
    return {name: bool(allow.get(name, True)) for name in schema.names}


class _BadInput(Exception):
    """The input as a whole cannot be read as records; carries the error item."""

    def __init__(self, item: dict[str, Any]) -> None:
        super().__init__(item["msg"])
        self.item = item


_NO_RECORDS = (
    "Send one record as an object of field values, a list of records, or columns of equal length."
)


@dataclass
class _Table:
    """Any accepted input shape, seen as ``n`` rows of cells reachable by field name."""

    n: int
    columns: dict[str, list[Any]] | None
    unknown: list[str]
    nan_is_missing: bool = False
    rejected: dict[int, dict[str, Any]] = field(default_factory=dict)
    rows: list[Mapping[Any, Any]] | None = None

    def column(self, name: str) -> list[Any]:
        if self.rows is not None:
            return [row.get(name, _ABSENT) for row in self.rows]
        found = self.columns.get(name) if self.columns is not None else None
        return found if found is not None else [_ABSENT] * self.n

    @classmethod
    def read(cls, data: Any, known: frozenset[str]) -> _Table:
        pandas = _loaded_pandas()
        if pandas is not None and isinstance(data, pandas.DataFrame):
            return cls._from_frame(data, known)
        if isinstance(data, Mapping):  # one record was handled before; these are columns
            if not data:
                raise _BadInput(
                    _input_error("empty", f"The input holds no fields. {_NO_RECORDS}", {})
                )
            return cls._from_columns(data, known)
        if isinstance(data, list | tuple):
            return cls._from_records(data, known)
        raise _BadInput(
            _input_error(
                "type_error",
                f"The input must be a record, a list of records or columns. Got {_show(data)} "
                f"instead. {_NO_RECORDS}",
                _json_safe(data),
            )
        )

    @classmethod
    def _from_records(cls, records: list[Any] | tuple[Any, ...], known: frozenset[str]) -> _Table:
        if not records:
            raise _BadInput(_input_error("empty", f"The input holds no records. {_NO_RECORDS}", []))
        rejected = {
            i: {
                "loc": [i],
                "msg": f"Record {i} must be an object of field values. Got {_show(r)} instead.",
                "type": "type_error",
                "input": _json_safe(r),
                "expected": "an object",
            }
            for i, r in enumerate(records)
            if not isinstance(r, Mapping)
        }
        rows = [{} if i in rejected else r for i, r in enumerate(records)]
        return cls(len(rows), None, _unknown(rows, known), rejected=rejected, rows=rows)

    @classmethod
    def _from_columns(cls, data: Mapping[Any, Any], known: frozenset[str]) -> _Table:
        columns = {k: v.tolist() if hasattr(v, "tolist") else list(v) for k, v in data.items()}
        lengths = {str(k): len(v) for k, v in columns.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"'{k}': {n}" for k, n in list(lengths.items())[:20])
            raise _BadInput(
                _input_error(
                    "column_lengths",
                    f"Columns must all have the same length. Got {shown}. "
                    "Send one value per record in every column.",
                    lengths,
                )
            )
        n = next(iter(lengths.values()))
        if n == 0:
            raise _BadInput(_input_error("empty", f"The columns hold no values. {_NO_RECORDS}", {}))
        return cls(n, columns, _unknown([columns], known))

    @classmethod
    def _from_frame(cls, frame: pd.DataFrame, known: frozenset[str]) -> _Table:
        names = [str(c) for c in frame.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise _BadInput(
                _input_error(
                    "duplicate_columns",
                    f"The columns {_quoted(repeated)} appear more than once. "
                    "Give every column a distinct name.",
                    repeated,
                )
            )
        if len(frame) == 0:
            raise _BadInput(_input_error("empty", f"The table holds no rows. {_NO_RECORDS}", []))
        columns = {name: frame.iloc[:, j] for j, name in enumerate(names) if name in known}
        unknown = [n for n in names if n not in known]
        return cls(len(frame), columns, unknown, nan_is_missing=True)


def _is_columns(data: Mapping[Any, Any]) -> bool:
    """A mapping whose every value is a list holds columns, not one record."""
    return all(_is_column(v) for v in data.values())


def _unknown(rows: list[Mapping[Any, Any]], known: frozenset[str]) -> list[str]:
    """Field names not in the schema, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in known:
                seen[str(key)] = None
    return list(seen)


# One validator per (schema object, unknown-category policy). A schema is treated as
# frozen once validated: the runtime loads it once and never edits it.
_VALIDATORS: dict[tuple[int, Any], tuple[weakref.ref[Schema], RecordValidator]] = {}


def _validator_for(schema: Schema, allow: bool | Mapping[str, bool]) -> RecordValidator:
    policy = frozenset(allow.items()) if isinstance(allow, Mapping) else bool(allow)
    key = (id(schema), policy)
    hit = _VALIDATORS.get(key)
    if hit is not None and hit[0]() is schema:
        return hit[1]
    validator = RecordValidator(schema, allow_unknown_categories=allow)
    if len(_VALIDATORS) >= 64:
        _VALIDATORS.clear()
    _VALIDATORS[key] = (weakref.ref(schema), validator)
    return validator


def validate_records(
    data: Any,
    schema: Schema,
    *,
    allow_unknown_categories: bool | Mapping[str, bool] = True,
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
    """
    validator = _validator_for(schema, allow_unknown_categories)
    return validator.validate(data, max_records=max_records)
