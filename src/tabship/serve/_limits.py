"""The request body size limit, enforced before a byte too many is read.

Two checks, because either alone can be dodged: a ``Content-Length`` over the limit is
refused at once (413, nothing read), and a chunked body without a length is counted as it
streams in and refused as soon as it passes the limit. The count is raised from inside
``receive``, so the route that is reading the body sees a ``ProblemError`` and the
normal error handlers answer it in the canonical shape.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tabship.errors import error_item
from tabship.serve._errors import ProblemError, error_response

__all__ = ["BodySizeLimit", "too_large"]


def too_large(limit: int, got: int | None) -> ProblemError:
    """The 413 for a body over ``limit`` bytes (``got`` when the length is known)."""
    size = f"{got:,} bytes" if got is not None else f"more than {limit:,} bytes"
    message = (
        f"The request body must be at most {limit:,} bytes. Got {size}. "
        "Send fewer records per request, or split the CSV file."
    )
    item = error_item(["body"], message, "body_too_large", None, expected=f"<= {limit} bytes")
    return ProblemError(413, message, [item])


class BodySizeLimit:
    """ASGI middleware refusing HTTP request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            err = too_large(self.max_bytes, declared)
            response = error_response(err.status, err.message, err.detail)
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise too_large(self.max_bytes, None)
            return message

        return counted


def _content_length(scope: Any) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
