"""Column roles: what each column is, decided from its values and, for ids, its name.

The rules are deliberately few and ordered; each one is here because a reference
dataset needs it (see tests/data/test_roles.py):

1. ``empty`` (no values) and ``constant`` (one distinct value) columns cannot teach a
   model anything.
2. ``boolean``: exactly two values that spell a yes/no pair (0/1, true/false, yes/no,
   y/n, t/f; any case).
3. ``identifier``: an id-like name (``id``, ``user_id``, ``customerID``, ``UNITID``)
   with more than 50 distinct values; or text/integer values that are (almost) all
   distinct, integers only when they form a dense counter, text only when its rows share
   no words (uuids, ``0001-AX``: see ``shared_token_fraction``); or a text column that
   names the same entities as an identifier (college_scorecard ``INSTNM`` alongside
   ``UNITID``: one institution name per id).
4. numbers: ``categorical`` when they are a few small integer codes (at most 5
   distinct values in 0..9, e.g. auto-mpg ``Origin`` 1/2/3), else ``numeric``.
5. text: ``datetime`` when at least 95% of the values parse as dates; ``text`` (free
   text, fed to the model as indicators of its frequent words) when most values are
   distinct (auto-mpg ``Car Name``, names with titles, ticket codes with prefixes) or
   long sentences; ``categorical`` otherwise (college_scorecard ``CIPDESC``:
   296 levels over 24,783 rows).
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from tabship.data._canonical import canonical_series, is_integer_valued
from tabship.data._schema import Role
from tabship.data._text import shared_token_fraction

__all__ = ["infer_role", "infer_roles", "looks_like_id_name", "parse_dates"]

_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key|identifier)$", re.IGNORECASE)
_CAMEL_ID_NAME = re.compile(r"([a-z0-9](ID|Id|UUID|Uuid|Key)|^[A-Z0-9_]*[A-Z]ID)$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
_DATE_LIKE = re.compile(
    r"\d{1,4}[-/.:]\d{1,2}|\d{1,2} ?[A-Za-z]{3,9},? ?\d{2,4}|[A-Za-z]{3,9} \d{1,2}"
)
_MANY = 50  # distinct values above which a column counts as high-cardinality
_DATE_SAMPLE = 1000
_TOKEN_SAMPLE = 5000  # values whose words are counted to tell text from an identifier
_SHARED_ROWS = 0.2  # text: at least this fraction of rows share a word with other rows


def looks_like_id_name(name: str) -> bool:
    """Names such as ``id``, ``user_id``, ``Customer ID``, ``customerID``, ``UNITID``."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID_NAME.search(name))


def infer_roles(df: pd.DataFrame) -> dict[str, Role]:
    """The role of every column of ``df``, including the identifier-alias pass."""
    roles = {str(name): infer_role(df[name]) for name in df.columns}
    identifiers = [n for n, r in roles.items() if r == "identifier"]
    for name, role in roles.items():
        if role == "categorical" and _is_text(df[name]) and df[name].nunique() > _MANY:
            if any(_names_same_entities(df[name], df[i]) for i in identifiers):
                roles[name] = "identifier"
    return roles


def infer_role(column: pd.Series) -> Role:
    """The role of one column, judged on its own values and name."""
    present = column.dropna()
    if present.empty:
        return "empty"
    n_unique = present.nunique()
    if n_unique <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(present) or _is_boolean_pair(present, n_unique):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(present):
        return "datetime"
    if pd.api.types.is_numeric_dtype(present):
        return _numeric_role(str(column.name), present, n_unique)
    return _text_role(str(column.name), present.astype(str), n_unique)


def _numeric_role(name: str, present: pd.Series, n_unique: int) -> Role:
    integer = is_integer_valued(present)
    if integer and _is_id_name_with_many(name, n_unique):
        return "identifier"
    if integer and _is_dense_counter(present, n_unique):
        return "identifier"
    if integer and n_unique <= 5 and present.min() >= 0 and present.max() <= 9:
        return "categorical"
    return "numeric"


def _text_role(name: str, present: pd.Series, n_unique: int) -> Role:
    n = len(present)
    ratio = n_unique / n
    has_spaces = present.str.contains(" ", regex=False).mean() > 0.5
    if _is_id_name_with_many(name, n_unique):
        return "identifier"
    if _looks_like_dates(present):
        return "datetime"
    if n >= _MANY and ratio > 0.95 and not has_spaces and not _shares_words(present):
        return "identifier"
    if ratio > 0.5 and n_unique > _MANY:
        return "text"
    if has_spaces and present.str.len().mean() > 40 and ratio > 0.2:
        return "text"
    return "categorical"


def _is_id_name_with_many(name: str, n_unique: int) -> bool:
    return looks_like_id_name(name) and n_unique > _MANY


def _shares_words(present: pd.Series) -> bool:
    """Whether enough rows (of a fixed sample) share a word with many other rows."""
    sample = (
        present.sample(_TOKEN_SAMPLE, random_state=0) if len(present) > _TOKEN_SAMPLE else present
    )
    return shared_token_fraction(sample.tolist()) >= _SHARED_ROWS


def _is_dense_counter(present: pd.Series, n_unique: int) -> bool:
    """All-distinct integers spanning about as many numbers as rows: a row number or id."""
    n = len(present)
    if n < _MANY or n_unique / n <= 0.95:
        return False
    span = float(present.max()) - float(present.min()) + 1
    return span <= 2 * n


def _is_boolean_pair(present: pd.Series, n_unique: int) -> bool:
    if n_unique != 2:
        return False
    values = {v.lower() for v in canonical_series(present.drop_duplicates()).tolist()}
    return len(values & _TRUE) == 1 and len(values & _FALSE) == 1


def _looks_like_dates(present: pd.Series) -> bool:
    """At least 95% of (a sample of) the distinct values look like and parse as dates."""
    sample = pd.Series(present.drop_duplicates().head(_DATE_SAMPLE).tolist(), dtype="str")
    if sample.str.contains(_DATE_LIKE).mean() < 0.95:
        return False
    return bool(parse_dates(sample).notna().mean() >= 0.95)


def parse_dates(column: pd.Series) -> pd.Series:
    """Dates from text in any common layout; what does not parse becomes NaT."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil fallbacks warn per layout; we judge the rate
        return pd.to_datetime(column.astype("str"), format="mixed", errors="coerce")


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(column) or pd.api.types.is_object_dtype(column)


def _names_same_entities(text: pd.Series, identifier: pd.Series) -> bool:
    """True when ``text`` is a label of ``identifier``: about one text value per id."""
    pairs = pd.DataFrame({"t": text, "i": identifier}).dropna()
    if pairs.empty:
        return False
    n_text, n_ids = pairs["t"].nunique(), pairs["i"].nunique()
    n_pairs = len(pairs.drop_duplicates())
    return n_text >= 0.8 * n_ids and n_pairs <= 1.1 * n_ids
