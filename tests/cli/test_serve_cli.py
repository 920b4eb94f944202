"""`tabship serve` as a user runs it: bad models and options fail in one line, before uvicorn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tabship.cli import app
from tabship.cli.serve import MAX_DEFAULT_WORKERS, default_workers

pytestmark = pytest.mark.integration


def run_serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TABSHIP_DEBUG", None)
    env.pop("TABSHIP_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "tabship", "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], exit_code: int, *parts: str):
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Uvicorn running" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


def test_serve_cli_missing_model_is_one_error_line(tmp_path: Path):
    missing = tmp_path / "no-such-model"
    assert_one_line_error(run_serve(str(missing), "--port", "0"), 3, str(missing))


def test_serve_cli_folder_that_is_not_a_model(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a model")
    assert_one_line_error(run_serve(str(tmp_path), "--port", "0"), 3, str(tmp_path))


def test_serve_cli_bad_cors_origin(tmp_path: Path):
    result = run_serve(str(tmp_path), "--cors", "example.org")
    assert_one_line_error(result, 2, "--cors", "example.org")


def test_serve_cli_help_lists_options_and_examples():
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--workers", "--api-key", "--cors", "--max-body-mb"):
        assert option in result.output
    assert "TABSHIP_API_KEY" in result.output
    assert "tabship serve models/charges" in result.output


def test_serve_cli_default_workers_follow_the_cpus():
    assert 1 <= default_workers() <= MAX_DEFAULT_WORKERS
    assert default_workers() <= (os.cpu_count() or 1)
