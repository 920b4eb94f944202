"""The views are shared by the lean server and the notebook: they load no heavy stack."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "starlette", "sklearn", "pandas", "lightgbm", "ipywidgets")


def test_importing_the_views_loads_no_web_framework_or_training_library():
    code = f"import sys, tabship.views\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
