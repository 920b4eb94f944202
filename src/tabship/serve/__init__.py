"""Serve a tabship model over HTTP: JSON and CSV prediction, HTML pages, health, metrics.

``create_app(model_path)`` builds the FastAPI app; ``tabship serve MODEL`` runs it under
uvicorn. See ``create_app`` for the route tree. FastAPI loads with ``create_app``, not
with this package, so the notebook form can draw with the pages' own plotting code
without importing a web framework. ``LogOptions`` configures the prediction log
(``tabship serve --log``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes

if TYPE_CHECKING:
    from tabship.serve._app import create_app
    from tabship.serve._monitoring import LogOptions

__all__ = ["LogOptions", "create_app"]

__getattr__ = lazy_attributes(
    __name__,
    {
        "create_app": "tabship.serve._app",
        "LogOptions": "tabship.serve._monitoring",
    },
)
