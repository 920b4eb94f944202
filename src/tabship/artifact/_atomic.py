"""Writing a folder or a file so that readers see the old version or the new one, never half.

The new content is written into a temporary sibling of the target (same parent folder,
so same file system), flushed to disk, then renamed into place. Replacing a folder takes
two renames (old away, new in) and only then deletes the old copy, so a failure at any
point leaves the previous version loadable. ``force`` never replaces something that is
not itself a tabship artifact: tabship must not delete a user's unrelated folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from tabship.errors import OutputError, OutputExistsError, TabshipWarning

__all__ = ["write_directory", "write_file"]

Replaceable = Callable[[Path], bool]
T = TypeVar("T")


def write_directory(
    target: Path, files: Mapping[str, bytes], *, force: bool, replaceable: Replaceable
) -> Path:
    """Write ``files`` (name -> content) as the folder ``target``, atomically."""
    _check_target(target, force, replaceable)
    staging = Path(_in_parent(target, lambda parent: tempfile.mkdtemp(**_temp_names(target))))
    try:
        for name, content in files.items():
            _write_synced(staging / name, content)
        _fsync_directory(staging)
        _swap_directory(staging, target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(target, f"writing it failed ({exc})") from exc
        raise
    return target


def write_file(target: Path, content: bytes, *, force: bool, replaceable: Replaceable) -> Path:
    """Write ``content`` as the file ``target``, atomically (temp file + rename)."""
    _check_target(target, force, replaceable)
    fd, temp_name = _in_parent(target, lambda parent: tempfile.mkstemp(**_temp_names(target)))
    os.close(fd)
    try:
        _write_synced(Path(temp_name), content)
        os.replace(temp_name, target)
        _fsync_directory(target.parent)
    except BaseException as exc:
        Path(temp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(target, f"writing it failed ({exc})") from exc
        raise
    return target


def _check_target(target: Path, force: bool, replaceable: Replaceable) -> None:
    if not (target.exists() or target.is_symlink()):
        return
    if not force:
        raise OutputExistsError(target)
    if not replaceable(target):
        raise OutputError(
            target,
            "it exists and is not a tabship model, so force will not replace it",
            hint="Choose another path, or remove it yourself if it is no longer needed.",
        )


def _temp_names(target: Path) -> dict[str, str]:
    return {"prefix": f".{target.name}.tmp-", "dir": str(target.parent)}


def _in_parent(target: Path, make: Callable[[Path], T]) -> T:
    """Create the parent folder if needed, then a temporary entry in it."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return make(parent)
    except OSError as exc:
        raise OutputError(
            target,
            f"its folder '{parent}' cannot be created or written ({exc.strerror or exc})",
            hint="Choose a folder you can write to.",
        ) from None


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    """Make renames and new entries durable; folders cannot be opened on Windows."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_directory(staging: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        os.rename(staging, target)
        _fsync_directory(target.parent)
        return
    old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    _fsync_directory(target.parent)
    _remove_old(old, target)


def _remove_old(old: Path, target: Path) -> None:
    if old.is_symlink() or not old.is_dir():
        old.unlink(missing_ok=True)
    else:
        shutil.rmtree(old, ignore_errors=True)
    if old.exists():
        warnings.warn(
            f"'{target}' was replaced but its previous copy '{old}' could not be deleted; "
            "remove it by hand.",
            TabshipWarning,
            stacklevel=4,
        )
