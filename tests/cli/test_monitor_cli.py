"""``tabship monitor``: the exit status is the verdict (0 ok, 1 warn, 2 alert), --json prints
the /monitor.json document, --html writes the page, and bad input is one line and 64
(or the model's 3, the log's 6), never 1 or 2."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tabship import runtime
from tabship.data import read_table
from tabship.monitor import open_log
from tests._cli import error_lines, run_tabship
from tests.conftest import dataset_path
from tests.monitor._logged import log_predictions, shifted

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def logs(insurance_run, tmp_path_factory) -> dict[str, str]:
    """Two logs of the session's insurance model: unshifted records, and drifted ones."""
    model = runtime.load(insurance_run[1], lean=True)
    frame = read_table(dataset_path("insurance.csv"))
    folder = tmp_path_factory.mktemp("logs")
    urls = {}
    for name, rows in (("ok", frame.sample(500, random_state=5)),
                       ("drift", shifted(frame.sample(500, random_state=6)))):  # fmt: skip
        urls[name] = f"sqlite:///{folder / name}.db"
        log = open_log(urls[name])
        ids = log_predictions(log, model, rows, spread=timedelta(hours=3))
        feedback = [
            {"id": i, "actual": float(a)} for i, a in zip(ids, rows["charges"], strict=True)
        ]
        log.add_feedback(feedback[:100], task="regression")
        log.close()
    return urls


def monitor(model: Path, *args: str):
    return run_tabship("monitor", str(model), *args)


def test_unshifted_records_exit_0_with_a_table(insurance_run, logs):
    result = monitor(insurance_run[1], "--log", logs["ok"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")
    for name in ("age", "smoker", "region", "(prediction)"):
        assert name in result.stdout
    assert "Live metrics on 100 records" in result.stdout and "r2" in result.stdout


def test_drifted_records_exit_2_most_drifted_first(insurance_run, logs):
    result = monitor(insurance_run[1], "--log", logs["drift"], "--since", "1d")
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("ALERT")
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if "alert" in line)
    assert {lines[first].split()[1], lines[first + 1].split()[1]} == {"age", "smoker"}


def test_a_warning_exits_1(insurance_run, logs):
    result = monitor(insurance_run[1], "--log", logs["ok"], "--warn", "0.001", "--alert", "50")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("WARN")


def test_json_prints_the_monitor_document(insurance_run, logs, tmp_path):
    page = tmp_path / "report.html"
    result = monitor(
        insurance_run[1], "--log", logs["drift"], "--last", "200", "--json", "--html", str(page)
    )
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert {"model", "records", "since", "features", "prediction", "feedback"} <= set(document)
    assert document["records"] == 200 and document["window"] == "last 200 records"
    assert document["features"]["age"]["status"] == "alert"
    assert document["features"]["region"]["status"] == "ok"
    assert set(document["features"]["age"]) >= {"psi", "missing_rate", "status"}
    assert document["feedback"]["records"] <= 100 and "r2" in document["feedback"]["holdout"]
    assert document["thresholds"] == {"warn": 0.1, "alert": 0.25}
    html = page.read_text()
    assert html.startswith("<!doctype html>") and "Alert" in html


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--since", "7x"), 64, "'--since' must be a positive duration"),
        (("--since", "1d", "--last", "5"), 64, "'--last'"),
        (("--last", "0"), 64, "'--last' must be a positive number"),
        (("--warn", "0.5", "--alert", "0.2"), 64, "'--warn'"),
    ],
)
def test_bad_options_are_one_line_and_64(insurance_run, logs, args, code, message):
    result = monitor(insurance_run[1], "--log", logs["ok"], *args)
    assert result.returncode == code, result.stderr
    lines = error_lines(result)
    assert len(lines) == 1 and message in lines[0]


def test_usage_errors_exit_64_not_2(insurance_run, logs):
    assert monitor(insurance_run[1], "--log", logs["ok"], "--last", "abc").returncode == 64
    assert run_tabship("monitor", "--log", logs["ok"]).returncode == 64


def test_a_bad_log_url_or_model_is_one_line(insurance_run, tmp_path):
    result = monitor(insurance_run[1], "--log", "mysql://user:secret@db/x")
    assert result.returncode == 6
    (line,) = error_lines(result)
    assert "mysql" in line and "secret" not in line
    result = monitor(tmp_path / "missing", "--log", f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 3 and len(error_lines(result)) == 1
