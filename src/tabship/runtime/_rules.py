"""How one field's values are read: the value rules of record validation.

A rule turns one cell into the value the model takes, or says what is wrong with it:

- numbers as numbers or numeric text (``" 27.9 "``); ``True`` is not a number; NaN and
  infinities are refused, and so is a magnitude beyond float32 (tree models would see
  infinity); a number outside the training range passes with a warning;
- categories matched after trimming and case-folding (``"high" -> "HIGH"``), numbers via
  their canonical text (``1.0 -> "1"``), yes/no spellings for boolean fields; an unseen
  category is accepted with a warning when the pipeline handles unknowns, refused
  otherwise with the allowed values;
- dates as naive UTC ISO text;
- free text as any text up to ``MAX_TEXT_LENGTH`` characters (a number as its canonical
  text).

A missing cell (absent, null, blank text, a missing-value marker that training read as
missing such as ``"PS"``, ``"NULL"`` or ``"?"`` (``Schema.na_values``), and NaN where NaN
means missing) is refused for a required field and otherwise reaches the pipeline as
missing (:func:`resolve`).
Problems are phrased here, once; where they are (``loc``) is added by the caller
(:meth:`Problem.item`).
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping
from datetime import date, datetime
from types import ModuleType
from typing import Final, NamedTuple, SupportsFloat, TypeAlias, cast

import numpy as np

from tabship.data import (
    MAX_TEXT_LENGTH,
    Field,
    JSONValue,
    Schema,
    canonical_text,
    is_column,
    json_safe,
    na_markers,
)
from tabship.errors import ErrorItem, OptionError, error_item

__all__ = [
    "ABSENT",
    "INVALID",
    "LARGEST_MODEL_NUMBER",
    "MISSING",
    "Cell",
    "NumberRule",
    "Problem",
    "Rule",
    "echo",
    "loaded_pandas",
    "quoted",
    "resolve",
    "rules_for",
    "show",
]


class _Marker:
    """A stand-in cell value that no client can send."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ABSENT: Final = _Marker("ABSENT")  # the key was not sent
MISSING: Final = _Marker("MISSING")  # sent, but empty (blank text)
INVALID: Final = _Marker("INVALID")  # the value cannot be used; the problem says why

# Spellings of a yes/no value, as in tabship.data's boolean role detection.
_TRUE = ("1", "true", "yes", "y", "t")
_FALSE = ("0", "false", "no", "n", "f")
_SHOWN_IN_MESSAGE = 10  # allowed values quoted in a message
_EXPECTED_LIMIT = 50  # allowed values listed in an item's "expected"

# Tree models work in float32: a larger magnitude becomes infinity inside the estimator.
LARGEST_MODEL_NUMBER: Final = float(np.finfo(np.float32).max)


def loaded_pandas() -> ModuleType | None:
    """pandas if this process has imported it, else None. A value cannot be a pandas
    object unless pandas is loaded, so the checks never import it themselves: a server
    validating JSON stays free of pandas."""
    return sys.modules.get("pandas")


def show(value: object) -> str:
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
    if is_column(value):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def echo(value: object) -> JSONValue:
    """What came, for an item's ``input``: JSON-safe (a NaN or a numpy scalar there would
    turn the server's 4xx into a 500), bounded, and quoted like the message beyond that."""
    return json_safe(value, nonfinite="text", other=show, max_depth=3, max_items=100)


def quoted(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:_SHOWN_IN_MESSAGE])
    if len(values) > _SHOWN_IN_MESSAGE:
        shown += f", ... ({len(values)} values in all)"
    return shown


def _number_text(number: float | None) -> str:
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


class Problem(NamedTuple):
    """What is wrong with one value, before it knows where it is (``loc``)."""

    type: str
    msg: str
    expected: JSONValue

    def item(self, loc: list[int | str], got: object) -> ErrorItem:
        """The error item of this problem at ``loc``, echoing the cell that caused it."""
        came = None if got is ABSENT else echo(got)
        return error_item(loc, self.msg, self.type, came, expected=self.expected)


# One cell resolved: the model's value (or INVALID), what was wrong, and whether a missing
# value was let through for the pipeline's imputation. A plain tuple: it is made for every
# cell of a request, where a NamedTuple's constructor would cost a tenth of the check.
Cell: TypeAlias = tuple[object, "Problem | None", bool]


class Rule:
    """How one field's values are read; subclasses implement ``convert``."""

    expected: JSONValue = None
    wanted = "a value"

    def __init__(self, f: Field, *, markers: frozenset[str] = frozenset()) -> None:
        self.name = f.name
        self.required = f.required
        self.missing_value: object = None
        # Text that training read as missing (stripped): missing here too.
        self.markers = markers

    def is_blank(self, text: str) -> bool:
        """Empty text or a missing-value marker: the cell is missing, not wrong."""
        return not text or text in self.markers

    def convert(self, value: object) -> tuple[object, Problem | None]:
        """``(value for the model, None)``, ``(value, warning)``, ``(INVALID, error)``,
        or ``(MISSING, None)`` for blank text."""
        raise NotImplementedError

    def problem(self, type_: str, got: object, what: str | None = None) -> Problem:
        return Problem(
            type_,
            f"The '{self.name}' field must be {what or self.wanted}. Got {show(got)} instead.",
            self.expected,
        )

    def missing(self, got: object) -> Problem:
        came = "nothing" if got is ABSENT else show(got)
        return Problem(
            "missing",
            f"The '{self.name}' field is required ({self.wanted}). Got {came} instead.",
            self.expected,
        )


class NumberRule(Rule):
    expected = "a finite number"
    wanted = "a number"

    def __init__(self, f: Field, *, markers: frozenset[str] = frozenset()) -> None:
        super().__init__(f, markers=markers)
        self.low, self.high = f.minimum, f.maximum
        self.range: JSONValue = {"minimum": f.minimum, "maximum": f.maximum}
        self.missing_value = math.nan

    def convert(self, value: object) -> tuple[object, Problem | None]:
        kind = type(value)
        if kind is str:
            text = str(value).strip()
            if self.is_blank(text):
                return MISSING, None
            try:
                number = float(text)
            except ValueError:
                return INVALID, self.problem("float_parsing", value)
        elif isinstance(value, float | int) and kind is not bool:
            try:
                number = float(value)
            except OverflowError:  # an int beyond float's range
                number = math.inf
        elif _is_real_number(value):  # numpy numbers, Fraction, ...
            try:
                number = float(cast(SupportsFloat, value))
            except (OverflowError, TypeError, ValueError):
                number = math.inf
        else:
            return INVALID, self.problem("type_error", value)
        if not math.isfinite(number) or abs(number) > LARGEST_MODEL_NUMBER:
            return INVALID, self.problem("finite_number", value, "a finite number")
        return number, self._range_warning(number)

    def _range_warning(self, number: float) -> Problem | None:
        low, high = self.low, self.high
        if (low is None or number >= low) and (high is None or number <= high):
            return None
        seen = f"{_number_text(low)} to {_number_text(high)}"
        return Problem(
            "out_of_range",
            f"The '{self.name}' field is {_number_text(number)}, outside the range seen in "
            f"training ({seen}); the prediction extrapolates and may be unreliable.",
            self.range,
        )


def _is_real_number(value: object) -> bool:
    """A real number that is not a boolean (``True`` is no age)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


class CategoryRule(Rule):
    """Categorical and boolean fields: one lookup table from folded text to category."""

    def __init__(
        self, f: Field, allow_unknown: bool, *, markers: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(f, markers=markers)
        categories = [str(c) for c in f.categories or []]
        self.allow_unknown = allow_unknown
        self.exact = frozenset(categories)
        self.folded: dict[str, str] = {}
        for c in categories:
            self.folded.setdefault(c.strip().casefold(), c)
        if f.role == "boolean":
            self._add_yes_no(categories)
        expected: list[JSONValue] = [*categories[:_EXPECTED_LIMIT]]
        self.expected = expected
        self.wanted = f"one of {quoted(categories)}" if categories else "a text value"

    def _add_yes_no(self, categories: list[str]) -> None:
        """Let ``True``, ``"yes"``, ``1`` all reach a boolean field's own spelling."""
        for spellings in (_TRUE, _FALSE):
            own = [c for c in categories if c.strip().casefold() in spellings]
            if len(own) == 1:
                for s in spellings:
                    self.folded.setdefault(s, own[0])

    def convert(self, value: object) -> tuple[object, Problem | None]:
        if type(value) is str:
            text = str(value).strip()
            if self.is_blank(text):
                return MISSING, None
        elif isinstance(value, bool | np.bool_ | numbers.Integral):
            text = canonical_text(value)
        elif isinstance(value, numbers.Real):
            if not math.isfinite(value):
                return INVALID, self.problem("enum", value)
            text = canonical_text(value)
        else:
            return INVALID, self.problem("type_error", value)
        if text in self.exact:
            return text, None
        match = self.folded.get(text.casefold())
        if match is not None:
            return match, None
        if not self.allow_unknown:
            return INVALID, self.problem("enum", value)
        return text, Problem(
            "unknown_category",
            f"The '{self.name}' field has the value {show(text)}, which the model did not "
            "see in training; it is treated as an unknown category.",
            self.expected,
        )


class DateRule(Rule):
    """Dates as naive UTC ISO text, within the nanosecond range the pipeline can hold."""

    expected = "an ISO 8601 date or time"
    wanted = "a date or time such as '2024-01-31'"

    def convert(self, value: object) -> tuple[object, Problem | None]:
        if isinstance(value, str):
            text = value.strip()
            if self.is_blank(text):
                return MISSING, None
            if not any(ch.isdigit() for ch in text):  # "now", "today" parse, but are no data
                return INVALID, self.problem("datetime_parsing", value)
        elif not isinstance(value, datetime | date | np.datetime64):
            return INVALID, self.problem("type_error", value)
        import pandas as pd

        try:
            stamp = pd.Timestamp(value)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            inside = pd.Timestamp.min <= stamp <= pd.Timestamp.max  # False for NaT
        except (ValueError, TypeError, OverflowError):
            return INVALID, self.problem("datetime_parsing", value)
        if not inside:
            return INVALID, self.problem("datetime_parsing", value)
        return stamp.isoformat(), None


class TextRule(Rule):
    """Free text: any text up to ``MAX_TEXT_LENGTH`` characters, trimmed."""

    expected = f"text of at most {MAX_TEXT_LENGTH:,} characters"
    wanted = "text"

    def convert(self, value: object) -> tuple[object, Problem | None]:
        given = value
        if _is_real_number(value) and math.isfinite(cast(SupportsFloat, value)):
            value = canonical_text(value)  # a ticket number sent as a number
        if not isinstance(value, str):
            return INVALID, self.problem("type_error", given)
        text = value.strip()
        if self.is_blank(text):
            return MISSING, None
        if len(text) > MAX_TEXT_LENGTH:
            what = f"at most {MAX_TEXT_LENGTH:,} characters long (got {len(text):,})"
            return INVALID, self.problem("string_too_long", value, what)
        return text, None


_NEVER_MISSING = frozenset({str, int, bool})  # exactly these types: never NA, NaT or NaN


def is_missing(value: object, nan_is_missing: bool) -> bool:
    """Absent, null, pandas' NA or NaT, and NaN where NaN means missing (a DataFrame)."""
    if value is None or value is ABSENT:
        return True
    if type(value) in _NEVER_MISSING:  # most cells: no pandas lookup, no NaN check
        return False
    pandas = loaded_pandas()
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return True
    return nan_is_missing and isinstance(value, float | np.floating) and math.isnan(value)


def resolve(rule: Rule, raw: object, nan_is_missing: bool) -> Cell:
    """One cell converted, refused, or let through as missing."""
    if not is_missing(raw, nan_is_missing):
        value, problem = rule.convert(raw)
        if value is not MISSING:
            return value, problem, False
    if rule.required:
        return INVALID, rule.missing(raw), False
    return rule.missing_value, None, True


def rules_for(schema: Schema, allow: bool | Mapping[str, bool]) -> list[Rule]:
    """One rule per feature field; ``allow`` is the unknown-category policy, for all
    fields or per field name (a name outside the schema is an ``OptionError``). Text
    that training read as missing (the default markers and the schema's ``na_values``)
    is missing for every rule."""
    per_field = _allow_per_field(schema, allow)
    markers = frozenset(na_markers(schema.na_values)) - {""}
    return [_rule_for(f, per_field[f.name], markers) for f in schema.feature_fields]


def _rule_for(f: Field, allow_unknown: bool, markers: frozenset[str]) -> Rule:
    if f.role == "numeric":
        return NumberRule(f, markers=markers)
    if f.role == "datetime":
        return DateRule(f, markers=markers)
    if f.role == "text":
        return TextRule(f, markers=markers)
    return CategoryRule(f, allow_unknown, markers=markers)


def _allow_per_field(schema: Schema, allow: bool | Mapping[str, bool]) -> dict[str, bool]:
    if not isinstance(allow, Mapping):
        return {name: bool(allow) for name in schema.names}
    strangers = sorted(set(allow) - set(schema.names))
    if strangers:
        raise OptionError(
            "allow_unknown_categories", "a mapping of the schema's field names", strangers
        )
    return {name: bool(allow.get(name, True)) for name in schema.names}
