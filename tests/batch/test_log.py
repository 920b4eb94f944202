"""Batch scoring into the prediction log (``tabship predict --log``), on SQLite and a real
PostgreSQL: every scored row logged once, under the id its output row carries."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from tabship.batch import BatchLog, score_file
from tabship.data import read_table
from tabship.monitor import MonitoredModel, open_log
from tests._cli import error_lines, run_tabship
from tests._postgres import postgres_server  # noqa: F401  (the session fixture)
from tests.conftest import dataset_path

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
BAD_ROWS = [3, 250, 251, 599]


@pytest.fixture(params=BACKENDS)
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture(scope="module")
def adult_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 adult rows, four of them invalid (an age that is not a number)."""
    frame = read_table(dataset_path("adult.csv")).head(600).drop(columns=["income"])
    frame["age"] = frame["age"].astype(object)
    frame.loc[BAD_ROWS, "age"] = "unknown"
    path = tmp_path_factory.mktemp("data") / "adult.csv"
    frame.to_csv(path, index=False)
    return path


def logged(url: str, model) -> dict[str, object]:
    """Every row the log holds for ``model``, by id."""
    log = open_log(url)
    try:
        sha = MonitoredModel.from_model(model).sha
        return {row.id: row for row in log.recent_rows(sha, 10_000)}
    finally:
        log.close()


@pytest.mark.slow  # adult_model trains for 6 s
def test_every_scored_row_is_logged_once_under_its_output_id(
    adult_model, adult_file, log_url, tmp_path
):
    out = tmp_path / "scored.csv"
    with closing(BatchLog.open(log_url, adult_model, exclude=["fnlwgt"], chunk_size=128)) as log:
        report = score_file(adult_model, adult_file, out, chunk_size=128, log=log)
    run = log.close()
    assert (report.scored, report.failed) == (600 - len(BAD_ROWS), len(BAD_ROWS))
    assert (run.submitted, run.written, run.dropped) == (report.scored,) * 2 + (0,)
    scored = pd.read_csv(out)
    rows = logged(log_url, adult_model)
    assert len(rows) == report.scored == scored["id"].nunique()
    assert set(rows) == set(scored["id"])
    first = rows[scored["id"][0]]
    assert first.route == "batch"
    assert first.prediction == scored["prediction"][0]
    assert first.probabilities == pytest.approx(
        {c: scored[f"probability_{c}"][0] for c in adult_model.classes}
    )
    assert "fnlwgt" not in first.inputs and first.inputs["age"] == scored["age"][0]
    assert first.latency_ms > 0


@pytest.mark.slow  # adult_model trains for 6 s
def test_the_cli_logs_what_it_scores_and_says_so(adult_model, adult_file, tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    out = tmp_path / "scored.csv"
    result = run_tabship(
        "predict", str(adult_model.path), str(adult_file), "-o", str(out),
        "--chunk-size", "200", "--log", url, "--log-exclude", "sex", "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scored_n = 600 - len(BAD_ROWS)
    assert f"Logged {scored_n} rows" in result.stdout
    scored = pd.read_csv(out)
    rows = logged(url, adult_model)
    assert set(rows) == set(scored["id"]) and len(rows) == scored_n
    assert all("sex" not in row.inputs for row in rows.values())


@pytest.mark.slow  # adult_model trains for 6 s
def test_without_a_log_the_output_still_has_an_id_per_row(adult_model, adult_file, tmp_path):
    """The same columns with or without --log, as the CSV upload of a server."""
    out = tmp_path / "scored.csv"
    score_file(adult_model, adult_file, out, chunk_size=256)
    ids = pd.read_csv(out)["id"]
    assert ids.is_unique and ids.str.fullmatch(r"[0-9a-f]{32}").all()


@pytest.mark.slow  # adult_model trains for 6 s
def test_an_input_id_column_is_kept_and_the_record_id_is_prefixed(adult_model, tmp_path):
    frame = read_table(dataset_path("adult.csv")).head(20)
    frame.insert(0, "id", range(100, 120))
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame.to_csv(source, index=False)
    score_file(adult_model, source, out)
    scored = pd.read_csv(out)
    assert scored["id"].tolist() == list(range(100, 120))
    assert scored["tabship_id"].str.len().eq(32).all()


@pytest.mark.parametrize(
    ("log", "said"),
    [
        ("mysql://u:pw@host/db", "'mysql' is not supported"),
        ("sqlite:///no/such/folder/log.db", "does not exist"),
        ("postgresql://u:secret@127.0.0.1:9/db", "Cannot use the prediction log"),
    ],
)
@pytest.mark.slow  # adult_model trains for 6 s
def test_a_log_that_cannot_be_used_is_one_line_and_nothing_is_written(
    adult_model, adult_file, tmp_path, log, said
):
    out = tmp_path / "scored.csv"
    result = run_tabship(
        "predict", str(adult_model.path), str(adult_file), "-o", str(out), "--log", log
    )
    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1 and said in lines[0], result.stderr
    assert "secret" not in result.stderr and "pw@" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".scored*"))


@pytest.mark.slow  # adult_model trains for 6 s
def test_log_options_that_cannot_work_are_refused(adult_model, adult_file, tmp_path):
    out = str(tmp_path / "scored.csv")
    url = f"sqlite:///{tmp_path / 'log.db'}"
    model, data = str(adult_model.path), str(adult_file)
    secret = "postgresql://u:secret@db/logs"
    remote = run_tabship("predict", model, data, "-o", out, "--log", secret, "--url", "http://x")
    unknown = run_tabship("predict", model, data, "-o", out, "--log", url, "--log-exclude", "zip")
    alone = run_tabship("predict", model, data, "-o", out, "--log-exclude", "sex")
    for result, said in ((remote, "--url"), (unknown, "'zip'"), (alone, "with --log")):
        assert result.returncode == 2
        assert said in error_lines(result)[0] and "secret" not in result.stderr
    assert not (tmp_path / "scored.csv").exists() and not (tmp_path / "log.db").exists()
