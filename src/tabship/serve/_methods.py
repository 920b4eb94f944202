"""HTTP methods as RFC 9110 has them, on every route of the app.

FastAPI routes answer only the methods they declare, and Starlette's 405 names the
methods of the first route that matched the path, not of the path. So, in one pure ASGI
middleware: ``HEAD`` is answered wherever ``GET`` is (the same status and headers, no
body), ``OPTIONS`` answers 204 with ``Allow`` listing every method of the path, and
``allowed_methods`` gives the 405 handler the same list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HttpMethods", "allow_header", "allowed_methods", "answers"]

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route answers at ``scope``'s path (empty: no route has it)."""
    routes = list(routes)
    methods = {m for m in _METHODS if answers(routes, scope, m)}
    if "GET" in methods:
        methods.add("HEAD")
    if methods:
        methods.add("OPTIONS")
    return methods


def answers(routes: Iterable[BaseRoute], scope: Scope, method: str) -> bool:
    """The route the router would pick for ``method`` at this path answers it (a mount
    matches any method; the static files answer GET and HEAD only)."""
    probe = {**scope, "type": "http", "method": method}
    for route in routes:
        if route.matches(probe)[0] == Match.FULL:
            return not isinstance(route, Mount) or method in ("GET", "HEAD")
    return False


def allow_header(methods: Iterable[str]) -> str:
    return ", ".join(sorted(methods))


class HttpMethods:
    """ASGI middleware: ``HEAD`` as ``GET`` without the body, ``OPTIONS`` with ``Allow``."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the app's route list, filled in before the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method") if scope["type"] == "http" else None
        if method not in ("HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        methods = allowed_methods(self.routes, scope)
        if method == "OPTIONS" and methods and not answers(self.routes, scope, "OPTIONS"):
            await _no_content(send, methods)
            self._note_route(scope)
        elif method == "HEAD" and "GET" in methods and not answers(self.routes, scope, "HEAD"):
            await self._head_as_get(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _note_route(self, scope: Scope) -> None:
        """The route of the path, for the metrics' label, as the router would set it."""
        for method in ("GET", "POST"):
            probe = {**scope, "type": "http", "method": method}
            for route in _leaves(self.routes):
                match, child = route.matches(probe)
                if match == Match.FULL and "route" in child:
                    scope["route"] = child["route"]
                    return

    async def _head_as_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ``GET`` answer's status and headers; its body is not sent (the server,
        seeing ``HEAD`` in its own scope, would not write it either)."""
        inner = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, without_body)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]


def _leaves(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes themselves, inside FastAPI's wrappers of included routers (if a
    FastAPI version has none, the routes as they are)."""
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is None:
            yield route
        else:
            yield from _leaves(inner)


async def _no_content(send: Send, methods: set[str]) -> None:
    headers = [(b"allow", allow_header(methods).encode("latin-1")), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
