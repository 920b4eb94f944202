"""``tabship deploy`` from the command line: a folder on success, one Error: line otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.test_targets import charges_model_path


@pytest.fixture(scope="session")
def charges_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return charges_model_path(tmp_path_factory)


def run_deploy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TABSHIP_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tabship", "deploy", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_deploy_writes_the_folder_and_says_where(charges_model, tmp_path):
    out = tmp_path / "heroku"
    result = run_deploy(str(charges_model), "--target", "heroku", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Wrote the heroku deployment" in result.stdout and "README.md" in result.stdout
    assert {"Procfile", ".python-version", "app.json", "requirements.txt", "model.tabship"} <= {
        p.name for p in out.iterdir()
    }
    assert (out / "wheels" / "tabship-0.1.0-py3-none-any.whl").is_file()


@pytest.mark.slow
def test_deploy_refuses_a_non_empty_folder_even_with_force_unless_a_deployment(
    charges_model, tmp_path
):
    out = tmp_path / "docker"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run_deploy(str(charges_model), "--target", "docker", "-o", str(out))
    assert result.returncode == 4
    assert error_lines(result) == [
        f"Error: Cannot write '{out}': it already exists. Pass --force (force=True) to replace it."
    ]
    forced = run_deploy(str(charges_model), "--target", "docker", "-o", str(out), "--force")
    assert forced.returncode == 4
    assert len(error_lines(forced)) == 1 and "will not replace it" in forced.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_missing_model_is_one_error_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = run_deploy(str(tmp_path / "missing"), "--target", "docker", "-o", str(out))
    assert result.returncode == 3
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "missing" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_unknown_target_is_refused_by_the_parser(tmp_path):
    result = run_deploy(str(tmp_path), "--target", "lambda", "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "'lambda' is not one of" in result.stderr
    assert list(tmp_path.iterdir()) == []
