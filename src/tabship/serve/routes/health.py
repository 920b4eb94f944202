"""Routes for operators: ``/health``, ``/ready``, ``/metadata`` and ``/metrics``.

``/health`` is liveness (the process answers; never depends on the model), ``/ready`` is
readiness (the model is loaded and requests can be scored), so an orchestrator restarts a
hung process but only sends traffic to a ready one. None of them needs the API key.
"""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from tabship.data import json_safe
from tabship.errors import error_item
from tabship.serve._errors import ProblemError
from tabship.serve._metrics import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from tabship.runtime import Model
    from tabship.serve._monitoring import ServedLog

__all__ = ["router"]

router = APIRouter(tags=["operations"])

_NOT_READY = {"description": "The model is not loaded yet."}


@router.get("/health", summary="Liveness")
async def health() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process can answer."""
    return {"status": "ok"}


@router.get("/ready", summary="Readiness", responses={503: _NOT_READY})
async def ready(request: Request) -> dict[str, str]:
    """``{"status": "ready"}`` once the model is loaded, 503 before. With a prediction
    log, ``"log": "ok"`` or ``"degraded"`` (writes failing, or the database was not there
    at start with ``--log-optional``: predictions are answered all the same) and the
    reason in ``"log_error"``."""
    _loaded_model(request)
    served: ServedLog | None = getattr(request.app.state, "served_log", None)
    if served is None:
        return {"status": "ready"}
    state, reason = served.state()
    answer = {"status": "ready", "log": state}
    if reason:
        answer["log_error"] = reason
    return answer


def _loaded_model(request: Request) -> Model:
    """The served model, or the 503 that ``/ready`` answers until it is loaded."""
    model: Model | None = getattr(request.app.state, "model", None)
    if model is None:
        message = "The model is not loaded yet. Retry in a moment."
        raise ProblemError(503, message, [error_item(["path"], message, "not_ready")])
    return model


@router.get("/metadata", summary="The served model", responses={503: _NOT_READY})
async def metadata(request: Request) -> JSONResponse:
    """Schema, test metrics, the training summary (distributions of the target and the
    inputs, as the result page draws them), versions from the manifest and load time."""
    model = _loaded_model(request)
    body: dict[str, Any] = {
        "task": model.task,
        "target": model.schema.target.name,
        "classes": model.classes,
        "schema": model.schema.to_dict(),
        "metrics": model.metrics,
        "summary": model.summary,
        "manifest": model.manifest,
        "model_load_seconds": request.app.state.load_seconds,
        "python_version": platform.python_version(),
        # Threads each worker's estimator may use (tabship serve sets 1, see cli/serve.py).
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    return JSONResponse(json_safe(body, nonfinite="null"))


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Request counts and latency by route and status, predictions, model load time;
    with a prediction log, its queue, written, dropped rows and write errors, and the
    drift and live metrics of the last monitor report."""
    served: ServedLog | None = getattr(request.app.state, "served_log", None)
    metrics = request.app.state.metrics
    if served is not None and metrics.log is not None:
        metrics.log.observe(served.stats())
    text = metrics.exposition()
    return Response(text, media_type=CONTENT_TYPE_LATEST)
