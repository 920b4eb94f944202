"""Prometheus metrics of one app: requests, latency, predictions and model load time.

Each app gets its own ``CollectorRegistry`` so that two apps in one process (tests) do
not collide on metric names. With several uvicorn workers each worker is a process with
its own counters; when ``PROMETHEUS_MULTIPROC_DIR`` is set (``tabship serve --workers N``
sets it to a fresh folder) prometheus_client writes every worker's values to that folder
and ``/metrics`` merges them, so any worker answers for all. Without it the numbers are
those of the worker that answered.

Requests are labelled by route *template* (``/predict``, never ``/predict?age=19``) so
that the label set stays small; paths that match no route share ``route="unmatched"``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]

# Latency buckets around what one-record prediction takes (ms) up to big CSV uploads (s).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The app's metrics and the text ``/metrics`` answers with."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tabship_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "tabship_http_request_duration_seconds",
            "Time from request to the end of the response, by route template and status.",
            ("method", "route", "status"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "tabship_predictions",
            "Records predicted, by task and predicted class (empty for regression).",
            ("task", "predicted_class"),
            registry=self.registry,
        )
        self.load_seconds = Gauge(
            "tabship_model_load_seconds",
            "Seconds the model took to load at startup.",
            registry=self.registry,
            multiprocess_mode="max",
        )

    def count_predictions(self, task: str, predictions: Iterable[object]) -> None:
        if task == "regression":
            n = sum(1 for _ in predictions)
            if n:
                self.predictions.labels(task, "").inc(n)
            return
        counts: dict[str, int] = {}
        for label in predictions:
            counts[str(label)] = counts.get(str(label), 0) + 1
        for label, n in counts.items():
            self.predictions.labels(task, label).inc(n)

    def exposition(self) -> bytes:
        """The Prometheus text format, merged over workers in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware timing every HTTP request and counting it by route and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            labels = (scope.get("method", ""), template, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - start)
