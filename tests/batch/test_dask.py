"""Scale-out scoring on a real 2-worker Dask LocalCluster matches local scoring exactly."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tabship.batch import score_chunk, score_files_on_dask
from tabship.data import clean_frame, read_table
from tabship.errors import DataFileError, OutputExistsError, RemoteError
from tests._cli import error_lines, run_tabship
from tests._servers import free_port
from tests.conftest import dataset_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILES = 4
ROWS_PER_FILE = 750


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # No dashboard, and the scheduler's HTTP server (health, metrics) on a free port: by
    # default it takes 8787 and warns when another cluster on the machine holds it, an
    # error here (seen with two test runs at once).
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as local:
        yield local


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Several Parquet files of real adult rows (3,000 in all)."""
    frame = read_table(dataset_path("adult.csv")).sample(FILES * ROWS_PER_FILE, random_state=3)
    folder = tmp_path_factory.mktemp("dask-input")
    for i in range(FILES):
        part = frame.iloc[i * ROWS_PER_FILE : (i + 1) * ROWS_PER_FILE]
        part.to_parquet(folder / f"adult-{i}.parquet", index=False)
    return folder


def scored_locally(model, files: list[Path]) -> pd.DataFrame:
    parts = [score_chunk(model, clean_frame(pd.read_parquet(f)))[0] for f in files]
    return pd.concat(parts, ignore_index=True)


def read_parts(folder: Path, pattern: str = "part-*.parquet") -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(folder.glob(pattern))], ignore_index=True)


def test_dask_scoring_matches_local_scoring(adult_model, cluster, parquet_dir, tmp_path):
    out = tmp_path / "scored"
    report = score_files_on_dask(
        adult_model.path, parquet_dir, out, scheduler=cluster.scheduler_address
    )
    assert (report.files, report.rows, report.scored, report.failed) == (FILES, 3000, 3000, 0)
    parts = sorted(p.name for p in out.iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(report.partitions)]
    assert report.partitions >= FILES
    expected = scored_locally(adult_model, sorted(parquet_dir.glob("*.parquet")))
    got = read_parts(out)
    assert list(got.columns) == list(expected.columns)
    assert "prediction" in got and "probability_>50K" in got
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=0)
    assert not list(tmp_path.glob(".scored.tmp-*"))


def test_the_artifact_reaches_each_worker_once_and_stays_loaded(
    adult_model, cluster, parquet_dir, tmp_path
):
    import distributed

    for run in ("first", "second"):
        score_files_on_dask(
            adult_model.path, parquet_dir, tmp_path / run, scheduler=cluster.scheduler_address
        )
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        loaded = client.run(
            lambda: sorted(__import__("tabship.batch._dask_worker", fromlist=["x"])._MODELS)
        )
        plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert len(loaded) == 2
    assert all(len(keys) == 1 for keys in loaded.values())  # one Model per worker, reused
    assert len({tuple(keys) for keys in loaded.values()}) == 1
    for names in plugins.values():
        assert len([n for n in names if n.startswith("tabship-model-")]) == 1


def test_dask_scoring_of_a_csv_glob_writes_bad_rows_apart(adult_model, cluster, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(400).astype(str)
    frame.loc[5, "age"] = "not a number"
    frame.iloc[:200].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[200:].to_csv(tmp_path / "b.csv", index=False)
    out = tmp_path / "out"
    report = score_files_on_dask(
        adult_model.path, str(tmp_path / "*.csv"), out, scheduler=cluster.scheduler_address
    )
    assert (report.rows, report.scored, report.failed) == (400, 399, 1)
    errors = pd.read_csv(out / "part-00000.errors.csv")
    assert errors["age"].tolist() == ["not a number"] and "age" in errors["error"][0]
    assert len(pd.read_csv(out / "part-00001.csv")) == 200


def test_dask_refuses_a_non_empty_output_folder(adult_model, parquet_dir, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.parquet").write_text("old")
    with pytest.raises(OutputExistsError, match="already exists"):
        score_files_on_dask(adult_model.path, parquet_dir, tmp_path / "out", scheduler="tcp://x:1")


def test_dask_with_no_matching_files(adult_model, tmp_path):
    with pytest.raises(DataFileError, match=r"no \.parquet, \.csv or \.csv\.gz files"):
        score_files_on_dask(
            adult_model.path, str(tmp_path / "*.parquet"), tmp_path / "o", scheduler="tcp://x:1"
        )


def test_dask_unreachable_scheduler_is_a_quick_clear_error(adult_model, parquet_dir, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(RemoteError, match="cannot be reached as a Dask scheduler"):
        score_files_on_dask(
            adult_model.path, parquet_dir, tmp_path / "out", scheduler=address, timeout=2
        )
    assert time.monotonic() - started < 120  # the 2 s timeout held: no hang
    assert list(tmp_path.iterdir()) == []


def run_predict(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tabship("predict", *args)


def test_predict_cli_with_dask(adult_model, cluster, parquet_dir, tmp_path):
    out = tmp_path / "cli-out"
    pattern = str(parquet_dir / "*.parquet")
    result = run_predict(
        str(adult_model.path), pattern, "-o", str(out), "--dask", cluster.scheduler_address
    )
    assert result.returncode == 0, result.stderr
    assert "Scored 3,000 of 3,000 rows from 4 files" in result.stdout
    expected = scored_locally(adult_model, sorted(parquet_dir.glob("*.parquet")))
    pd.testing.assert_frame_equal(read_parts(out), expected, check_dtype=False)


def test_predict_cli_with_an_unreachable_scheduler(adult_model, parquet_dir, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    result = run_predict(
        str(adult_model.path), str(parquet_dir), "-o", str(tmp_path / "o"), "--dask", address
    )
    assert result.returncode == 5, result.stderr
    lines = error_lines(result)
    assert len(lines) == 1 and address in lines[0], result.stderr
