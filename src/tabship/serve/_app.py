"""The ASGI app factory: one served model, loaded once at startup."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

import tabship
from tabship.serve._auth import require_api_key
from tabship.serve._direct import DirectPredict, find_route
from tabship.serve._errors import JSONAnswer, install_error_handlers
from tabship.serve._limits import BodySizeLimit
from tabship.serve._methods import HttpMethods
from tabship.serve._metrics import LogMetrics, Metrics, MetricsMiddleware
from tabship.serve._monitoring import LogOptions, ServedLog
from tabship.serve._openapi import install_openapi
from tabship.serve.routes import api, health, monitor

if TYPE_CHECKING:
    from tabship.runtime import Model

__all__ = ["create_app"]

MiB = 1024 * 1024
STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    model_path: str | os.PathLike[str] | Model,
    *,
    api_key: str | None = None,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int = 10 * MiB,
    max_records: int = 10_000,
    strict_categories: bool = False,
    log: LogOptions | None = None,
) -> FastAPI:
    """Build the app serving one model; the lifespan loads it once, at startup.

    ::

        /                   GET  the input form          POST  the result page   (pages)
        /predict            POST JSON: record | records | columns, ?explain=true  [key]
        /predict            GET  one record from the query string                 [key]
        /predict/csv        POST a CSV back with prediction columns, streamed      [key]
        /health             GET  liveness, always 200
        /ready              GET  200 once the model is loaded, 503 before
        /metadata           GET  schema, metrics, versions, load time
        /metrics            GET  Prometheus text
        /feedback           POST true outcomes of earlier predictions, by id      [key]
        /monitor            GET  drift and live metrics, a page (with --log)      [key]
        /monitor.json       GET  the same numbers as JSON                         [key]
        /docs, /openapi.json     the API, described from the model's schema
        /static/...              CSS and JS of the pages, served locally

    ``[key]``: needs ``Authorization: Bearer <api_key>`` when ``api_key`` is set.

    Parameters
    ----------
    model_path : path or Model
        A model folder or packed file; or an already loaded ``tabship.runtime.Model``
        (``tabship serve`` with one worker passes the model it just checked, so that the
        artifact is read once).
    api_key : str, optional
        Bearer token required on the prediction routes.
    cors_origins : sequence of str
        Origins allowed by CORS; none (CORS off) by default.
    max_body_bytes : int
        Largest request body accepted; larger ones get 413 before being read.
    max_records : int
        Most records in one JSON request; more get 413 (upload a CSV instead).
    strict_categories : bool
        Refuse (422, naming the allowed values) a category unseen in training, instead of
        accepting it with a warning.
    log : LogOptions, optional
        Log every prediction to this database (``tabship serve --log URL``); without it
        ``/feedback`` and the monitor routes answer 404 saying how to turn it on.
    """
    # FastAPIOffline serves Swagger UI's files from the package, not from a CDN: the
    # docs must work on a server with no internet access.
    app = FastAPIOffline(
        favicon_url="/static-offline-docs/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
        redoc_url=None,
        title="tabship model API",
        version=tabship.__version__,
        description="Predictions from a model trained and saved by tabship.",
        lifespan=_lifespan(model_path, strict_categories, log),
        default_response_class=JSONAnswer,
        **_no_opentelemetry(),
    )
    app.state.model = None
    app.state.served_log = None
    app.state.api_key = api_key or None
    app.state.max_records = max_records
    app.state.load_seconds = None
    app.state.metrics = Metrics()
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(monitor.router)
    _include_pages(app)
    # Innermost of our middlewares: POST /predict past FastAPI's router (see _direct).
    predict = find_route(app.router.routes, "/predict", "POST")
    app.add_middleware(DirectPredict, route=predict, check=require_api_key)
    app.add_middleware(HttpMethods, routes=app.router.routes)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app


def _no_opentelemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry bridge off, where the FastAPI version has one: it looked
    up the global tracer, meter and logger providers (three environment reads) on every
    request, 6.7 us of a one-record prediction, for an export tabship does not offer
    (its metrics are Prometheus', at /metrics)."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def _lifespan(
    model_path: str | os.PathLike[str] | Model,
    strict_categories: bool,
    log: LogOptions | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        if isinstance(model_path, str | os.PathLike):
            from tabship.runtime import load

            model = load(Path(model_path), lean=True)
            seconds = time.perf_counter() - started
        else:
            model = model_path
            seconds = getattr(model, "load_seconds", None) or 0.0
        if getattr(model, "plan", None) is None:  # the plan predicts on one thread already
            _one_thread_per_estimator(model.pipeline)
        model.allow_unknown_categories = not strict_categories
        app.state.load_seconds = seconds
        app.state.metrics.load_seconds.set(seconds)
        app.state.model = model
        if log is None:
            yield
        else:
            async with _prediction_log(app, log, model):
                yield
        app.state.model = None

    return lifespan


@contextlib.asynccontextmanager
async def _prediction_log(app: FastAPI, options: LogOptions, model: Model) -> AsyncIterator[None]:
    """The worker's prediction log for as long as it serves; on shutdown (SIGTERM, after
    the last request is answered) everything queued is written before the exit."""
    served = ServedLog.open(options, model)
    metrics = app.state.metrics.watch_log(model.schema.names)
    app.state.served_log = served
    task = asyncio.create_task(_sync_metrics(served, metrics))
    try:
        yield
    finally:
        task.cancel()
        app.state.served_log = None
        served.close()
        metrics.observe(served.stats())
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def _sync_metrics(served: ServedLog, metrics: LogMetrics) -> None:
    """Copy the writer's counters into this worker's metrics every second, so that
    ``/metrics`` answered by any worker shows every worker's log."""
    while True:
        metrics.observe(served.stats())
        await asyncio.sleep(1.0)


def _one_thread_per_estimator(pipeline: Any) -> None:
    """Score with one thread: the server's concurrency comes from worker processes.

    A one-record prediction spends more time starting threads than computing, and
    several workers each starting a full pool would fight over the same cores.
    """
    params = pipeline.get_params(deep=True) if hasattr(pipeline, "get_params") else {}
    changes = {k: 1 for k, v in params.items() if k.endswith("n_jobs") and v not in (None, 1)}
    if changes:
        pipeline.set_params(**changes)


def _include_pages(app: FastAPI) -> None:
    """The HTML pages and their static files, when this install has them."""
    try:
        from tabship.serve.routes.pages import router
    except ModuleNotFoundError as err:
        if err.name != "tabship.serve.routes.pages":
            raise
        return
    app.include_router(router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
