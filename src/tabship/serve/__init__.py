"""Serve a tabship model over HTTP: JSON and CSV prediction, HTML pages, health, metrics.

``create_app(model_path)`` builds the FastAPI app; ``tabship serve MODEL`` runs it under
uvicorn. See ``create_app`` for the route tree.
"""

from __future__ import annotations

from tabship.serve._app import create_app

__all__ = ["create_app"]
