"""The text that means "missing": one list for reading tables and for validating records.

Real tables spell "missing" in many ways (``?``, ``NULL``, ``PS`` for privacy-suppressed).
Training reads these as missing (``clean_frame``) and records the list in the schema
(``Schema.na_values``); a record sent for prediction holding the same text is then read
as missing too (``tabship.runtime``'s value rules), so a raw row of the training file
scores as it trained. Standard library only: serving workers import it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DEFAULT_NA_VALUES", "na_markers"]

DEFAULT_NA_VALUES: tuple[str, ...] = (
    "",
    "NA",
    "N/A",
    "NaN",
    "nan",
    "NULL",
    "null",
    "None",
    "?",
    "PS",
    "PrivacySuppressed",
    "-",
    "#N/A",
)


def na_markers(na_values: Iterable[str] = ()) -> list[str]:
    """The default markers plus the user's, stripped, without repeats, in a stable order."""
    extra = [str(v).strip() for v in na_values]
    return list(dict.fromkeys([*DEFAULT_NA_VALUES, *extra]))
