"""A coded column reads as the plain column it codes, wherever the plan takes one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabship.plan import Coded
from tabship.plan._steps import Lookup
from tabship.plan._values import as_texts, missing_mask


@pytest.fixture
def coded() -> Coded:
    values = np.array(["north", None, "south", math.nan, "east"], dtype=object)
    codes = np.random.default_rng(3).integers(0, len(values), 1000).astype(np.intp)
    return Coded(codes, values)


def test_a_coded_column_reads_as_its_plain_column(coded):
    plain = coded.values[coded.codes]
    assert len(coded) == 1000
    assert np.asarray(coded).tolist() == plain.tolist() == coded.tolist() == list(coded)
    assert coded[7] is plain[7] and coded[-1] is plain[-1]
    assert coded[10:20].tolist() == plain[10:20].tolist()
    rows = np.array([5, 1, 999])
    assert isinstance(coded[rows], Coded) and coded[rows].tolist() == plain[rows].tolist()
    assert np.asarray(coded, dtype=str).tolist() == plain.astype(str).tolist()


def test_missing_and_text_values_of_a_coded_column_are_the_plain_columns(coded):
    plain = coded.values[coded.codes]
    np.testing.assert_array_equal(missing_mask(coded, 1000), missing_mask(plain, 1000))
    texts = as_texts(coded, 1000)
    assert isinstance(texts, Coded) and len(texts.values) == len(coded.values)
    assert np.asarray(texts).tolist() == as_texts(plain, 1000).tolist()
    assert None in texts.tolist() and not any(isinstance(v, float) for v in texts.tolist())


@pytest.mark.parametrize("n", [1000, 3])  # a batch (pandas lookups) and a few records
def test_a_lookup_gives_a_coded_column_the_rows_of_its_plain_column(coded, n):
    lookup = Lookup(["south", "north"], [[1.0, 0.0], [0.0, 1.0]], [0.5, 0.5])
    part = coded[np.arange(n)]
    plain = np.asarray(part)
    np.testing.assert_array_equal(lookup.positions(part, n), lookup.positions(plain, n))
    np.testing.assert_array_equal(lookup.rows(part, n), lookup.rows(plain, n))
