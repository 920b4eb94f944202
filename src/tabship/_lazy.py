"""Module attributes imported on first use (PEP 562), so cheap imports stay cheap; and
heavy imports without the garbage collector's passes (``paused_collection``)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib import import_module
from typing import Any

__all__ = ["lazy_attributes", "paused_collection"]


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name in ``homes`` from its module."""

    def __getattr__(name: str) -> Any:
        if name in homes:
            return getattr(import_module(homes[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


@contextmanager
def paused_collection() -> Iterator[None]:
    """Importing pandas and its kin allocates enough objects to set off the collector some
    hundred times, and each full pass walks everything imported so far: about 50 ms of the
    0.55 s a one-row ``tabship predict`` took. Imports leave next to no garbage, so the
    collector waits until the block ends; what the block built (modules, classes, a loaded
    model) is then frozen out of later passes, which long runs are spared as well."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
