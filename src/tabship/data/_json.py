"""JSON-safe values: numpy scalars, arrays and non-finite floats made plain, in one place.

Every layer that writes JSON meets the same values — numpy numbers from a model or a
leaderboard, NaN and infinities that JSON has no spelling for, tuples, columns — and
each needs them the same way, except for two choices that differ by purpose:

- what a non-finite float becomes (``nonfinite``): ``"text"`` (``"NaN"``,
  ``"Infinity"``) when an error echoes what a client sent, ``"null"`` in answers and
  stored files, ``"keep"`` when the value goes on to Python code that knows NaN;
- what a value JSON cannot hold becomes (``other``): its ``str`` by default; an
  artifact writer raises instead, an error echo quotes it.

``max_depth`` and ``max_items`` bound the copy when the value is untrusted input.
Nothing here imports pandas: a pandas column is recognised only if pandas is loaded.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Literal, TypeAlias, TypeGuard

import numpy as np

__all__ = ["JSONValue", "NonFinite", "is_column", "json_safe"]

JSONValue: TypeAlias = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
NonFinite = Literal["text", "null", "keep"]


def json_safe(
    value: object,
    *,
    nonfinite: NonFinite = "text",
    other: Callable[[object], JSONValue] = str,
    max_depth: int | None = None,
    max_items: int | None = None,
) -> JSONValue:
    """``value`` as something ``json.dumps(allow_nan=False)`` accepts (with ``"keep"``,
    NaN excepted).

    Mappings become dicts with ``str`` keys; lists, tuples, numpy arrays and pandas
    columns become lists; numpy numbers become Python numbers; anything else is
    ``other(value)``, as is a container below ``max_depth`` levels. A container keeps
    its first ``max_items`` entries.
    """
    if value is None or isinstance(value, bool | int | str) and not isinstance(value, np.generic):
        return value
    if isinstance(value, float | np.floating):
        return _float(float(value), nonfinite)
    if isinstance(value, np.integer | np.bool_):
        plain: int | bool = value.item()
        return plain
    if max_depth is None or max_depth > 0:
        deeper = None if max_depth is None else max_depth - 1

        def inner(item: object) -> JSONValue:
            return json_safe(
                item, nonfinite=nonfinite, other=other, max_depth=deeper, max_items=max_items
            )

        if isinstance(value, Mapping):
            return {str(k): inner(v) for k, v in list(value.items())[:max_items]}
        if is_column(value):
            return [inner(v) for v in list(value)[:max_items]]
    return other(value)


def is_column(value: object) -> TypeGuard[Collection[object]]:
    """A list, tuple, numpy array or pandas Series: what holds one value per record."""
    if isinstance(value, list | tuple | np.ndarray):
        return True
    pandas = sys.modules.get("pandas")  # a Series exists only if pandas is loaded
    return pandas is not None and isinstance(value, pandas.Series)


def _float(number: float, nonfinite: NonFinite) -> float | str | None:
    if math.isfinite(number) or nonfinite == "keep":
        return number
    if nonfinite == "null":
        return None
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"
