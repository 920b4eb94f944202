"""``import tabship.plan`` is what a server worker pays: numpy, never the training side."""

from __future__ import annotations

import subprocess
import sys

UNWANTED = (
    "sklearn", "pandas", "lightgbm", "scipy", "treelite", "tabship.plan._compile",
    "tabship.plan._compiled", "tabship.plan._compiled_build", "lleaves", "llvmlite",
)  # fmt: skip


def test_import_plan_leaves_out_scikit_learn_pandas_lightgbm_and_the_compiler():
    code = (
        "import sys, tabship.plan\n"
        f"loaded = [m for m in {UNWANTED!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_scoring_with_a_treelite_model_imports_neither_scipy_nor_treelite_python():
    """The plan calls libtreelite's C API itself: SciPy stays out of the serving image."""
    code = (
        "import sys, numpy as np\n"
        "from tabship.plan._gtil import TreeliteModel\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "TreeliteModel(data).predict(np.zeros((3, 4)), nthread=1, margin=False)\n"
        "loaded = [m for m in ('scipy', 'treelite') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    import tempfile

    from tests.plan.test_gtil import small_treelite_model

    with tempfile.NamedTemporaryFile(suffix=".treelite") as file:
        file.write(small_treelite_model("regression").serialize_bytes())
        file.flush()
        result = subprocess.run(
            [sys.executable, "-c", code, file.name], capture_output=True, text=True
        )
    assert result.returncode == 0, result.stderr
