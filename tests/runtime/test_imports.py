"""The runtime never imports the training stack (docs/ARCHITECTURE.md: runtime -> artifact
-> data), nor, until a prediction needs the pipeline, the model libraries themselves."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

TRAINING_STACK = (
    "tabship.training",
    "tabship.search",
    "tabship.evaluate",
    "tabship.report",
    "tabship.features",
    "optuna",
    "matplotlib",
    "sklearn.model_selection",
)
# A server worker predicting from the scoring plan must not pay for these.
MODEL_LIBRARIES = ("sklearn", "pandas", "skops", "lightgbm", "scipy.stats", "fastapi")


@pytest.mark.parametrize("unwanted", [TRAINING_STACK, MODEL_LIBRARIES], ids=["training", "models"])
def test_import_runtime_leaves_out(unwanted):
    code = (
        "import sys, tabship.runtime, tabship.artifact, tabship.data\n"
        f"loaded = [m for m in {unwanted!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", TRAINING_STACK + MODEL_LIBRARIES)
def test_every_guarded_module_exists(name):
    """A guard on a module name that no longer exists would pass forever."""
    assert importlib.util.find_spec(name) is not None, name
