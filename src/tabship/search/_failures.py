"""A model family failing during the search is dropped, said out loud, and remembered.

A library can refuse data in its own way (LightGBM and some feature names, a solver
running out of memory on one family's encoding): that costs one leaderboard row, never
the run. Only when every family failed does the search raise, naming each reason.
"""

from __future__ import annotations

import warnings

from tabship.errors import SearchError, TabshipWarning

__all__ = ["FamilyFailures"]

_REASON_CHARS = 300


class FamilyFailures:
    """The families dropped so far, each with its one-line reason."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def drop(self, family: str, error: Exception, *, stage: str = "screening") -> None:
        """Warn (``TabshipWarning``) that ``family`` failed during ``stage``, and why."""
        reason = describe(error)
        self.failures.append((family, reason))
        warnings.warn(
            f"Dropped the model family {family}: it failed during {stage} ({reason}).",
            TabshipWarning,
            stacklevel=3,
        )

    def raise_if_none_left(self, n_rows: int) -> None:
        """Raise ``SearchError`` when no family produced a single leaderboard row."""
        if n_rows == 0 and self.failures:
            raise SearchError(self.failures)


def describe(error: BaseException) -> str:
    """``Type: first line of the message``, bounded: a reason fit for one line."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
