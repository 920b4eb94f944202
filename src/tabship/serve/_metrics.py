"""Prometheus metrics of one app: requests, latency, predictions and model load time.

Each app gets its own ``CollectorRegistry`` so that two apps in one process (tests) do
not collide on metric names. With several uvicorn workers each worker is a process with
its own counters; when ``PROMETHEUS_MULTIPROC_DIR`` is set (``tabship serve --workers N``
sets it to a fresh folder) prometheus_client writes every worker's values to that folder
and ``/metrics`` merges them, so any worker answers for all. Without it the numbers are
those of the worker that answered.

Every label takes values from a bounded set, whatever clients send: requests are
labelled by route *template* (``/predict``, never ``/predict?age=19``), paths that match
no route share ``route="unmatched"``, and a method outside RFC 9110's list shares
``method="other"`` (each made-up method used to add 18 series).
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from tabship.monitor import MonitorReport, WriterStats

__all__ = ["CONTENT_TYPE_LATEST", "LogMetrics", "Metrics", "MetricsMiddleware"]

KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}
)
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

        self.log: LogMetrics | None = None
        # Each label set's children, looked up once: ``labels()`` checks and locks on
        # every call, a few µs a request. Label values are bounded (see the module doc),
        # and so is this cache.
        self._answered: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._predicted: dict[tuple[str, str], Counter] = {}

    def observe_request(self, method: str, route: str, status: str, seconds: float) -> None:
        """Count one answered request and its duration."""
        key = (method, route, status)
        children = self._answered.get(key)
        if children is None:
            children = (self.requests.labels(*key), self.latency.labels(*key))
            self._answered[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def watch_log(self, features: Collection[str]) -> LogMetrics:
        """Add the prediction log's metrics (a server with ``--log``); ``features`` are
        the schema's names, the only label values the drift gauge takes."""
        if self.log is None:  # once per app, however often its lifespan runs
            self.log = LogMetrics(self.registry, features)
        return self.log

    def count_predictions(self, task: str, predictions: Iterable[object]) -> None:
        if task == "regression":
            n = sum(1 for _ in predictions)
            if n:
                self._predictions(task, "").inc(n)
            return
        counts: dict[str, int] = {}
        for label in predictions:
            counts[str(label)] = counts.get(str(label), 0) + 1
        for label, n in counts.items():
            self._predictions(task, label).inc(n)

    def _predictions(self, task: str, label: str) -> Counter:
        child = self._predicted.get((task, label))
        if child is None:
            child = self._predicted[task, label] = self.predictions.labels(task, label)
        return child

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
        method = scope.get("method", "")  # before an inner middleware answers HEAD as GET

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
            self.metrics.observe_request(
                method if method in KNOWN_METHODS else "other",
                template,
                str(status),
                time.perf_counter() - start,
            )


class LogMetrics:
    """The prediction log's writer (per worker, summed over workers) and the last
    monitor report's drift and live metrics (the most recent report any worker made).

    The writer keeps plain integers; :meth:`observe` adds what changed since its last
    call to the Prometheus counters (so that, with several workers, each worker's file
    holds its own totals and ``/metrics`` sums them). A worker calls it every second and
    before answering ``/metrics``.
    """

    def __init__(self, registry: CollectorRegistry, features: Collection[str]) -> None:
        self.features = frozenset(features)
        self.queued = _gauge(
            registry,
            "log_queue_depth",
            "Records waiting to be written to the prediction log.",
            "livesum",
        )
        self.written = _counter(
            registry, "log_rows_written", "Records written to the prediction log."
        )
        self.dropped = _counter(
            registry,
            "log_rows_dropped",
            "Records not logged: the queue was full, or the database refused them.",
        )
        self.errors = _counter(
            registry,
            "log_write_errors",
            "Failed write attempts to the prediction log (each is retried).",
        )
        self.degraded = _gauge(
            registry,
            "log_degraded",
            "1 while writes to the prediction log fail, else 0.",
            "livemax",
        )
        last = "in the last monitor report"
        self.psi = _gauge(
            registry,
            "drift_psi",
            f"Population stability index of each feature {last}.",
            "mostrecent",
            ("feature",),
        )
        self.prediction_psi = _gauge(
            registry,
            "prediction_drift_psi",
            f"Population stability index of the prediction {last}.",
            "mostrecent",
        )
        self.live = _gauge(
            registry,
            "live_metric",
            f"Live metrics on the records with feedback {last}.",
            "mostrecent",
            ("metric",),
        )
        self.feedback = _gauge(
            registry, "feedback_records", f"Records with feedback {last}'s window.", "mostrecent"
        )
        self._seen = (0, 0, 0)

    def observe(self, stats: WriterStats) -> None:
        """Bring the writer's counters into the metrics."""
        now = (stats.written, stats.dropped, stats.write_errors)
        for counter, before, after in zip(
            (self.written, self.dropped, self.errors), self._seen, now, strict=True
        ):
            if after > before:
                counter.inc(after - before)
        self._seen = now
        self.queued.set(stats.queued)
        self.degraded.set(1 if stats.degraded else 0)

    def observe_report(self, report: MonitorReport) -> None:
        """Set the drift and live-metric gauges from a report just made. Label values
        stay bounded: the schema's features, and the metric names tabship.monitor knows."""
        for name, drift in report["features"].items():
            if name in self.features:
                self.psi.labels(name).set(drift["psi"])
        prediction = report["prediction"]
        if prediction is not None:
            self.prediction_psi.set(prediction["psi"])
        self.feedback.set(report["feedback"]["records"])
        live: Mapping[str, float] = report["feedback"]["metrics"]
        for metric, value in live.items():
            self.live.labels(metric).set(value)


GaugeMode = Literal["livesum", "livemax", "mostrecent"]


def _gauge(
    registry: CollectorRegistry,
    name: str,
    text: str,
    mode: GaugeMode,
    labels: tuple[str, ...] = (),
) -> Gauge:
    """``tabship_<name>``; ``mode`` says how several workers' values combine."""
    return Gauge(f"tabship_{name}", text, labels, registry=registry, multiprocess_mode=mode)


def _counter(registry: CollectorRegistry, name: str, text: str) -> Counter:
    return Counter(f"tabship_{name}", text, registry=registry)
