"""Layering rules from docs/ARCHITECTURE.md, checked in fresh interpreters."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ARCHITECTURE = Path(__file__).parents[1] / "docs" / "ARCHITECTURE.md"


def modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_tabship_is_light():
    loaded = modules_after("import tabship")
    assert not {"optuna", "lightgbm", "sklearn", "matplotlib", "tabship.training"} & loaded


@pytest.mark.parametrize("layer", ["tabship.data", "tabship.features"])
def test_lower_layers_never_import_training_stack(layer):
    loaded = modules_after(f"import {layer}")
    assert not {"optuna", "tabship.search", "tabship.training", "matplotlib"} & loaded


def test_cli_help_does_not_import_heavy_stacks():
    loaded = modules_after("import tabship.cli")
    assert not {"optuna", "lightgbm", "sklearn", "matplotlib"} & loaded


def test_the_rules_cite_a_real_document_and_real_modules():
    assert ARCHITECTURE.is_file()
    for name in ("tabship.training", "tabship.search", "tabship.data", "tabship.features"):
        assert importlib.util.find_spec(name) is not None, name
        assert f"`{name}`" in ARCHITECTURE.read_text(), name
