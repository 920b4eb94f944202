"""Batch scoring: bounded chunks, every input column kept, bad rows set aside."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tabship.batch import score_file
from tabship.data import read_table
from tabship.errors import DataError, OutputExistsError
from tests.conftest import dataset_path


@pytest.fixture(scope="module")
def adult_csv(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("data") / "adult.csv"
    with gzip.open(dataset_path("adult.csv"), "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return str(path)


@pytest.mark.slow
def test_batch_scores_all_of_adult_in_many_chunks_like_in_memory(adult_model, adult_csv, tmp_path):
    out = tmp_path / "scored.csv"
    report = score_file(adult_model, adult_csv, out, chunk_size=3_000)
    assert (report.rows, report.scored, report.failed) == (32_561, 32_561, 0)
    scored = pd.read_csv(out)
    original = pd.read_csv(adult_csv)
    assert list(scored.columns[: original.shape[1]]) == list(original.columns)
    expected = adult_model.predict(read_table(adult_csv))
    assert (scored["prediction"].to_numpy() == expected).all()
    proba = adult_model.predict_proba(read_table(adult_csv).head(100))
    np.testing.assert_allclose(
        scored[["probability_<=50K", "probability_>50K"]].head(100).to_numpy(),
        proba.to_numpy(),
        atol=1e-12,
    )
    assert report.errors_output is None and not (tmp_path / "scored.errors.csv").exists()


@pytest.mark.slow  # adult_model trains for 6 s
def test_batch_bad_rows_go_to_the_errors_file(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(50)
    frame = frame.astype(object)
    frame.loc[3, "age"] = "forty"
    frame.loc[7, "hours-per-week"] = "inf"
    source = tmp_path / "some-bad.csv"
    frame.to_csv(source, index=False)
    report = score_file(adult_model, source, tmp_path / "out.csv", chunk_size=20)
    assert (report.scored, report.failed) == (48, 2)
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert errors["row"].tolist() == [4, 8]
    assert "'age'" in errors["error"][0] and "'hours-per-week'" in errors["error"][1]
    assert len(pd.read_csv(tmp_path / "out.csv")) == 48


@pytest.mark.slow  # adult_model trains for 6 s
def test_batch_parquet_in_and_out(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(500)
    source = tmp_path / "in.parquet"
    frame.to_parquet(source)
    score_file(adult_model, source, tmp_path / "out.parquet", chunk_size=128)
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert len(scored) == 500
    assert (scored["prediction"].to_numpy() == adult_model.predict(frame)).all()


@pytest.mark.slow  # adult_model trains for 6 s
def test_batch_gzip_output(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(300)
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    score_file(adult_model, source, tmp_path / "out.csv.gz", chunk_size=100)
    assert len(pd.read_csv(tmp_path / "out.csv.gz")) == 300


@pytest.mark.slow  # adult_model trains for 6 s
def test_batch_refuses_mismatched_columns_naming_them(adult_model, tmp_path):
    source = tmp_path / "wrong.csv"
    pd.DataFrame({"agee": [30], "education": ["Bachelors"]}).to_csv(source, index=False)
    with pytest.raises(DataError, match=r"'age'.*'agee'"):
        score_file(adult_model, source, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == [source]  # nothing half-written


@pytest.mark.slow  # adult_model trains for 6 s
def test_batch_refuses_existing_output(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(5)
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    (tmp_path / "out.csv").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--force"):
        score_file(adult_model, source, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == "keep me"


@pytest.mark.integration
def test_cli_predict_writes_scores_and_reports(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(200)
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    result = subprocess.run(
        [sys.executable, "-m", "tabship", "predict", str(adult_model.path), str(source),
         "-o", str(tmp_path / "out.csv"), "--chunk-size", "64"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Scored 200 of 200 rows" in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "tabship", "predict", str(adult_model.path), str(source),
         "-o", str(tmp_path / "out.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert again.stderr.startswith("Error:") and "already exists" in again.stderr
