"""The runtime never imports the training stack (DESIGN: runtime -> artifact -> data)."""

from __future__ import annotations

import subprocess
import sys

TRAINING_STACK = (
    "tabship.search",
    "tabship.train",
    "optuna",
    "matplotlib",
    "sklearn.model_selection",
)


def test_import_runtime_leaves_the_training_stack_out():
    code = (
        "import sys, tabship.runtime\n"
        f"loaded = [m for m in {TRAINING_STACK!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
