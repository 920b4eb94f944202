"""LightGBM models compiled to machine code with lleaves, for big batches.

LightGBM's C library walks its trees as data: 4.4 µs of CPU a row for the adult
model's 80 trees, two thirds of what ``tabship predict`` spent on a row. lleaves
compiles the same model text through LLVM into code with the splits inlined: 1.1 µs a
row, with LightGBM's margins to the bit (measured on 300,000 adult rows).

Compiling takes about 3 s for those 80 trees, so it happens once per model and machine,
in a process of its own at the lowest priority that outlives the run which started it
(a short run neither waits for it nor loses a core to it), into a cache folder only the
user can write. A run loads what the cache holds and, while a build runs, keeps
LightGBM's C library, moving to the compiled model when it lands. One build runs at a
time per run (an ensemble's members queue). Loading a cached object runs its code, so a
folder or file someone else owns or can write is never read; the key is the model text
with lleaves', llvmlite's and the CPU's names, since the code is built for this CPU.

Anything that goes wrong (lleaves not installed, an objective it does not know, a
cache folder that cannot be made) leaves LightGBM's C library scoring: compiled trees
are a speed-up, never a requirement. ``TABSHIP_COMPILED_TREES=0`` turns them off.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CompiledForest", "cache_folder"]

Predictor = Callable[[NDArray[np.float64]], NDArray[np.float64]]

_SWITCH = "TABSHIP_COMPILED_TREES"
_FOLDER = "compiled-trees"
_STALE_LOCK_S = 600.0  # a build lock older than this was left by a killed build
_builds: list[subprocess.Popen[bytes]] = []  # the builds this process started
_builds_lock = threading.Lock()


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
        self._folder: Path | None = None
        self._target: Path | None = None  # the cached object's path
        self._builder: subprocess.Popen[bytes] | None = None  # the build, while it runs
        self._model: Any = None  # lleaves.Model once loaded
        self.failure: str | None = None  # why there is no compiled model, once known

    def predictor(self) -> Predictor | None:
        with self._lock:
            if not self._started:
                self._started = True
                self._start()
            elif self._model is None and self.failure is None:
                self._poll()
            model = self._model
        if model is None:
            return None
        return self._predict_with(model)

    def wait(self, timeout: float | None = None) -> Predictor | None:
        """The compiled model once its build has ended (None: it failed, see
        ``failure``); starts the build if nothing asked yet."""
        while True:
            self.predictor()
            with self._lock:
                if self._model is not None or self.failure is not None:
                    break
                builder = self._builder or _running_build()
            if builder is None:
                break  # another process is building it: nothing here to wait on
            try:
                builder.wait(timeout)
            except subprocess.TimeoutExpired:
                break
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
            self._folder = _private_folder(cache_folder())
            self._target = self._folder / (self._key() + ".o")
            if not self._load():
                self._builder = _spawn_build(self._text, self._target, margin=self._margin)
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            self._fail(f"{type(error).__name__}: {error}")

    def _poll(self) -> None:
        """Loads the model once it is built, or starts its build when its turn comes;
        under ``_lock``."""
        if self._target is None:
            return
        try:
            builder = self._builder
            if builder is None:  # queued, or another process builds it
                if not self._load():
                    self._builder = _spawn_build(self._text, self._target, margin=self._margin)
            elif builder.poll() is not None:
                self._builder = None
                if not self._load():
                    self._fail(f"its build ended with status {builder.returncode}, no model")
        except Exception as error:  # noqa: BLE001 - any failure leaves the C library
            self._fail(f"{type(error).__name__}: {error}")

    def _load(self) -> bool:
        """The cached model loaded, when there is one (a trusted file); under ``_lock``."""
        if self._target is None or not _trusted_file(self._target):
            return False
        self._model = _compiled_model(self._text, self._target, self._folder, self._margin)
        return True

    def _fail(self, reason: str) -> None:
        self.failure = reason

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


def _compiled_model(text: bytes, cache: Path, folder: Path | None, margin: bool) -> Any:
    """lleaves' model of ``text``, compiled into ``cache``, or loaded from it if it exists."""
    import lleaves

    with tempfile.NamedTemporaryFile(dir=folder, suffix=".txt") as file:
        file.write(text)
        file.flush()
        model = lleaves.Model(model_file=file.name)
        # One block of every tree: the trees are summed in LightGBM's order, so the margins
        # are LightGBM's to the bit (blocks of 34 trees: 8e-15 off, 35 % faster; measured
        # on the adult model).
        model.compile(cache=str(cache), raw_score=margin, fblocksize=max(model.num_trees(), 1))
    return model


def _running_build() -> subprocess.Popen[bytes] | None:
    """The build this process started that is still running, if any."""
    with _builds_lock:
        running = [b for b in _builds if b.poll() is None]
        _builds[:] = running
        return running[0] if running else None


def _spawn_build(text: bytes, target: Path, *, margin: bool) -> subprocess.Popen[bytes] | None:
    """A process of its own, at the lowest priority, that builds ``target`` and outlives
    this one; None while another build of this process runs, or while another process
    builds ``target`` (its lock is fresh)."""
    if _running_build() is not None:
        return None
    lock = target.with_name(f".{target.name}.lock")
    try:
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            if time.time() - lock.stat().st_mtime < _STALE_LOCK_S:
                return None
        except FileNotFoundError:
            return None  # that build just ended: the next call loads its model
        lock.unlink(missing_ok=True)  # a build that was killed
        return None  # the next call starts one
    with os.fdopen(descriptor, "wb") as held:
        held.write(text)  # the builder reads the model text from its lock
    command = [sys.executable, "-m", "tabship.plan._compiled", str(lock), str(target)]
    builder = subprocess.Popen(
        [*command, "--margin"] if margin else command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal does not stop it
    )
    with _builds_lock:
        _builds.append(builder)
    return builder


def _build_main(arguments: list[str]) -> int:
    """``python -m tabship.plan._compiled LOCK TARGET [--margin]``: compile the model text
    held in LOCK into TARGET (written under a temporary name, then renamed), then remove
    LOCK."""
    lock, target = Path(arguments[0]), Path(arguments[1])
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if hasattr(os, "nice"):
        os.nice(19)  # the cores are scoring: take what they leave
    try:
        _compiled_model(lock.read_bytes(), temporary, target.parent, "--margin" in arguments)
        os.replace(temporary, target)
    except Exception:  # noqa: BLE001 - the caller keeps LightGBM's C library
        temporary.unlink(missing_ok=True)
        return 1
    finally:
        lock.unlink(missing_ok=True)
    return 0


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


if __name__ == "__main__":
    sys.exit(_build_main(sys.argv[1:]))
