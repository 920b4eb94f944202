"""LightGBM models compiled to machine code with lleaves, for big batches.

LightGBM's C library walks its trees as data: 18 µs of CPU a row for the 373 trees of
the adult model a 60 s search trains, most of what ``tabship predict`` spent on a row.
lleaves compiles the same model text through LLVM into code with the splits inlined,
run 16 trees at a time over the batch: 2.1 µs a row, with LightGBM's margins to 1e-14
(measured on 300,000 adult rows; ``_compiled_build`` says why 16).

Compiling takes about 6 s for those trees, so it happens once per model and machine,
into a cache folder only the user can write. A run loads what the cache holds; a model
it lacks is scored by the C library, and its build starts when the run exits, in a
process of its own at the lowest priority that outlives it (``_compiled_build``): built
beside the scoring, it cost the run 0.9 s of its 2.2 s on 300,000 rows. Loading a cached
object runs its code, so a folder or file someone else owns or can write is never read;
the key is the model text with lleaves', llvmlite's and the CPU's names, since the code
is built for this CPU.

Anything that goes wrong (lleaves not installed, an objective it does not know, a
cache folder that cannot be made) leaves LightGBM's C library scoring: compiled trees
are a speed-up, never a requirement. ``TABSHIP_COMPILED_TREES=0`` turns them off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tabship.plan._compiled_build import Build, build_at_exit, build_now, compiled_model

__all__ = ["CompiledForest", "cache_folder"]

Predictor = Callable[[NDArray[np.float64]], NDArray[np.float64]]

_SWITCH = "TABSHIP_COMPILED_TREES"
_FOLDER = "compiled-trees"


def cache_folder() -> Path:
    """Where compiled models are kept: ``$TABSHIP_CACHE_DIR``, else the XDG cache."""
    root = os.environ.get("TABSHIP_CACHE_DIR")
    if root:
        return Path(root, _FOLDER)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg, "tabship", _FOLDER)


class CompiledForest:
    """One LightGBM model text and its compiled form, when the cache holds it.

    ``predictor()`` returns the compiled model, loaded from the cache on the first call
    (milliseconds), or None: then its build is queued for when this process exits.
    ``wait()`` builds it now and waits.
    """

    def __init__(self, text: bytes, *, margin: bool, threads: int) -> None:
        self._text = text
        self._margin = margin
        self._threads = threads
        self._lock = threading.Lock()
        self._started = False
        self._build: Build | None = None  # what building it takes, once the cache is known
        self._model: Any = None  # lleaves.Model once loaded
        self.failure: str | None = None  # why there is no compiled model, once known

    def predictor(self) -> Predictor | None:
        with self._lock:
            if not self._started:
                self._started = True
                self._start()
            model = self._model
        return None if model is None else self._predict_with(model)

    def wait(self) -> Predictor | None:
        """The compiled model, built now when the cache lacks it (None: it failed, see
        ``failure``, or another process is building it)."""
        self.predictor()
        with self._lock:
            build = None if self._model is not None or self.failure else self._build
        if build is not None:
            builder = build_now(build)
            if builder is not None:
                builder.wait()
            with self._lock:
                self._load_or_fail()
        with self._lock:
            model = self._model
        return None if model is None else self._predict_with(model)

    def give_up(self, reason: str) -> None:
        """Never use the compiled model (it disagreed with LightGBM, say)."""
        with self._lock:
            self._model = None
            self.failure = reason

    def _predict_with(self, model: Any) -> Predictor:
        threads = self._threads
        return lambda X: np.asarray(model.predict(X, n_jobs=threads), dtype=np.float64)

    def _start(self) -> None:
        """Loads the cached model, or queues its build; under ``_lock``."""
        if os.environ.get(_SWITCH, "1") == "0":
            self.failure = f"{_SWITCH}=0"
            return
        # Found, not imported: importing it loads LLVM (80 MB), which only a load needs.
        if importlib.util.find_spec("lleaves") is None:  # the optional `compiled` extra
            self.failure = "lleaves is not installed (tabship[compiled])"
            return
        try:
            folder = _private_folder(cache_folder())
            self._build = Build(self._text, folder / (self._key() + ".o"), self._margin)
            if not self._load():
                build_at_exit(self._build)
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            self.failure = f"{type(error).__name__}: {error}"

    def _load(self) -> bool:
        """The cached model loaded, when there is one (a trusted file); under ``_lock``."""
        if self._build is None or not _trusted_file(self._build.target):
            return False
        self._model = compiled_model(self._text, self._build.target, self._margin)
        return True

    def _load_or_fail(self) -> None:
        try:
            if not self._load():
                self.failure = "its build left no compiled model"
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            self.failure = f"{type(error).__name__}: {error}"

    def _key(self) -> str:
        """What the compiled code depends on: the text, how it is compiled, the
        compilers' versions and this CPU (without loading LLVM: a run that finds no
        compiled model never needs it)."""
        from importlib.metadata import version

        digest = hashlib.sha256(self._text)
        for part in (
            "raw" if self._margin else "output",
            "blocks of 16 trees",
            version("lleaves"),
            version("llvmlite"),
            platform.machine(),
            _cpu_identity(),
        ):
            digest.update(b"\0" + part.encode())
        return digest.hexdigest()


def _cpu_identity() -> str:
    """The CPU's model and feature flags (``/proc/cpuinfo``), which decide the code LLVM
    builds for this host; the processor's name where there is no such file."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            lines = [line for line in info if line.startswith(("model name", "flags"))]
    except OSError:
        return platform.processor()
    return "".join(sorted(set(lines)))


def _private_folder(folder: Path) -> Path:
    """``folder``, made if missing (``0700``); refused unless this user owns it and
    nobody else can write it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"'{folder}' is not a folder")
    _check_private(folder, info)
    return folder


def _trusted_file(path: Path) -> bool:
    """True when ``path`` is a file this user owns and nobody else can write; False when
    it does not exist; an error for anything else (a link, a stranger's file)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"'{path}' is not a regular file")
    _check_private(path, info)
    return True


def _check_private(path: Path, info: os.stat_result) -> None:
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PermissionError(f"'{path}' belongs to another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(f"others can write '{path}'")
