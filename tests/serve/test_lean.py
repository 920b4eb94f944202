"""A served model with a scoring plan predicts without scikit-learn, pandas or LightGBM's
Python package.

That is what lets a worker start in about a second and stay small (``bench/serve.py``
measures both). The check looks inside the real server process: the native libraries
of those packages are never mapped into its memory (``/proc/PID/maps``), whatever the
JSON and form routes were asked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests._servers import SERVER_PIDS

pytestmark = pytest.mark.integration

# LightGBM's C library may be mapped: the plan scores LightGBM models with it when it is
# installed (plan/_lightgbm.py, through ctypes; +2 MB and ~10 ms at start). LightGBM's
# Python package never is: it imports scikit-learn and pandas, which are checked here.
HEAVY = ("sklearn", "pandas", "skops", "pyarrow")


def mapped_packages(pid: int) -> set[str]:
    """Top-level site-packages directories with a file mapped into process ``pid``."""
    found: set[str] = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        path = line.split(maxsplit=5)[-1]
        if "site-packages/" in path:
            found.add(path.split("site-packages/", 1)[1].split("/", 1)[0])
    return found


@pytest.mark.parametrize("name", ["insurance", "adult"])
def test_serving_a_planned_model_loads_no_training_libraries(name, trained_model, live_server):
    model_dir = trained_model(name)
    assert (model_dir / "plan.json").is_file()
    # A server of its own (the default body limit, spelled out, makes a distinct one):
    # other tests upload CSVs to the shared servers, which loads pandas, as it should.
    url = live_server(model_dir, "--max-body-mb", "10")
    example = httpx.get(f"{url}/metadata").json()["schema"]["example"]
    assert httpx.post(f"{url}/predict", json=example).status_code == 200
    assert httpx.post(f"{url}/predict", json=[example, example]).status_code == 200
    assert httpx.post(f"{url}/predict?explain=true", json=example).status_code == 200
    columns = {k: [v, v] for k, v in example.items()}
    assert httpx.post(f"{url}/predict", json=columns).status_code == 200
    assert httpx.get(f"{url}/").status_code == 200
    form = {k: str(v) for k, v in example.items()}
    assert httpx.post(f"{url}/", data=form).status_code == 200
    assert httpx.post(f"{url}/predict", json={"nonsense": 1}).status_code == 422
    loaded = mapped_packages(SERVER_PIDS[url])
    # the check sees what is there: the trees' library, Treelite's or LightGBM's
    assert "numpy" in loaded and loaded & {"treelite", "lightgbm"}
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_console_script_line_imports_no_cli_framework():
    """The console script's ``from tabship.cli import main`` stays cheap: Typer, Rich and
    the command modules load with the command that needs them."""
    code = (
        "import sys\n"
        "from tabship.cli import main\n"
        "loaded = [m for m in ('typer', 'rich', 'tabship.cli.train') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    assert_runs_in_a_fresh_interpreter(code)


def assert_runs_in_a_fresh_interpreter(code: str) -> None:
    """``code``'s assertions about ``sys.modules``, in a process that imported nothing yet."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
