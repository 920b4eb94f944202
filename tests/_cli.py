"""Run the ``tabship`` command as a user does: a real process, a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys


def run_tabship(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m tabship ARGS`` with a wide terminal and no debug or API-key settings."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TABSHIP_DEBUG", None)
    env.pop("TABSHIP_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "tabship", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``Error: ...`` lines of stderr (exactly one for every deliberate failure)."""
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]
