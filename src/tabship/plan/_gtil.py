"""Treelite's tree predictor (GTIL) through its C API, without Treelite's Python package.

The serving image must stay small and a worker must start fast. ``import treelite``
imports ``treelite.gtil``, which imports ``scipy.sparse`` for a sparse input type a plan
never passes: SciPy is 111 MB of the image and a fifth of a worker's start. The shared
library ``libtreelite`` that ships in the same wheel has a stable, documented C API
(``treelite/c_api.h``: deserialize, GTIL config, output shape, predict); calling those
five functions here gives the same numbers as ``treelite.gtil.predict`` (the plan tests
compare both against the fitted pipeline) with only numpy imported. Training still uses
the Python package to build the models.
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tabship.plan._native import packaged_library

__all__ = ["GTILError", "TreeliteModel"]

_NUMPY_TYPES = {"float32": np.float32, "float64": np.float64}
_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


class GTILError(RuntimeError):
    """Treelite's C library refused a call; the message is Treelite's own."""


def _library_path() -> Path:
    """Where pip put ``libtreelite``: the ``lib`` folder of the installed ``treelite``
    package (located, not imported: its ``__init__`` would import SciPy)."""
    path = packaged_library("treelite", "treelite" if sys.platform == "win32" else "libtreelite")
    if path is None:
        raise GTILError("Treelite's library is not installed (pip install treelite)")
    return path


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Argument types of the functions used, as declared in ``treelite/c_api.h`` (4.x)."""
    p, u64 = ctypes.c_void_p, ctypes.c_uint64
    lib.TreeliteGetLastError.restype = ctypes.c_char_p
    lib.TreeliteDeserializeModelFromBytes.argtypes = [ctypes.c_char_p, ctypes.c_size_t, p]
    lib.TreeliteFreeModel.argtypes = [p]
    lib.TreeliteGetInputType.argtypes = [p, ctypes.POINTER(ctypes.c_char_p)]
    lib.TreeliteGetOutputType.argtypes = [p, ctypes.POINTER(ctypes.c_char_p)]
    lib.TreeliteQueryNumFeature.argtypes = [p, ctypes.POINTER(ctypes.c_size_t)]
    lib.TreeliteGTILParseConfig.argtypes = [ctypes.c_char_p, p]
    lib.TreeliteGTILDeleteConfig.argtypes = [p]
    lib.TreeliteGTILGetOutputShape.argtypes = [
        p, u64, p, ctypes.POINTER(ctypes.POINTER(u64)), ctypes.POINTER(u64)
    ]  # fmt: skip
    lib.TreeliteGTILPredict.argtypes = [p, p, ctypes.c_char_p, u64, p, p]
    return lib


def _library() -> ctypes.CDLL:
    global _lib
    with _lock:
        if _lib is None:
            _lib = _declare(ctypes.CDLL(str(_library_path())))
        return _lib


def _check(lib: ctypes.CDLL, status: int) -> None:
    if status != 0:
        raise GTILError(lib.TreeliteGetLastError().decode("utf-8", "replace"))


class _Config:
    """A parsed GTIL configuration (prediction type and threads), freed with the object."""

    def __init__(self, lib: ctypes.CDLL, predict_type: str, nthread: int) -> None:
        self._lib = lib
        self.handle = ctypes.c_void_p()
        text = json.dumps({"predict_type": predict_type, "nthread": nthread}).encode()
        _check(lib, lib.TreeliteGTILParseConfig(text, ctypes.byref(self.handle)))

    def __del__(self) -> None:
        if self.handle:
            self._lib.TreeliteGTILDeleteConfig(self.handle)


class TreeliteModel:
    """A Treelite model read from ``Model.serialize_bytes`` output, predicting dense rows."""

    def __init__(self, data: bytes) -> None:
        self._lib = lib = _library()
        self.handle = ctypes.c_void_p()
        _check(
            lib, lib.TreeliteDeserializeModelFromBytes(data, len(data), ctypes.byref(self.handle))
        )
        self.input_type = self._type_name(lib.TreeliteGetInputType)
        self.output_type = self._type_name(lib.TreeliteGetOutputType)
        count = ctypes.c_size_t()
        _check(lib, lib.TreeliteQueryNumFeature(self.handle, ctypes.byref(count)))
        self.num_feature = count.value
        self._configs: dict[tuple[str, int], _Config] = {}

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self._lib.TreeliteFreeModel(self.handle)

    def predict(self, X: NDArray[np.float64], *, nthread: int, margin: bool) -> NDArray[np.generic]:
        """Like ``treelite.gtil.predict(model, X, nthread=..., pred_margin=margin)``."""
        lib = self._lib
        rows = np.ascontiguousarray(X, dtype=_NUMPY_TYPES[self.input_type])
        if rows.ndim != 2 or rows.shape[1] > self.num_feature:
            raise GTILError(f"expected rows of {self.num_feature} features, got shape {rows.shape}")
        if rows.shape[1] < self.num_feature:  # as GTIL's wrapper: absent features are missing
            pad = ((0, 0), (0, self.num_feature - rows.shape[1]))
            rows = np.pad(rows, pad, constant_values=np.nan)
        config = self._config("raw" if margin else "default", nthread)
        n = ctypes.c_uint64(len(rows))
        shape_ptr = ctypes.POINTER(ctypes.c_uint64)()
        ndim = ctypes.c_uint64()
        _check(
            lib,
            lib.TreeliteGTILGetOutputShape(
                self.handle, n, config.handle, ctypes.byref(shape_ptr), ctypes.byref(ndim)
            ),
        )
        shape = tuple(int(shape_ptr[i]) for i in range(ndim.value))
        out = np.zeros(shape, dtype=_NUMPY_TYPES[self.output_type])
        _check(
            lib,
            lib.TreeliteGTILPredict(
                self.handle,
                rows.ctypes.data,
                self.input_type.encode(),
                n,
                out.ctypes.data,
                config.handle,
            ),
        )
        return out

    def _type_name(self, getter: ctypes._NamedFuncPointer) -> str:
        kind = ctypes.c_char_p()
        _check(self._lib, getter(self.handle, ctypes.byref(kind)))
        name = (kind.value or b"").decode()
        if name not in _NUMPY_TYPES:
            raise GTILError(f"unsupported Treelite value type {name!r}")
        return name

    def _config(self, predict_type: str, nthread: int) -> _Config:
        key = (predict_type, nthread)
        config = self._configs.get(key)
        if config is None:
            config = self._configs[key] = _Config(self._lib, predict_type, nthread)
        return config
