"""Record ids: UUIDs version 7, held as one text and read as a sequence or a column."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tabship.batch import RecordIds, record_ids

_UUID7 = r"[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}"


def test_record_ids_are_unique_version_7_and_sort_by_time():
    first, later = record_ids(5000), record_ids(10)
    assert len(set(first)) == 5000
    assert all(re.fullmatch(_UUID7, i) for i in first)
    assert max(first)[:12] <= min(later)[:12]
    assert record_ids(0) == []
    assert not record_ids(0)


def test_ids_read_one_by_one_as_slices_and_as_a_column_agree():
    ids = record_ids(1000)
    listed = list(ids)
    assert len(ids) == len(listed) == 1000
    assert ids[0] == listed[0] and ids[-1] == listed[-1] and ids[517] == listed[517]
    assert ids[10:20] == listed[10:20] and ids[::-7] == listed[::-7]
    assert ids == listed and ids == RecordIds("".join(listed)) and ids != listed[:-1]
    column = ids.column()
    assert isinstance(column, pd.Series) and len(column) == 1000
    assert column.tolist() == listed
    with pytest.raises(IndexError):
        ids[1000]
    with pytest.raises(IndexError):
        ids[-1001]


def test_a_text_that_is_not_whole_ids_is_refused():
    with pytest.raises(ValueError, match="32 characters each"):
        RecordIds("0" * 33)
