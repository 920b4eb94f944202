"""``PositionalNames``: the model's input columns renamed ``f0, f1, ...``, nothing else.

A column name is whatever a CSV header holds: quotes, braces, colons, commas, brackets,
newlines, spaces, an empty string. LightGBM refuses most of these as feature names (its
model file is JSON-like), replaces spaces by underscores and then fails on the
duplicates that makes ("a b" and "a_b"). The schema, the API and every page keep the
user's names; only the frame handed to the estimator gets positional ones. Scoring plans
are positional already, so the step compiles to nothing.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.features._frame import FrameTransformer, as_frame, input_names

__all__ = ["PositionalNames", "positional_name"]

_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")
_HINT_CHARS = 40


def positional_name(position: int, name: str) -> str:
    """``f<position>`` plus the name's ASCII letters and digits as a readable hint.

    The position alone makes it unique; the hint only helps a person reading a LightGBM
    model dump.
    """
    hint = _UNSAFE.sub("_", name).strip("_")[:_HINT_CHARS].rstrip("_")
    return f"f{position}_{hint}" if hint else f"f{position}"


class PositionalNames(FrameTransformer):
    """Rename the columns to ``positional_name(i, name)``; values and dtypes stay as given.

    Attributes
    ----------
    names_ : list of str
        The output names, in input order.
    """

    _parameter_constraints: dict[str, list[Any]] = {}

    def fit(self, X: Any, y: Any = None) -> PositionalNames:
        """Fix the output names from the input columns."""
        as_frame(self, X, reset=True)
        self.names_ = [positional_name(i, n) for i, n in enumerate(input_names(self))]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """The same frame with positional column names (no copy of the data)."""
        check_is_fitted(self, "names_")
        frame = as_frame(self, X, reset=False)
        return frame.set_axis(self.names_, axis=1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "names_")
        return np.asarray(self.names_, dtype=object)
