"""Locating a shared library that ships inside an installed package, without importing it.

The plan calls Treelite's and LightGBM's C libraries through ctypes so that a worker
never imports their Python packages (SciPy for one, scikit-learn for the other).
``find_spec`` locates a package without running its ``__init__``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

__all__ = ["packaged_library"]


def packaged_library(package: str, stem: str, folders: tuple[str, ...] = ("lib",)) -> Path | None:
    """``<package>/<folder>/<stem>.so`` (``.dylib``, ``.dll``), or None when absent."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    suffix = {"darwin": ".dylib", "win32": ".dll"}.get(sys.platform, ".so")
    for root in spec.submodule_search_locations:
        for folder in folders:
            path = Path(root, folder, stem + suffix)
            if path.is_file():
                return path
    return None
