"""Formula-like text cells are quoted in scored CSVs (OWASP CSV injection; issue 10, item 9)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabship.batch import OutputColumns, TableScores, escape_formulas, every_row, score_file
from tabship.data import read_table
from tests.conftest import dataset_path

CELLS = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tq", "\rq", "-3.5", "+1e5", "plain", None, "'=x", ""]
ESCAPED = ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tq", "'\rq", "-3.5", "+1e5", "plain", None,
           "'=x", ""]  # fmt: skip


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"text": CELLS, "number": np.linspace(-3.5, 2.0, len(CELLS)), "=name": [1] * len(CELLS)}
    )


def test_formula_cells_and_names_are_quoted_and_numbers_kept():
    original = frame()
    out = escape_formulas(original)
    assert [None if pd.isna(v) else v for v in out["text"]] == ESCAPED
    assert out["number"].tolist() == original["number"].tolist()  # -3.5 stays a number
    assert list(out.columns) == ["text", "number", "'=name"]
    assert [None if pd.isna(v) else v for v in original["text"]] == CELLS  # left alone


def test_the_arrow_writer_applies_the_same_rule():
    from tabship.batch._formulas import escape_table

    table = escape_table(pa.Table.from_pandas(frame(), preserve_index=False))
    assert table.column("text").to_pylist() == ESCAPED
    assert table.column_names == ["text", "number", "'=name"]
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    assert sink.getvalue().decode().splitlines()[1].startswith('"\'=1+1",-3.5')


def test_the_csv_upload_layout_quotes_by_default():
    scores = TableScores(rows=2, index=[0], predictions=["=bad label"], failed=[1],
                         reasons={1: "-not a number"})  # fmt: skip
    table = pd.DataFrame({"x": ["@x", "ok"]})
    out = every_row(table, scores, OutputColumns())
    assert out["x"].tolist() == ["'@x", "ok"]
    assert out["prediction"].tolist() == ["'=bad label", ""]
    assert out["error"].tolist() == ["", "'-not a number"]
    assert every_row(table, scores, OutputColumns(), escape=False)["x"].tolist() == ["@x", "ok"]


@pytest.mark.slow  # adult_model trains for 6 s
@pytest.mark.parametrize("escape", [True, False])
def test_score_file_quotes_formulas_in_csv_unless_told_not_to(adult_model, tmp_path, escape):
    rows = read_table(dataset_path("adult.csv")).head(6).astype({"age": object})
    rows["note"] = ['=HYPERLINK("http://x")', "-12.5", "@x", "ok", "+", "-"]
    rows.loc[5, "age"] = "=1+1"  # an invalid row: it goes to the errors file
    source = tmp_path / "in.csv"
    rows.to_csv(source, index=False)
    score_file(adult_model, source, tmp_path / "out.csv", escape_formulas=escape)
    scored = pd.read_csv(tmp_path / "out.csv", keep_default_na=False, dtype=str)
    errors = pd.read_csv(tmp_path / "out.errors.csv", keep_default_na=False, dtype=str)
    if escape:
        assert scored["note"].tolist() == ['\'=HYPERLINK("http://x")', "-12.5", "'@x", "ok", "'+"]
        assert errors["age"].tolist() == ["'=1+1"]
    else:
        assert scored["note"].tolist() == rows["note"].tolist()[:5]
        assert errors["age"].tolist() == ["=1+1"]
    score_file(adult_model, source, tmp_path / "out.parquet", escape_formulas=escape)
    assert pd.read_parquet(tmp_path / "out.parquet")["note"].tolist()[0].startswith("=")


def test_object_columns_without_text_are_left_alone():
    odd = pd.DataFrame({"flag": pd.Series([True, False], dtype=object), "mixed": [1.5, "=x"]})
    out = escape_formulas(odd)
    assert out["flag"].tolist() == [True, False] and out["mixed"].tolist() == [1.5, "'=x"]


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(
        st.none() | st.text(alphabet="=+-@\t\r x1é€'\n", max_size=4), min_size=1, max_size=40
    ),
    cut=st.integers(min_value=0, max_value=40),
    large=st.booleans(),
)
def test_the_first_byte_check_finds_what_the_formula_rule_finds(cells, cut, large):
    """Read from offsets and bytes (slices of arrays included), as the regex reads cells."""
    import re

    from tabship.batch._formulas import FORMULA_START, _formula_starts

    array = pa.array(cells, pa.large_string() if large else pa.string())[cut:]
    expected = [v is not None and re.match(FORMULA_START, v) is not None for v in cells[cut:]]
    assert _formula_starts(array).tolist() == expected


def test_a_null_cell_over_formula_bytes_is_no_formula():
    """Arrow lets a null slot keep bytes (arrays built from buffers, kernels' outputs)."""
    from tabship.batch._formulas import _formula_starts

    offsets = pa.py_buffer(np.array([0, 2, 4], dtype=np.int32))
    valid = pa.py_buffer(np.packbits([0, 1], bitorder="little"))
    array = pa.Array.from_buffers(pa.string(), 2, [valid, offsets, pa.py_buffer(b"=x=y")])
    assert array.to_pylist() == [None, "=y"]
    assert _formula_starts(array).tolist() == [False, True]
