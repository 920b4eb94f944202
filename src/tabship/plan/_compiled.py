"""LightGBM models compiled to machine code with lleaves, for big batches.

LightGBM's C library walks its trees as data: 4.4 µs of CPU a row for the adult
model's 80 trees, two thirds of what ``tabship predict`` spends on a row. lleaves
compiles the same model text through LLVM into code with the splits inlined: 1.1 µs a
row, with LightGBM's outputs to the bit (measured on 300,000 adult rows). Compiling
takes about 3 s for those 80 trees, so it happens once per model and machine: in a thread of
its own (LLVM releases the GIL) while the C library scores the first chunks, into a
cache folder that only the user can write. Loading a cached object runs its code, so a
folder or file that someone else owns or can write is never read; the key is the
model text with lleaves', llvmlite's and the CPU's names, since the code is built for
this CPU's instruction set.

Anything that goes wrong (lleaves not installed, an objective it does not know, a
cache folder that cannot be made) leaves LightGBM's C library scoring: compiled trees
are a speed-up, never a requirement. ``TABSHIP_COMPILED_TREES=0`` turns them off.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CompiledForest", "cache_folder"]

Predictor = Callable[[NDArray[np.float64]], NDArray[np.float64]]

_SWITCH = "TABSHIP_COMPILED_TREES"
_FOLDER = "compiled-trees"
# One build at a time: an ensemble's members would otherwise all compile at once, on the
# cores that are scoring.
_one_build = threading.Lock()


def cache_folder() -> Path:
    """Where compiled models are kept: ``$TABSHIP_CACHE_DIR``, else the XDG cache."""
    root = os.environ.get("TABSHIP_CACHE_DIR")
    if root:
        return Path(root, _FOLDER)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg, "tabship", _FOLDER)


class CompiledForest:
    """One LightGBM model text, compiled on first demand.

    ``predictor()`` returns the compiled model once it exists, else None: the first
    call loads it from the cache (milliseconds) or starts building it in the background.
    Callers keep scoring with the C library until a predictor comes back.
    """

    def __init__(self, text: bytes, *, margin: bool, threads: int) -> None:
        self._text = text
        self._margin = margin
        self._threads = threads
        self._lock = threading.Lock()
        self._started = False
        self._settled = threading.Event()  # set once built, loaded or given up
        self._model: Any = None  # lleaves.Model once compiled
        self.failure: str | None = None  # why there is no compiled model, once known

    def predictor(self) -> Predictor | None:
        with self._lock:
            if not self._started:
                self._started = True
                self._start()
            model = self._model
        if model is None:
            return None
        return self._predict_with(model)

    def wait(self, timeout: float | None = None) -> Predictor | None:
        """The compiled model once building it has ended (None: it failed, see
        ``failure``); starts building it if nothing asked yet."""
        self.predictor()
        self._settled.wait(timeout)
        with self._lock:
            model = self._model
        return None if model is None else self._predict_with(model)

    def _predict_with(self, model: Any) -> Predictor:
        threads = self._threads
        return lambda X: np.asarray(model.predict(X, n_jobs=threads), dtype=np.float64)

    def give_up(self, reason: str) -> None:
        """Never use the compiled model (it disagreed with LightGBM, say)."""
        with self._lock:
            self._model = None
            self.failure = reason

    def _start(self) -> None:
        """Loads the cached model, or starts building it; under ``_lock``."""
        if os.environ.get(_SWITCH, "1") == "0":
            self._fail(f"{_SWITCH}=0")
            return
        try:
            import lleaves  # noqa: F401 - the optional `compiled` extra
        except ImportError:
            self._fail("lleaves is not installed (tabship[compiled])")
            return
        try:
            folder = _private_folder(cache_folder())
            target = folder / (self._key() + ".o")
            if _trusted_file(target):
                self._model = self._build(folder, target)
                self._settled.set()
                return
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            self._fail(f"{type(error).__name__}: {error}")
            return
        # Not a daemon: a short run waits for it at exit, so that the next run has it.
        threading.Thread(
            target=self._compile, args=(folder, target), name="tabship-compile", daemon=False
        ).start()

    def _compile(self, folder: Path, target: Path) -> None:
        temporary = folder / f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with _one_build:
                model = self._build(folder, temporary)
            os.replace(temporary, target)
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            temporary.unlink(missing_ok=True)
            with self._lock:
                self._fail(f"{type(error).__name__}: {error}")
            return
        with self._lock:
            if self.failure is None:
                self._model = model
            self._settled.set()

    def _fail(self, reason: str) -> None:
        self.failure = reason
        self._settled.set()

    def _build(self, folder: Path, cache: Path) -> Any:
        """lleaves' model, compiled into ``cache`` or loaded from it when it exists."""
        import lleaves

        with tempfile.NamedTemporaryFile(dir=folder, suffix=".txt") as text:
            text.write(self._text)
            text.flush()
            model = lleaves.Model(model_file=text.name)
            # One block of every tree: the trees are summed in LightGBM's order, so the
            # outputs are LightGBM's to the bit (blocks of 34 trees: 8e-15 off, 35 %
            # faster; measured on the adult model).
            model.compile(
                cache=str(cache), raw_score=self._margin, fblocksize=max(model.num_trees(), 1)
            )
        return model

    def _key(self) -> str:
        from importlib.metadata import version

        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        try:
            features = llvm.get_host_cpu_features().flatten()
        except RuntimeError:
            features = ""
        digest = hashlib.sha256(self._text)
        for part in (
            "raw" if self._margin else "output",
            "unblocked",
            version("lleaves"),
            version("llvmlite"),
            llvm.get_process_triple(),
            llvm.get_host_cpu_name(),
            features,
        ):
            digest.update(b"\0" + part.encode())
        return digest.hexdigest()


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
