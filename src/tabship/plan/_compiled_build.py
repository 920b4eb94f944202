"""Building compiled LightGBM models: in a process of its own that outlives the run.

A run that meets a model its cache lacks queues the build (``build_at_exit``); when the
run exits, one process at the lowest priority builds every queued model in turn, each
under a temporary name renamed into place, and the run does not wait for it. A lock
file per model (``0600``, holding the model text the builder reads) keeps two runs or
forked workers from building the same model; one older than ten minutes was left by a
killed build and is replaced. ``build_now`` is the same process, waited for (tests,
benchmarks).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Build", "build_at_exit", "build_now", "compiled_model"]

_STALE_LOCK_S = 600.0
_TREES_PER_BLOCK = 16
_queued: list[Build] = []
_queue_lock = threading.Lock()


@dataclass(frozen=True)
class Build:
    """One model to compile: its LightGBM text, where the object goes, margins or not."""

    text: bytes
    target: Path
    margin: bool


def compiled_model(text: bytes, cache: Path, margin: bool) -> Any:
    """lleaves' model of ``text``, compiled into ``cache``, or loaded from it if it exists."""
    import lleaves

    with tempfile.NamedTemporaryFile(dir=cache.parent, suffix=".txt") as file:
        file.write(text)
        file.flush()
        model = lleaves.Model(model_file=file.name)
        # Blocks of 16 trees: each block runs over every row of the batch before the next
        # one does, so its code stays in the instruction cache. Each block's partial sum
        # is rounded on its own, so a margin can differ from LightGBM's in its last bits
        # (1e-14 on adult; the plan's probe holds it to 1e-9). Per row, on the 373-tree
        # adult model: 2.1 µs, against 3.7 for blocks of one tree (LightGBM's order, to
        # the bit) and 5.7 for one block of every tree (code that outgrows the cache).
        model.compile(cache=str(cache), raw_score=margin, fblocksize=_TREES_PER_BLOCK)
    return model


def build_at_exit(build: Build) -> None:
    """Queue ``build`` for the builder this process starts when it exits."""
    with _queue_lock:
        if not _queued:
            atexit.register(_start_queued)
        if build not in _queued:
            _queued.append(build)


def build_now(build: Build) -> subprocess.Popen[bytes] | None:
    """Start the builder for ``build`` now (it leaves the exit queue); None when another
    process is building it."""
    with _queue_lock:
        if build in _queued:
            _queued.remove(build)
    return _spawn([build])


def _start_queued() -> None:
    with _queue_lock:
        builds = list(_queued)
        _queued.clear()
    if builds:
        _spawn(builds)


def _spawn(builds: list[Build]) -> subprocess.Popen[bytes] | None:
    """One builder for those of ``builds`` no other process is building."""
    arguments: list[str] = []
    for build in builds:
        lock = _take_lock(build)
        if lock is not None:
            arguments += ["raw" if build.margin else "output", str(lock), str(build.target)]
    if not arguments:
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "tabship.plan._compiled_build", *arguments],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives this process; Ctrl-C in its terminal spares it
    )


def _take_lock(build: Build) -> Path | None:
    """The build's lock, holding its model text; None while another build holds it."""
    lock = build.target.with_name(f".{build.target.name}.lock")
    for _ in range(2):
        try:
            descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime < _STALE_LOCK_S:
                    return None
            except FileNotFoundError:
                continue  # that build has just ended
            lock.unlink(missing_ok=True)  # left by a killed build
            continue
        with os.fdopen(descriptor, "wb") as held:
            held.write(build.text)
        return lock
    return None


def _main(arguments: list[str]) -> int:
    """``python -m tabship.plan._compiled_build (raw|output LOCK TARGET)...``: compile
    the model text each LOCK holds into its TARGET (under a temporary name, renamed),
    removing the LOCK after; the status is the number of builds that failed."""
    if hasattr(os, "nice"):
        os.nice(19)  # take what the cores leave
    failed = 0
    for i in range(0, len(arguments), 3):
        kind, lock, target = arguments[i], Path(arguments[i + 1]), Path(arguments[i + 2])
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            compiled_model(lock.read_bytes(), temporary, kind == "raw")
            os.replace(temporary, target)
        except Exception:  # noqa: BLE001 - the runs keep LightGBM's C library
            temporary.unlink(missing_ok=True)
            failed += 1
        finally:
            lock.unlink(missing_ok=True)
    return failed


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
