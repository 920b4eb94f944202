"""``tabship feedback``: outcomes from a CSV, bad rows reported by number, one-line errors."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from tabship.artifact import load
from tabship.monitor import model_hash, open_log
from tabship.monitor._record import prepare_batch
from tests._cli import error_lines, run_tabship
from tests.monitor._records import record

pytestmark = pytest.mark.integration

MODEL = "9" * 64


def _write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def logged(tmp_path: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path}/log.db"
    log = open_log(url)
    rows = [record({"age": i}, 1000.0 * i) for i in range(4)]
    log.append(MODEL, prepare_batch(MODEL, rows))
    log.close()
    return url, [r.id for r in rows]


def test_all_rows_stored(logged: tuple[str, list[str]], tmp_path: Path):
    url, ids = logged
    csv_file = _write_csv(tmp_path / "y.csv", [{"id": i, "charges": 10.5} for i in ids])
    result = run_tabship("feedback", url, str(csv_file), "--actual-col", "charges")
    assert result.returncode == 0, result.stderr
    assert "Stored 4 outcome(s)" in result.stdout
    assert open_log(url).feedback_pairs(MODEL).actuals == [10.5] * 4


def test_bad_rows_are_listed_and_good_rows_stored(logged: tuple[str, list[str]], tmp_path: Path):
    url, ids = logged
    rows: list[dict[str, object]] = [
        {"pid": ids[0], "charges": 1.0},
        {"pid": "unknown", "charges": 2.0},
        {"pid": ids[1], "charges": "n/a"},
        {"pid": ids[2], "charges": ""},
        {"pid": ids[0], "charges": 3.0},
    ]
    csv_file = _write_csv(tmp_path / "y.csv", rows)
    result = run_tabship(
        "feedback", url, str(csv_file), "--id-col", "pid", "--actual-col", "charges"
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Stored 1 outcome(s)" in result.stdout
    lines = result.stderr.splitlines()
    assert lines[0] == "4 row(s) not stored:"
    assert lines[1].startswith("  row 2, pid: The id 'unknown' is not in the log")
    assert lines[2].startswith("  row 3, charges: The 'charges' value must be a number")
    assert lines[3].startswith("  row 4, charges: The item has no 'charges' value")
    assert lines[4].startswith("  row 5, pid: The id")


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["mysql://u:pw@h/db"], "the scheme 'mysql' is not supported", 6),
        (["postgresql://u:secretpw@127.0.0.1:1/db"], "postgresql://u:***@127.0.0.1:1/db", 6),
        (["{log}", "--id-col", "nope"], "The column 'nope' is not a column", 2),
        (["{log}", "--actual-col", ""], "--actual-col", 2),
    ],
)
def test_unusable_inputs_are_one_error_line(
    logged: tuple[str, list[str]], tmp_path: Path, args: list[str], expected: str, code: int
):
    url, ids = logged
    csv_file = _write_csv(tmp_path / "y.csv", [{"id": ids[0], "charges": 1}])
    log_url, *options = [a.replace("{log}", url) for a in args]
    if "--actual-col" not in options:
        options += ["--actual-col", "charges"]
    result = run_tabship("feedback", log_url, str(csv_file), *options)
    [line] = error_lines(result)
    assert expected in line
    assert "secretpw" not in result.stderr
    assert result.returncode == code


def test_a_missing_file_is_one_error_line(logged: tuple[str, list[str]], tmp_path: Path):
    result = run_tabship("feedback", logged[0], str(tmp_path / "none.csv"), "--actual-col", "y")
    [line] = error_lines(result)
    assert "none.csv" in line and result.returncode == 2


@pytest.mark.slow
def test_with_the_model_its_target_and_hash_are_used(
    trained_model: Callable[[str], Path], tmp_path: Path
):
    model = trained_model("insurance")
    key = model_hash(load(model, build_pipeline=False).manifest)
    url = f"sqlite:///{tmp_path}/log.db"
    log = open_log(url)
    mine, other = record(prediction=5000.0), record(prediction=7000.0)
    log.append(key, prepare_batch(key, [mine]))
    log.append(MODEL, prepare_batch(MODEL, [other]))
    csv_file = _write_csv(
        tmp_path / "y.csv", [{"id": mine.id, "charges": 5100}, {"id": other.id, "charges": 1}]
    )
    result = run_tabship("feedback", url, str(csv_file), "--model", str(model))
    assert result.returncode == 1
    assert "Stored 1 outcome(s)" in result.stdout
    assert "row 2, id: The id" in result.stderr and "for this model" in result.stderr
    assert log.feedback_pairs(key).actuals == [5100.0]
