"""``POST /predict`` answered straight from the middleware stack, past FastAPI's router.

A one-record prediction is the request a server sees most, and FastAPI's way to it
(exception middleware, exit stack, route matching over every route, the dependency
solver, the endpoint wrapper) cost about as much CPU as validating and scoring the
record: profiled in-process on the insurance model, 40 % of a request's time was
spent between ``MetricsMiddleware`` and the endpoint. ``DirectPredict`` sits innermost
of the app's own middlewares (so the metrics, body limit, CORS and method handling
still see the request) and, for exactly ``POST /predict``, does what the router would:
notes the route for the metrics' label, runs the API-key check the router's dependency
runs, calls the same endpoint, and answers any error through the app's own exception
handlers, so that the answer is the same bytes either way. Every other request goes on
to FastAPI unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from tabship.serve._methods import _leaves

__all__ = ["DirectPredict", "find_route"]

Endpoint = Callable[[Request], Awaitable[Response]]
Check = Callable[[Request], Awaitable[None]]


class DirectPredict:
    """ASGI middleware: ``POST /predict`` through ``check`` and ``route``'s endpoint."""

    def __init__(self, app: ASGIApp, route: BaseRoute, check: Check) -> None:
        self.app = app
        self.route = route
        self.path: str = getattr(route, "path")  # noqa: B009 - a BaseRoute has no .path
        self.endpoint: Endpoint = getattr(route, "endpoint")  # noqa: B009
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope.get("root_path")  # the router strips it; let the router do so
        ):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # what the router sets: the metrics' route label
        request = Request(scope, receive, send)
        try:
            await self.check(request)
            response = await self.endpoint(request)
        except Exception as exc:
            handler = _handler(scope, exc)
            if handler is None:
                raise  # a bug: ServerErrorMiddleware answers the 500, as for any route
            response = await handler(request, exc)
        await response(scope, receive, send)


def _handler(scope: Scope, exc: Exception) -> Callable[..., Awaitable[Response]] | None:
    """The app's handler for ``exc``, looked up as Starlette's exception middleware does
    (by class, nearest first); the catch-all ``Exception`` handler is left to
    ``ServerErrorMiddleware``, where the router's errors meet it too."""
    handlers: dict[Any, Any] = scope["app"].exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            handler: Callable[..., Awaitable[Response]] = handlers[cls]
            return handler
    return None


def find_route(routes: Iterable[BaseRoute], path: str, method: str) -> BaseRoute:
    """The route answering ``method`` at ``path`` (inside FastAPI's wrappers of included
    routers, where a FastAPI version has them)."""
    for route in _leaves(routes):
        if getattr(route, "path", None) == path and method in (getattr(route, "methods", ()) or ()):
            return route
    raise LookupError(f"No route answers {method} {path}")
