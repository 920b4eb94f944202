"""LightGBM models scored by LightGBM's own C library, without its Python package.

One record through Treelite's reference predictor (GTIL) costs 60-330 µs for a hundred
trees of 31 leaves, measured here: most of a served one-record request. LightGBM's C API
has an entry point made for one row (``LGBM_BoosterPredictForMatSingleRowFast``, whose
set-up is done once), at a few µs. The library ships in LightGBM's wheel; it is located
with ``find_spec`` and loaded with ctypes, so LightGBM's Python package (which imports
scikit-learn) is never imported by a worker.

A batch goes through ``LGBM_BoosterPredictForMat`` of the same booster, which runs the
same per-row code: a record alone and the same record in a batch get the same bits. A
worker without LightGBM installed (the ``serve`` extra alone) keeps Treelite.

Big batches (``tabship predict``, CSV uploads) move to the model compiled by lleaves
(``_compiled``) once it is built, after it has agreed with the C library on the rows of
the batch where it joins, to 1e-9. Its trees are summed in blocks, so there a record's
margin can differ from the C library's in its last bits (1e-14 on adult).
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tabship.plan._native import packaged_library

if TYPE_CHECKING:
    from tabship.plan._compiled import CompiledForest

__all__ = ["LightGBMError", "LightGBMModel", "lightgbm_library"]

_DTYPE_FLOAT64 = 1  # C_API_DTYPE_FLOAT64
_PREDICT_NORMAL, _PREDICT_RAW_SCORE = 0, 1  # C_API_PREDICT_*
_MANY_ROWS = 1000  # from this many rows a batch predicts on every core
_COMPILED_ROWS = 10_000  # from this many rows a batch asks for the compiled model
_AGREEMENT_ROWS = 1000  # rows checked against the C library before it takes over
_AGREEMENT = 1e-9  # rtol and atol, as the plan's probe agreement (plan._compile)
_lock = threading.Lock()
_loaded: list[ctypes.CDLL | None] = []  # [] not tried yet; [None] not installed


def lightgbm_library() -> ctypes.CDLL | None:
    """LightGBM's C library, loaded once; None when LightGBM is not installed (or its
    library cannot be loaded here)."""
    with _lock:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def _load() -> ctypes.CDLL | None:
    path = packaged_library("lightgbm", "lib_lightgbm", folders=("lib", ""))
    if path is None:
        return None
    try:
        return _declare(ctypes.CDLL(str(path)))
    except (OSError, AttributeError):
        return None


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Argument types of the functions used, as declared in LightGBM's ``c_api.h`` (4.x)."""
    p, i32, i64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
    c_int, text = ctypes.c_int, ctypes.c_char_p
    lib.LGBM_GetLastError.restype = text
    lib.LGBM_BoosterLoadModelFromString.argtypes = [text, ctypes.POINTER(c_int), p]
    lib.LGBM_BoosterFree.argtypes = [p]
    lib.LGBM_BoosterGetNumFeature.argtypes = [p, ctypes.POINTER(c_int)]
    lib.LGBM_BoosterGetNumClasses.argtypes = [p, ctypes.POINTER(c_int)]
    lib.LGBM_BoosterPredictForMatSingleRowFastInit.argtypes = [
        p, c_int, c_int, c_int, c_int, i32, text, p
    ]  # fmt: skip
    lib.LGBM_BoosterPredictForMatSingleRowFast.argtypes = [p, p, ctypes.POINTER(i64), p]
    lib.LGBM_FastConfigFree.argtypes = [p]
    lib.LGBM_BoosterPredictForMat.argtypes = [
        p, p, c_int, i32, i32, c_int, c_int, c_int, c_int, text, ctypes.POINTER(i64), p
    ]  # fmt: skip
    return lib


class LightGBMError(RuntimeError):
    """LightGBM's C library refused a call; the message is LightGBM's own."""


class LightGBMModel:
    """A LightGBM model read from its text, predicting dense float64 rows.

    ``predict`` gives raw scores (``margin``) or LightGBM's outputs, ``(n, k)`` with
    ``k`` the number of classes of a multiclass model, else 1. Safe to call from several
    threads: the one-row set-up is shared under a lock, batches need none.
    """

    def __init__(self, lib: ctypes.CDLL, text: bytes) -> None:
        self._lib = lib
        self.handle = ctypes.c_void_p()
        iterations = ctypes.c_int()
        self._check(
            lib.LGBM_BoosterLoadModelFromString(
                text, ctypes.byref(iterations), ctypes.byref(self.handle)
            )
        )
        self.num_feature = self._query(lib.LGBM_BoosterGetNumFeature)
        self.num_class = self._query(lib.LGBM_BoosterGetNumClasses)
        self._one_row: dict[int, ctypes.c_void_p] = {}  # predict type -> fast config
        self._one_row_lock = threading.Lock()
        self._threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self._text = text
        self._compiled: dict[int, CompiledForest] = {}  # predict type -> compiled model
        self._agreed: set[int] = set()

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        for config in getattr(self, "_one_row", {}).values():
            lib.LGBM_FastConfigFree(config)  # type: ignore[union-attr]
        if getattr(self, "handle", None):
            lib.LGBM_BoosterFree(self.handle)  # type: ignore[union-attr]

    def predict(self, X: NDArray[np.float64], *, margin: bool) -> NDArray[np.float64]:
        rows = np.ascontiguousarray(X, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.num_feature:
            raise LightGBMError(
                f"expected rows of {self.num_feature} features, got shape {rows.shape}"
            )
        kind = _PREDICT_RAW_SCORE if margin else _PREDICT_NORMAL
        n = len(rows)
        if n == 1:
            out = np.empty((1, self.num_class), dtype=np.float64)
            written = ctypes.c_int64()
            with self._one_row_lock:
                self._check(
                    self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                        self._fast_config(kind), rows.ctypes.data, ctypes.byref(written),
                        out.ctypes.data,
                    )
                )  # fmt: skip
            return out
        if n >= _COMPILED_ROWS:
            compiled = self._compiled_predict(rows, kind)
            if compiled is not None:
                return compiled.reshape(n, self.num_class)
        return self._predict_many(rows, kind)

    def compiled(self, margin: bool) -> CompiledForest:
        """The compiled form of this model (built on its first big batch)."""
        # Imported on a first big batch: a worker scoring one record never needs it.
        from tabship.plan._compiled import CompiledForest

        kind = _PREDICT_RAW_SCORE if margin else _PREDICT_NORMAL
        with self._one_row_lock:
            forest = self._compiled.get(kind)
            if forest is None:
                forest = CompiledForest(self._text, margin=margin, threads=self._threads)
                self._compiled[kind] = forest
        return forest

    def _compiled_predict(self, rows: NDArray[np.float64], kind: int) -> NDArray[np.float64] | None:
        forest = self.compiled(kind == _PREDICT_RAW_SCORE)
        predict = forest.predictor()
        if predict is None:
            return None
        if kind not in self._agreed:
            head = rows[:_AGREEMENT_ROWS]
            expected = self._predict_many(head, kind)
            got = predict(head).reshape(expected.shape)
            if not np.allclose(got, expected, rtol=_AGREEMENT, atol=_AGREEMENT):
                forest.give_up("it disagreed with LightGBM's C library")
                return None
            self._agreed.add(kind)
        return predict(rows)

    def _predict_many(self, rows: NDArray[np.float64], kind: int) -> NDArray[np.float64]:
        n = len(rows)
        out = np.empty((n, self.num_class), dtype=np.float64)
        threads = self._threads if n >= _MANY_ROWS else 1
        if n:
            written = ctypes.c_int64()
            self._check(
                self._lib.LGBM_BoosterPredictForMat(
                    self.handle, rows.ctypes.data, _DTYPE_FLOAT64, n, self.num_feature, 1, kind,
                    0, -1, f"num_threads={threads}".encode(), ctypes.byref(written),
                    out.ctypes.data,
                )
            )  # fmt: skip
        return out

    def _fast_config(self, kind: int) -> ctypes.c_void_p:
        config = self._one_row.get(kind)
        if config is None:
            config = ctypes.c_void_p()
            self._check(
                self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                    self.handle, kind, 0, -1, _DTYPE_FLOAT64, self.num_feature,
                    b"num_threads=1", ctypes.byref(config),
                )
            )  # fmt: skip
            self._one_row[kind] = config
        return config

    def _query(self, getter: ctypes._NamedFuncPointer) -> int:
        value = ctypes.c_int()
        self._check(getter(self.handle, ctypes.byref(value)))
        return value.value

    def _check(self, status: int) -> None:
        if status != 0:
            raise LightGBMError(self._lib.LGBM_GetLastError().decode("utf-8", "replace"))
