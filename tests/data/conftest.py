"""The reference datasets read once per session through tabship's own reader."""

from __future__ import annotations

import pandas as pd
import pytest

from tabship.data import read_table
from tests.conftest import dataset_path

_CACHE: dict[str, pd.DataFrame] = {}


@pytest.fixture(scope="session")
def read_dataset():
    """``read_dataset("adult.csv")`` -> the cleaned frame (a fresh copy per call)."""

    def read(name: str) -> pd.DataFrame:
        if name not in _CACHE:
            _CACHE[name] = read_table(dataset_path(name))
        return _CACHE[name].copy()

    return read
