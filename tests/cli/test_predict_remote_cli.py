"""`tabship predict MODEL DATA -o OUT --url URL`: chunks scored by a running server."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

import tabship
from tests._cli import error_lines, run_tabship
from tests._servers import dataset_file

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_predict(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tabship("predict", *args)


def test_predict_with_url_matches_local_scoring(trained_model, live_server, tmp_path):
    model = trained_model("insurance")
    data = pd.read_csv(dataset_file("insurance")).head(300)
    data.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    result = run_predict(
        str(model),
        str(tmp_path / "in.csv"),
        "-o",
        str(out),
        "--url",
        live_server(model),
        "--chunk-size",
        "100",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    scored = pd.read_csv(out)
    expected = tabship.load(model).predict(data)
    assert len(scored) == 300
    assert scored["prediction"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_predict_with_url_checks_columns_with_the_local_schema(
    trained_model, live_server, tmp_path
):
    model = trained_model("insurance")
    pd.read_csv(dataset_file("drug200")).to_csv(tmp_path / "wrong.csv", index=False)
    result = run_predict(
        str(model),
        str(tmp_path / "wrong.csv"),
        "-o",
        str(tmp_path / "o.csv"),
        "--url",
        live_server(model),
    )
    assert result.returncode == 2, result.stderr
    lines = error_lines(result)
    assert len(lines) == 1 and "lacks columns the model needs" in lines[0], result.stderr
    assert "'bmi'" in lines[0] and "'Na_to_K'" in lines[0]
    assert not (tmp_path / "o.csv").exists()
