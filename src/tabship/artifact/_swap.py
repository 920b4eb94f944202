"""Putting a new folder in place of an old one, so that a kill at any instant leaves one.

Where the kernel offers it (Linux 3.15+, glibc 2.28+: ``renameat2`` with
``RENAME_EXCHANGE``), the new folder and the old one swap names in one step, so the
target always holds a complete version; the old one, now under the temporary's name, is
deleted afterwards. Elsewhere it takes two renames (old away as ``.NAME.old-XXXXXXXX``,
new in), and a kill between them leaves no target: the next write to the target, or
the next load of the model, puts the old copy back.

Leftovers are told from work in progress by a lock, not a process id (which can be
reused): a process holds an exclusive ``flock`` on each folder it is writing or moving,
and the lock dies with it. A leftover whose lock can be taken has no owner left: a
temporary is deleted, an old copy is put back if the target is missing (deleted if not).

Crash tests pause at the rename boundary with ``TABSHIP_TEST_PAUSE_AT_SWAP=MARKER``
(the process writes MARKER, then waits to be killed) and force the two-rename scheme
with ``TABSHIP_TEST_SWAP=renames``; nothing else reads them.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["locked", "recover_leftovers", "restore_missing", "swap_directory"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# The kernel or the file system cannot exchange: the two-rename scheme is used instead.
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM}
_PAUSE = "TABSHIP_TEST_PAUSE_AT_SWAP"
_FORCE_RENAMES = "TABSHIP_TEST_SWAP"


def swap_directory(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; return where the previous version now is (to be
    deleted by the caller), or None if there was none."""
    if not target.exists() and not target.is_symlink():
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        _pause_for_crash_test()
        return staging  # the old version now has the temporary's name
    old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
    with locked(target):  # the lock moves with the folder: it guards the old copy too
        os.rename(target, old)
        _pause_for_crash_test()
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(old, target)
            raise
    return old


def restore_missing(target: Path) -> bool:
    """Put back the old copy a killed swap left when ``target`` is missing (the newest,
    if a few were left); whether one was put back."""
    for path in _leftovers(target, "old"):
        with _abandoned(path) as free:
            if free and not target.exists() and not target.is_symlink():
                os.rename(path, target)
                return True
    return False


def recover_leftovers(target: Path) -> None:
    """``restore_missing``, then delete the temporaries and old copies of ``target`` that
    no live process holds."""
    restore_missing(target)
    for kind in ("old", "tmp"):
        for path in _leftovers(target, kind):
            with _abandoned(path) as free:
                if free:
                    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for the block (a no-op where there is none)."""
    fd = _lock(folder, wait=True)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _exchange(staging: Path, target: Path) -> bool:
    """Swap the two names in one step; False when the platform cannot."""
    renameat2 = _renameat2()
    if renameat2 is None or os.environ.get(_FORCE_RENAMES) == "renames":
        return False
    if renameat2(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD, os.fsencode(target),
                 _RENAME_EXCHANGE) == 0:  # fmt: skip
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(target))


def _renameat2() -> Callable[..., int] | None:
    if os.name != "posix":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None  # musl before 1.2.2, macOS: no renameat2
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]  # fmt: skip
    function.restype = ctypes.c_int
    return function


def _pause_for_crash_test() -> None:
    marker = os.environ.get(_PAUSE)
    if marker:
        Path(marker).write_text(str(os.getpid()))
        while True:
            time.sleep(1)


def _leftovers(target: Path, kind: str) -> list[Path]:
    """The ``.NAME.KIND-XXXXXXXX`` folders beside ``target``, newest first."""
    pattern = re.compile(r"\." + re.escape(target.name) + rf"\.{kind}-[0-9a-f]{{8}}")
    found: list[tuple[float, Path]] = []
    try:
        for entry in os.scandir(target.parent):
            if pattern.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                found.append((entry.stat(follow_symlinks=False).st_mtime, Path(entry.path)))
    except OSError:
        return []
    return [path for _, path in sorted(found, reverse=True)]


@contextmanager
def _abandoned(folder: Path) -> Iterator[bool]:
    """Whether no live process holds ``folder`` (it is locked by us for the block)."""
    fd = _lock(folder, wait=False)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)


def _lock(folder: Path, *, wait: bool) -> int | None:
    """A descriptor of ``folder`` holding an exclusive lock; None if it is held elsewhere
    (without ``wait``), gone, or the platform has no ``flock``."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
