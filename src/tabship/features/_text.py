"""``TextTokens``: free-text columns as 0/1 indicators of their most frequent words.

A name's title ("Mr", "Master") or a ticket's prefix ("PC", "STON") predicts what its
row does; the column as a whole is almost unique per row, so neither a category nor an
identifier fits it. Each text column keeps a bounded vocabulary learned at fit (the
words in the most rows) and becomes one indicator column per word. The words come from
``tabship.data.text_tokens``, the tokeniser the scoring plan uses too, and the fitted
vocabularies are plain lists of str so that skops stores them without custom types.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tabship.data import canonical_object_series, text_tokens, word_indicators
from tabship.features._frame import FrameTransformer, as_frame, input_names

__all__ = ["TextTokens"]


class TextTokens(FrameTransformer):
    """One 0/1 column per frequent word of each text column.

    Parameters
    ----------
    max_tokens : int, default=100
        Words kept per column: those in the most training rows (ties by the word).
    min_rows : int, default=5
        A word must be in at least this many training rows: rarer ones cannot generalise.
    max_fraction : float, default=0.95
        A word in more than this fraction of rows says nothing about a row; it is left out.

    Attributes
    ----------
    vocabularies_ : list of list of str
        Per input column, its words in output order.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        "max_tokens": [int],
        "min_rows": [int],
        "max_fraction": [float],
    }

    def __init__(
        self, max_tokens: int = 100, min_rows: int = 5, max_fraction: float = 0.95
    ) -> None:
        self.max_tokens = max_tokens
        self.min_rows = min_rows
        self.max_fraction = max_fraction

    def fit(self, X: Any, y: Any = None) -> TextTokens:
        """Learn each column's vocabulary: its most frequent words within the bounds."""
        self._validate_params()
        frame = as_frame(self, X, reset=True)
        self.vocabularies_ = [self._vocabulary(_token_sets(frame[c])) for c in frame.columns]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Indicator columns (float 0/1), each column's words in vocabulary order."""
        check_is_fitted(self, "vocabularies_")
        frame = as_frame(self, X, reset=False)
        blocks = [
            word_indicators(canonical_object_series(frame[column]).tolist(), words, len(frame))
            for column, words in zip(frame.columns, self.vocabularies_, strict=True)
        ]
        matrix = np.vstack(blocks).T if blocks else np.empty((len(frame), 0))
        return pd.DataFrame(matrix, index=frame.index, columns=self.get_feature_names_out())

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "vocabularies_")
        inputs = input_names(self, input_features)
        names = [
            f"{name}__{word}"
            for name, words in zip(inputs, self.vocabularies_, strict=True)
            for word in words
        ]
        return np.asarray(names, dtype=object)

    def _vocabulary(self, rows: list[set[str]]) -> list[str]:
        counts = Counter(token for tokens in rows for token in tokens)
        high = self.max_fraction * len(rows)
        kept = [(w, n) for w, n in counts.items() if self.min_rows <= n <= high]
        kept.sort(key=lambda item: (-item[1], item[0]))
        return [w for w, _ in kept[: self.max_tokens]]


def _token_sets(values: pd.Series) -> list[set[str]]:
    """Each cell's words (of its canonical text, as the coercer spells it); missing: none."""
    texts = canonical_object_series(values).tolist()
    return [text_tokens(v) if isinstance(v, str) else set() for v in texts]
