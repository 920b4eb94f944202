"""Temporary outputs left by a killed run, found and removed by the next run.

A batch run writes ``.scored.csv.tmp-XXXXXXXX`` beside its output (``atomic_output``)
and renames it at the end; ``kill -9`` leaves the temporary behind, hidden and as big as
the part written. Each run holds an exclusive ``flock`` on its temporaries while it
writes, so a temporary whose lock can be taken has no writer left (a process id could
be reused; a lock dies with its process). The next run into the same folder removes
only such files, and only under its own output names: ``.NAME.tmp-`` plus the eight hex
digits ``atomic_output`` uses, a regular file, unlocked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["holding", "remove_leftovers"]

_SUFFIX = r"\.tmp-[0-9a-f]{8}"


@contextmanager
def holding(temporary: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``temporary`` (a file being written) for the block."""
    fd = _locked(temporary)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def remove_leftovers(*targets: Path) -> list[Path]:
    """Remove the unlocked temporaries of ``targets`` a killed run left; return them."""
    removed: list[Path] = []
    for target in targets:
        pattern = re.compile(r"\." + re.escape(target.name) + _SUFFIX)
        try:
            entries = list(os.scandir(target.parent))
        except OSError:
            continue
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                path = Path(entry.path)
                if _remove_if_abandoned(path):
                    removed.append(path)
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    fd = _locked(path)
    if fd is None:
        return False  # a live run is writing it (or locks are not available here)
    try:
        path.unlink(missing_ok=True)
    finally:
        os.close(fd)
    return True


def _locked(path: Path) -> int | None:
    """A descriptor of ``path`` holding an exclusive lock, or None when it is held
    elsewhere, gone, or the platform has no ``flock``."""
    try:
        import fcntl
    except ImportError:  # not POSIX: nothing is locked, nothing is removed
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
