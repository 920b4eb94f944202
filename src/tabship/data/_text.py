"""Free text as tokens: the one tokeniser that role inference, training and serving share.

A text column (full names with titles, ticket codes with prefixes) teaches a model through
the words its rows share. The tokens are scikit-learn's default word tokens (lowercased,
``(?u)\\b\\w\\w+\\b``), written here with ``re`` alone so that the serving plan computes
exactly the features the pipeline was trained on without importing scikit-learn.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_TEXT_LENGTH",
    "TOKEN_PATTERN",
    "shared_token_fraction",
    "text_tokens",
    "word_indicators",
]

TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# The longest text a field accepts (a served record, a form box): enough for a
# paragraph of notes, short of a pasted document.
MAX_TEXT_LENGTH = 10_000
_TOKEN = re.compile(TOKEN_PATTERN)
# A token "shared" by rows: in at least this many rows (and 0.2% of them), at most 90%.
_SHARED_MIN_ROWS = 6
_SHARED_MIN_FRACTION = 0.002
_SHARED_MAX_FRACTION = 0.9


def text_tokens(text: str) -> set[str]:
    """The distinct word tokens of ``text``: lowercased runs of two or more word characters."""
    return set(_TOKEN.findall(text.lower()))


def word_indicators(texts: Iterable[object], words: Sequence[str], n: int) -> NDArray[np.float64]:
    """A (len(words), n) matrix of 0/1: whether each of ``n`` texts holds each word.

    Anything but text (a missing value) holds no word. Each text's tokens are looked up
    in the vocabulary, so the cost follows the text, not the vocabulary's size. Training
    (``tabship.features.TextTokens``) and the scoring plan both call this one function.
    """
    index = {word: j for j, word in enumerate(words)}
    found = [
        (j, i)
        for i, text in enumerate(texts)
        if isinstance(text, str)
        for j in (index.get(token) for token in text_tokens(text))
        if j is not None
    ]
    matrix = np.zeros((len(index), n), dtype=np.float64)
    if found:
        matrix[tuple(np.asarray(found, dtype=np.intp).T)] = 1.0
    return matrix


def shared_token_fraction(values: Iterable[str]) -> float:
    """The fraction of ``values`` holding a token that many other values hold too.

    Unique codes (uuids, ``0001-AX``) share none, or only a token every row has (``ID-``);
    names with titles and tickets with prefixes share many. This is what tells text from an
    identifier when almost every value is distinct.
    """
    rows = [text_tokens(v) for v in values]
    if not rows:
        return 0.0
    counts = Counter(token for tokens in rows for token in tokens)
    low = max(_SHARED_MIN_ROWS, math.ceil(_SHARED_MIN_FRACTION * len(rows)))
    high = _SHARED_MAX_FRACTION * len(rows)
    shared = {token for token, count in counts.items() if low <= count <= high}
    return sum(1 for tokens in rows if tokens & shared) / len(rows)
