"""Reading files to score: training's header names, a NUL anywhere refused with its line,
and the columns the model does not read passed through as read (issue 10, items 7, 9)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from tabship.batch import read_chunks, score_file
from tabship.data import read_table
from tabship.errors import DataFileError, DuplicateColumnError
from tests.conftest import dataset_path

pytestmark = pytest.mark.slow  # adult_model trains for 6 s


@pytest.fixture(scope="module")
def adult_rows() -> pd.DataFrame:
    return read_table(dataset_path("adult.csv")).head(400)


@pytest.mark.parametrize("name", ["nul.csv", "nul.csv.gz"])
def test_a_nul_byte_is_refused_with_its_line_and_byte(adult_model, adult_rows, tmp_path, name):
    text = adult_rows.to_csv(index=False).encode()
    data = text + text.split(b"\n", 1)[1].replace(b",Bachelors,", b",Bach\x00elors,", 1)
    position = data.index(b"\x00")
    line = data.count(b"\n", 0, position) + 1
    source = tmp_path / name
    source.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(DataFileError, match=rf"NUL byte at line {line} \(byte {position}\)"):
        score_file(adult_model, source, tmp_path / "out.csv", chunk_size=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no output, no temporary


def test_a_nul_byte_past_the_first_chunks_is_refused(adult_model, adult_rows, tmp_path):
    body = adult_rows.to_csv(index=False, header=False).encode()
    data = adult_rows.to_csv(index=False).encode() + body * 30 + b"39,\x00State-gov\n"
    assert data.index(b"\x00") > 1_000_000  # past the 64 KB once checked, and the 1 MB read at once
    source = tmp_path / "late.csv"
    source.write_bytes(data)
    with pytest.raises(DataFileError, match=r"NUL byte at line 12402 "):
        score_file(adult_model, source, tmp_path / "out.csv", chunk_size=500)


def test_blank_header_names_are_read_as_training_reads_them(adult_model, adult_rows, tmp_path):
    source = tmp_path / "blank.csv"
    frame = adult_rows.assign(**{"": "kept", "   ": 1.5})
    frame.to_csv(source, index=False)
    score_file(adult_model, source, tmp_path / "out.csv")
    header = pd.read_csv(tmp_path / "out.csv", nrows=0).columns.tolist()
    n = adult_rows.shape[1]
    assert header[n : n + 2] == [f"column_{n + 1}", f"column_{n + 2}"]  # not "Unnamed: 15"


def test_repeated_header_names_are_refused(adult_model, adult_rows, tmp_path):
    source = tmp_path / "twice.csv"
    text = adult_rows.to_csv(index=False)
    source.write_text(text.replace("fnlwgt", "age ", 1))
    with pytest.raises(DuplicateColumnError, match="'age'"):
        score_file(adult_model, source, tmp_path / "out.csv")


def test_columns_the_model_does_not_read_pass_through_as_read(adult_model, adult_rows, tmp_path):
    rng = np.random.default_rng(0)
    extra = pd.DataFrame(  # a wide export: the model reads 14 of its columns
        rng.normal(size=(len(adult_rows), 300)).round(2),
        columns=[f"extra_{i}" for i in range(300)],
    )
    wide = pd.concat([adult_rows, extra], axis=1)
    wide["note"] = ["  PS  ", "free text"] * (len(wide) // 2)
    padded = wide.astype({"age": str}).assign(age=lambda f: " " + f["age"] + " ")
    source = tmp_path / "wide.csv"
    padded.to_csv(source, index=False)
    score_file(adult_model, source, tmp_path / "out.csv", chunk_size=128)
    scored = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(scored.columns[: wide.shape[1]]) == list(wide.columns)
    assert (scored["prediction"].to_numpy() == adult_model.predict(adult_rows)).all()
    assert scored["age"].tolist() == adult_rows["age"].tolist()  # a model column: cleaned
    assert scored["note"].tolist()[:2] == ["PS  ", "free text"]  # passed through as read
    np.testing.assert_allclose(scored["extra_299"].to_numpy(), wide["extra_299"].to_numpy())


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_columns_the_model_does_not_read_keep_their_text(adult_model, adult_rows, tmp_path, name):
    # Codes with leading zeros, NA markers and blanks, and a column of numbers that
    # turns to text after the first chunk: parsed by pandas they came out as 7, empty
    # cells and, in Parquet, a chunk refused for its type.
    n = len(adult_rows)
    codes = ["007", "NA", "", "PS", "1e3", "0x1F"] * (n // 6) + ["42"] * (n % 6)
    later = [str(i) for i in range(300)] + ["n/a"] * (n - 300)
    source = tmp_path / "coded.csv"
    adult_rows.assign(code=codes, later=later).to_csv(source, index=False)
    score_file(adult_model, source, tmp_path / name, chunk_size=128)
    out = tmp_path / name
    scored = (
        pd.read_parquet(out) if name.endswith(".parquet")
        else pd.read_csv(out, dtype=str, keep_default_na=False)
    )  # fmt: skip
    assert scored["code"].tolist() == codes
    assert scored["later"].tolist() == later
    assert (scored["prediction"].to_numpy() == adult_model.predict(adult_rows)).all()


@pytest.mark.parametrize(("rows", "chunk_size", "sizes"), [
    (25_000, 20_000, [10_000, 15_000]),  # a small first chunk, then the reader's own
    (7_000, 20_000, [7_000]),
    (25_000, 8_000, [8_000, 8_000, 8_000, 1_000]),  # chunks no larger than the first
])  # fmt: skip
def test_the_first_chunk_is_small_and_the_chunks_hold_every_row(tmp_path, rows, chunk_size, sizes):
    table = pd.DataFrame({"a": np.arange(rows), "b": np.where(np.arange(rows) % 3, "x", "y")})
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    chunks = list(read_chunks(path, chunk_size))
    assert [len(c) for c in chunks] == sizes
    joined = pd.concat(chunks, ignore_index=True)
    assert joined["a"].tolist() == table["a"].tolist()
    assert joined["b"].tolist() == table["b"].tolist()
