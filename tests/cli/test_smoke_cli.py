"""`tabship smoke` against real servers: the right model holds, a different one fails."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests._cli import error_lines, run_tabship
from tests._servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tabship("smoke", *args)


def verdict(output: str) -> dict[str, str]:
    """check name -> 'ok' / 'FAILED', read off the printed table."""
    found = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) >= 2 and cells[1] in ("ok", "FAILED"):
            found[cells[0]] = cells[1]
    return found


def test_smoke_holds_against_the_served_model(trained_model, live_server):
    model = trained_model("insurance")
    url = live_server(model)
    result = run_smoke(url, "--model", str(model))
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdict(result.stdout) == {
        "health": "ok",
        "ready": "ok",
        "metadata": "ok",
        "predict": "ok",
        "same schema": "ok",
        "same prediction": "ok",
    }
    assert "all 6 checks hold" in result.stdout


def test_smoke_without_a_model_checks_the_service_only(trained_model, live_server):
    url = live_server(trained_model("insurance"))
    result = run_smoke(url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(verdict(result.stdout)) == {"health", "ready", "metadata", "predict"}


def test_smoke_fails_when_the_service_serves_another_model(trained_model, live_server):
    url = live_server(trained_model("insurance"))
    result = run_smoke(url, "--model", str(trained_model("drug200")))
    assert result.returncode == 1, result.stdout + result.stderr
    checks = verdict(result.stdout)
    assert checks["health"] == checks["predict"] == "ok"
    assert checks["same schema"] == "FAILED"
    assert checks["same prediction"] == "FAILED"
    assert "target 'charges', expected 'Drug'" in result.stdout
    assert "FAILED: same schema, same prediction" in result.stdout


def test_smoke_against_a_closed_port_is_one_quick_error_line():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = run_smoke(url, "--timeout", "2")
    # Not a speed check: a guard against waiting out a default timeout or hanging (the
    # CLI itself took up to 36 s to start at load average 16 here).
    assert time.monotonic() - started < 120
    assert result.returncode == 5, result.stderr
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert url in lines[0] and "cannot be reached" in lines[0]


def test_smoke_with_a_missing_local_model_is_one_error_line(tmp_path):
    missing = tmp_path / "no-model"
    result = run_smoke(f"http://127.0.0.1:{free_port()}", "--model", str(missing))
    assert result.returncode == 3, result.stderr
    assert f"Error: Cannot load the model '{missing}'" in result.stderr


def test_smoke_sends_the_api_key_and_reports_a_refused_one(trained_model, live_server):
    model = trained_model("insurance")
    url = live_server(model, "--api-key", "s3cret")
    assert run_smoke(url, "--model", str(model), "--api-key", "s3cret").returncode == 0
    refused = run_smoke(url, "--api-key", "wrong")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    checks = verdict(refused.stdout)
    assert checks["health"] == "ok"
    assert "FAILED" in checks.values()
    assert "401" in refused.stdout
