"""Checks on an output folder made before any work, so a long run never ends in a refusal."""

from __future__ import annotations

import os
from pathlib import Path

from tabship.errors import OutputError, OutputExistsError

__all__ = ["check_output_dir"]


def check_output_dir(path: Path, *, force: bool) -> None:
    """Refuse an existing output without ``force`` and an unwritable location, up front."""
    if path.exists() and not force:
        raise OutputExistsError(path)
    if path.exists() and not path.is_dir():
        raise OutputError(path, "it is a file, not a folder")
    ancestor = path.parent.resolve()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(path, f"the folder '{ancestor}' is not writable")
