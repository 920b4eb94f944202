from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabship.data import header_names, read_table
from tabship.data._read import sniff_delimiter
from tabship.errors import DataFileError, DuplicateColumnError, OptionError, TabshipWarning
from tests.conftest import dataset_path

AUTO_MPG_NAMES = [
    "MPG", "Cylinders", "Displacement", "Horsepower", "Weight",
    "Acceleration", "Model Year", "Origin", "Car Name",
]  # fmt: skip


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# --- the reference datasets -------------------------------------------------------------


def test_adult_question_marks_become_missing_and_text_is_stripped(read_dataset):
    df = read_dataset("adult.csv")
    assert df.shape == (32561, 15)
    assert df["workclass"].isna().sum() == 1836
    assert df["occupation"].isna().sum() == 1843
    assert df["native-country"].isna().sum() == 583
    assert set(df["income"].unique()) == {"<=50K", ">50K"}
    assert df.loc[0, "workclass"] == "State-gov"
    assert pd.api.types.is_integer_dtype(df["age"])


def test_auto_mpg_csv_has_missing_horsepower(read_dataset):
    df = read_dataset("auto-mpg.csv")
    assert df.shape == (398, 9)
    assert df["Horsepower"].isna().sum() == 6
    assert df["Horsepower"].dtype == "float64"
    assert df.loc[0, "Car Name"] == "chevrolet chevelle malibu"


def test_raw_auto_mpg_data_parses_to_nine_named_columns():
    df = read_table(dataset_path("auto-mpg.data"), sep=r"\s+", header=False, names=AUTO_MPG_NAMES)
    assert df.shape == (398, 9)
    assert list(df.columns) == AUTO_MPG_NAMES
    assert df["Horsepower"].isna().sum() == 6
    assert df.loc[0, "Weight"] == 3504.0
    assert df.loc[0, "Car Name"] == "chevrolet chevelle malibu"
    assert df.loc[1, "Car Name"] == "buick skylark 320"


def test_raw_auto_mpg_data_without_names_gets_numbered_columns():
    df = read_table(dataset_path("auto-mpg.data"), sep=r"\s+", header=False)
    assert list(df.columns) == [f"column_{i}" for i in range(1, 10)]


def test_college_scorecard_markers_become_missing(read_dataset):
    df = read_dataset("college_scorecard.csv")
    assert df["EARN_MDN_1YR"].dtype == "float64"
    assert df["EARN_MDN_1YR"].isna().sum() == 4483
    assert df["UNITID"].isna().sum() == 231
    assert df["SAT_AVG"].isna().sum() == 6310 + 298
    assert df["CIPDESC"].nunique() == 296


def test_penguins_na_markers(read_dataset):
    df = read_dataset("penguins.csv")
    assert df["sex"].isna().sum() == 11
    assert df["body_mass_g"].isna().sum() == 2


# --- formats and sources ----------------------------------------------------------------


def test_extra_na_values_are_applied_after_stripping(tmp_path):
    path = write(tmp_path, "t.csv", "a,b\n1, unknown \n2,x\n")
    df = read_table(path, na_values=["unknown"])
    assert df["b"].isna().tolist() == [True, False]


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = f"a{delimiter}b{delimiter}c\n1{delimiter}2,5{delimiter}x\n3{delimiter}4{delimiter}y\n"
    if delimiter == ",":
        text = 'a,b,c\n1,"2,5",x\n3,4,y\n'
    df = read_table(write(tmp_path, "t.txt", text))
    assert list(df.columns) == ["a", "b", "c"]
    assert df.loc[0, "b"] == "2,5"


def test_sniffing_ignores_commas_inside_quotes():
    text = 'name;note\n"x";"a, b, c, d"\n"y";"e, f"\n'
    assert sniff_delimiter(text) == ";"


def test_single_column_file(tmp_path):
    df = read_table(write(tmp_path, "one.csv", "y\n1\n2\n"))
    assert df["y"].tolist() == [1, 2]


def test_gzip_is_detected_from_its_bytes(tmp_path):
    path = write(tmp_path, "t.csv.gz", gzip.compress(b"a,b\n1,x\n2,y\n"))
    assert read_table(path).shape == (2, 2)


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"n": [1.5, np.nan, 3.0], "t": [" a", "?", "b "]})
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    df = read_table(path)
    assert df["n"].isna().tolist() == [False, True, False]
    assert df["t"].tolist()[0] == "a"
    assert df["t"].isna().tolist() == [False, True, False]


def test_dataframe_source_is_cleaned_not_modified():
    frame = pd.DataFrame({" x ": [" 1", "PS"], "y": ["a ", " b"]})
    df = read_table(frame)
    assert list(df.columns) == ["x", "y"]
    assert df["x"].dtype == "float64"
    assert frame.loc[0, " x "] == " 1"


def test_names_replace_the_header_row(tmp_path):
    df = read_table(write(tmp_path, "t.csv", "a,b\n1,2\n"), names=["p", "q"])
    assert list(df.columns) == ["p", "q"]
    assert len(df) == 1


def test_header_false_keeps_the_first_line_as_data(tmp_path):
    df = read_table(write(tmp_path, "t.csv", "1,2\n3,4\n"), header=False)
    assert df.shape == (2, 2)


def test_utf8_bom_is_removed(tmp_path):
    df = read_table(write(tmp_path, "t.csv", "\ufeffa,b\n1,2\n".encode()))
    assert list(df.columns) == ["a", "b"]


def test_cp1252_file_falls_back_with_a_warning(tmp_path):
    path = write(tmp_path, "win.csv", "city,price\nCaf\xe9,\x80 5\n".encode("latin-1"))
    with pytest.warns(TabshipWarning, match=r"win\.csv.*not valid UTF-8.*cp1252"):
        df = read_table(path)
    assert df.loc[0, "city"] == "Café"
    assert df.loc[0, "price"] == "€ 5"


def test_latin1_is_the_last_resort(tmp_path):
    path = write(tmp_path, "l1.csv", b"a\n\x81x\n")  # 0x81 is undefined in cp1252
    with pytest.warns(TabshipWarning, match="latin-1"):
        df = read_table(path)
    assert df.loc[0, "a"] == "\x81x"


# --- errors -------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match=r"nope\.csv': no such file\. Check the path"):
        read_table(tmp_path / "nope.csv")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(DataFileError, match="is a folder"):
        read_table(tmp_path)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path, content):
    with pytest.raises(DataFileError, match="it is empty"):
        read_table(write(tmp_path, "empty.csv", content))


def test_header_only(tmp_path):
    with pytest.raises(DataFileError, match="no data rows"):
        read_table(write(tmp_path, "h.csv", "a,b,c\n"))


def test_png_renamed_csv(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(DataFileError, match=r"img\.csv': it is not a text table .*PNG"):
        read_table(write(tmp_path, "img.csv", png))


def test_zip_renamed_csv(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "a,b\n1,2\n")
    with pytest.raises(DataFileError, match="not a text table .*zip archive"):
        read_table(write(tmp_path, "data.csv", buffer.getvalue()))


def test_nul_bytes(tmp_path):
    with pytest.raises(DataFileError, match="not a text table .*NUL"):
        read_table(write(tmp_path, "u16.csv", "a,b\n1,2\n".encode("utf-16-le")))


def test_a_nul_byte_far_into_the_file_is_found_with_its_line(tmp_path):
    # Past the first 64 KB, which was all the check looked at; pandas drops a NUL silently.
    rows = b"1,x\n" * 50_000
    data = b"a,b\n" + rows + b"2,y\x00z\n" + b"3,w\n"
    with pytest.raises(DataFileError, match=r"NUL byte at line 50002, byte 200007\)"):
        read_table(write(tmp_path, "late.csv", data))
    with pytest.raises(DataFileError, match=r"NUL byte at line 50002"):
        read_table(write(tmp_path, "late.csv.gz", gzip.compress(data)))


def test_header_names_follow_one_rule():
    assert header_names([" a ", "", "   ", None, "b"]) == ["a", "column_2", "column_3",
                                                       "column_4", "b"]  # fmt: skip


def test_damaged_gzip(tmp_path):
    data = gzip.compress(b"a,b\n1,2\n" * 100)[:30]
    with pytest.raises(DataFileError, match="damaged gzip"):
        read_table(write(tmp_path, "t.csv.gz", data))


def test_damaged_parquet(tmp_path):
    with pytest.raises(DataFileError, match="not a readable Parquet file"):
        read_table(write(tmp_path, "t.parquet", b"PAR1 this is not parquet"))


def test_duplicate_column_names_are_reported_unmangled(tmp_path):
    with pytest.raises(DuplicateColumnError, match=r"duplicate column names: 'a'\. Rename"):
        read_table(write(tmp_path, "d.csv", "a,b,a\n1,2,3\n"))


def test_duplicates_after_stripping_names(tmp_path):
    with pytest.raises(DuplicateColumnError, match="'b'"):
        read_table(write(tmp_path, "d.csv", "a,b, b\n1,2,3\n"))


def test_ragged_rows_become_a_data_file_error(tmp_path):
    with pytest.raises(DataFileError, match="not a well-formed table .*Expected 2 fields"):
        read_table(write(tmp_path, "r.csv", "a,b\n1,2\n3,4,5,6\n"), sep=",")


def test_wrong_number_of_names(tmp_path):
    with pytest.raises(OptionError, match="'names' must be a list of 2 column names"):
        read_table(write(tmp_path, "t.csv", "a,b\n1,2\n"), names=["only"])
