"""Writing a folder or a file so that readers see the old version or the new one, never half.

``atomic_output`` is the one place tabship does "write beside, then rename": model folders
and packed models (here), deployment folders, batch outputs and Dask part folders all
go through it. The new content is written into a temporary sibling of the target (same
parent folder, so same file system), then renamed into place. Replacing a folder swaps
the two in one step where the platform can (``_swap.py``: ``renameat2`` with
``RENAME_EXCHANGE``), else in two renames whose leftovers the next write (or load) puts
right, and only then deletes the old copy, so a failure or a kill at any point leaves a
complete version in place. Whether something already at the target may be replaced is
the caller's decision: for a model, ``force`` never replaces something that is not
itself a tabship artifact, since tabship must not delete a user's unrelated folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Literal

from tabship.artifact._swap import locked, recover_leftovers, swap_directory
from tabship.errors import OutputError, OutputExistsError, TabshipWarning

__all__ = ["OutputKind", "atomic_output", "write_directory", "write_file"]

OutputKind = Literal["file", "folder"]
Replaceable = Callable[[Path], bool]

# Permissions of the temporary: a folder is private until renamed into place (as
# ``tempfile.mkdtemp`` makes it); a file gets what ``open(path, "w")`` would give it.
_DEFAULT_MODES: dict[OutputKind, int] = {"folder": 0o700, "file": 0o666}
_NAME_TRIES = 100


@contextmanager
def atomic_output(
    target: str | Path,
    *,
    kind: OutputKind = "file",
    replace: bool = False,
    mode: int | None = None,
) -> Iterator[Path]:
    """A temporary path beside ``target`` to write into, renamed onto ``target`` at the end.

    ``kind="folder"`` yields a new empty folder, ``kind="file"`` a new empty file, both
    named ``.NAME.tmp-RANDOM`` in ``target``'s folder (created if missing). If the block
    raises, the temporary is removed and whatever was at ``target`` is left untouched.
    If it succeeds, the temporary takes ``target``'s place; a file the block removed is
    not committed, and ``target`` stays as it was.

    Parameters
    ----------
    target : str or Path
        The file or folder to produce.
    kind : "file" or "folder"
        What the block writes.
    replace : bool
        Whether something already at ``target`` may be replaced. The caller decides
        (``force``, and whether it is its own earlier output).
    mode : int, optional
        Permission bits for the temporary (the umask applies): by default 0o700 for a
        folder and 0o666 for a file.

    Raises
    ------
    OutputExistsError
        ``target`` exists and ``replace`` is False (nothing is written).
    OutputError
        ``target``'s folder cannot be created or written, or the final rename failed.
    """
    path = Path(target)
    if kind == "folder":
        recover_leftovers(path)  # a kill during an earlier swap: put its old copy back
    if _exists(path) and not replace:
        raise OutputExistsError(path)
    temp = _make_temporary(path, kind, _DEFAULT_MODES[kind] if mode is None else mode)
    with ExitStack() as holding:
        if kind == "folder":
            holding.enter_context(locked(temp))  # a live write is never taken for a leftover
        try:
            yield temp
        except BaseException:
            _remove(temp)
            raise
        try:
            _commit(temp, path, kind)
        except BaseException as exc:
            _remove(temp)
            if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                raise OutputError(path, f"writing it failed ({exc})") from exc
            raise


def write_directory(
    target: Path, files: Mapping[str, bytes], *, force: bool, replaceable: Replaceable
) -> Path:
    """Write ``files`` (name -> content) as the model folder ``target``, atomically."""
    recover_leftovers(target)  # a model a killed save left beside the target is back first
    _check_target(target, force, replaceable)
    with atomic_output(target, kind="folder", replace=True) as staging:
        with _as_output_error(target):
            for name, content in files.items():
                _write_synced(staging / name, content)
    return target


def write_file(target: Path, content: bytes, *, force: bool, replaceable: Replaceable) -> Path:
    """Write ``content`` as the packed model ``target``, atomically (temp file + rename)."""
    _check_target(target, force, replaceable)
    with atomic_output(target, kind="file", replace=True, mode=0o600) as temp:
        with _as_output_error(target):
            _write_synced(temp, content)
    return target


def _check_target(target: Path, force: bool, replaceable: Replaceable) -> None:
    """``force`` replaces an earlier tabship model only, never anything else."""
    if not _exists(target):
        return
    if not force:
        raise OutputExistsError(target)
    if not replaceable(target):
        raise OutputError(
            target,
            "it exists and is not a tabship model, so force will not replace it",
            hint="Choose another path, or remove it yourself if it is no longer needed.",
        )


@contextmanager
def _as_output_error(target: Path) -> Iterator[None]:
    """An OS error while writing a model names the model, as an ``OutputError``."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(target, f"writing it failed ({exc})") from exc


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _make_temporary(target: Path, kind: OutputKind, mode: int) -> Path:
    """Create the parent folder if needed, then a new temporary entry beside ``target``."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return _new_entry(target, kind, mode)
    except OSError as exc:
        raise OutputError(
            target,
            f"its folder '{parent}' cannot be created or written ({exc.strerror or exc})",
            hint="Choose a folder you can write to.",
        ) from None


def _new_entry(target: Path, kind: OutputKind, mode: int) -> Path:
    for _ in range(_NAME_TRIES):
        temp = target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}")
        try:
            if kind == "folder":
                os.mkdir(temp, mode)
            else:
                os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
        except FileExistsError:
            continue
        return temp
    raise FileExistsError(f"no free temporary name beside '{target}'")


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _commit(temp: Path, target: Path, kind: OutputKind) -> None:
    if kind == "file":
        if not _exists(temp):
            return  # the block removed it: nothing to commit
        os.replace(temp, target)
    else:
        _fsync_directory(temp)
        _swap_directory(temp, target)
    _fsync_directory(target.parent)


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
    old = swap_directory(staging, target)
    if old is None:
        return
    _remove(old)
    if _exists(old):
        warnings.warn(
            f"'{target}' was replaced but its previous copy '{old}' could not be deleted; "
            "remove it by hand.",
            TabshipWarning,
            stacklevel=2,
        )


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)
