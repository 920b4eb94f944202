"""``import tabship.plan`` is what a server worker pays: numpy, never the training side."""

from __future__ import annotations

import subprocess
import sys

UNWANTED = ("sklearn", "pandas", "lightgbm", "scipy", "treelite", "tabship.plan._compile")


def test_import_plan_leaves_out_scikit_learn_pandas_lightgbm_and_the_compiler():
    code = (
        "import sys, tabship.plan\n"
        f"loaded = [m for m in {UNWANTED!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
