"""A synthetic table whose signal is a word inside free text: a title inside a full name.

Used by the text-role tests of several layers (role inference, the plan's agreement with
the pipeline, training): ``name`` is "Surname, Title. First Middle" with the title drawn
with class-dependent probabilities, ``ticket`` a code whose prefix leans the same way (
missing in 5% of rows), ``x1`` a weak numeric signal and ``x2`` noise.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

FIRST = ["John", "Mary", "Anna", "Peter", "Paul", "Lucy", "Emma", "Mark", "Sarah", "James"]
TITLES = ["Mrs", "Dr", "Mr", "Rev"]
PREFIXES = ["PC", "STON/O2.", "A/5", "CA", ""]


def titled_people(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """``n`` people; ``survived`` (yes/no) depends mostly on the title in ``name``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    titles = np.where(
        y == 1,
        rng.choice(TITLES, n, p=[0.55, 0.25, 0.1, 0.1]),
        rng.choice(TITLES, n, p=[0.1, 0.1, 0.5, 0.3]),
    )
    prefixes = np.where(
        y == 1,
        rng.choice(PREFIXES, n, p=[0.4, 0.1, 0.1, 0.1, 0.3]),
        rng.choice(PREFIXES, n, p=[0.1, 0.2, 0.2, 0.1, 0.4]),
    )
    names = [
        f"Surname{rng.integers(300)}, {t}. {rng.choice(FIRST)} {rng.choice(FIRST)}" for t in titles
    ]
    tickets: list[str | None] = [f"{p} {rng.integers(10_000, 999_999)}".strip() for p in prefixes]
    for i in rng.choice(n, n // 20, replace=False):
        tickets[i] = None  # an optional text field
    return pd.DataFrame(
        {
            "name": names,
            "ticket": tickets,
            "x1": rng.normal(size=n) + 0.3 * y,
            "x2": rng.normal(size=n),
            "survived": np.where(y == 1, "yes", "no"),
        }
    )


def unique_codes(n: int, seed: int = 0) -> list[str]:
    """``n`` random uuid4 codes: unique per row, sharing no word."""
    rng = np.random.default_rng(seed)
    return [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]
