"""The one JSON error body every 4xx of the server has, and the handlers that build it.

Every client error — our validation, FastAPI's own 422, Starlette's 404 and 405, a
malformed or empty body, a body over the size limit (413), a missing API key (401) — is
answered with the same shape, so that a client parses one thing::

    {
      "message": "One sentence saying what is wrong and what to do.",
      "detail": [
        {"loc": ["body", 0, "age"],          # where: body/query/header/path, index, field
         "msg": "The 'age' field must be a number. Got 'abc' instead.",
         "type": "float_parsing",            # a stable machine-readable code
         "input": "abc",                     # what came (JSON-safe: NaN -> "NaN")
         "expected": "a number"},            # what was expected, when we know it
        ...
      ]
    }

``detail`` lists every problem at once (per index for a list of records); it may be
empty when the problem has no location (e.g. 404). A 500 only ever comes from a bug of
ours: the catch-all handler logs the traceback and answers the same shape with a generic
message, never the exception text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from tabship.data import JSONValue, json_safe
from tabship.errors import ErrorItem, TabshipError, ValidationError, error_item
from tabship.serve._methods import allow_header, allowed_methods

__all__ = [
    "JSONAnswer",
    "ProblemError",
    "ScoredAnswer",
    "error_body",
    "error_response",
    "install_error_handlers",
    "reject",
    "summarize",
]

log = logging.getLogger("tabship.serve")

_ITEM_KEYS = ("loc", "msg", "type", "input", "expected")


class ProblemError(Exception):
    """A client error raised inside the server, answered with the canonical body."""

    def __init__(
        self,
        status: int,
        message: str | None,
        detail: Sequence[ErrorItem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        message = message or summarize(detail)
        self.status = status
        self.message = message
        self.detail = [item.copy() for item in detail]
        self.headers = dict(headers or {})
        super().__init__(message)


def reject(
    loc: Sequence[int | str], message: str, type_: str, input_: object = None, **expected: object
) -> NoReturn:
    """Raise a 422 with one detail item whose ``msg`` is also the ``message``."""
    raise ProblemError(422, message, [error_item(loc, message, type_, input_, **expected)])


def error_body(message: str, detail: Sequence[Mapping[str, object]] = ()) -> dict[str, JSONValue]:
    """The canonical body: ``message`` plus the detail items, cut to their known keys.

    What a client sent is echoed JSON-safe: Starlette's JSON encoder refuses NaN and
    Infinity (rightly: they are not JSON), and a client may well send them; echoing them
    back as text (``"NaN"``) must not turn a 422 into a 500.
    """
    items = [{k: item[k] for k in _ITEM_KEYS if k in item} for item in detail]
    for item in items:
        item.setdefault("input", None)
    return {"message": message, "detail": json_safe(items, other=_echo_text)}


def _echo_text(value: object) -> JSONValue:
    """What JSON cannot hold, echoed as text: bytes decoded, other numpy scalars (text,
    dates) by their Python value."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    item = getattr(value, "item", None)
    if callable(item):
        return json_safe(item(), other=_echo_text)
    return str(value)


class JSONAnswer(JSONResponse):
    """A JSON response that cannot fail on text a client sent: what UTF-8 cannot hold
    (a lone surrogate echoed back) is written as a JSON escape instead of a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
            return text.encode("ascii")


class ScoredAnswer(JSONAnswer):
    """``JSONAnswer(json_safe(content, nonfinite="null"))``, walking the content only
    when it needs it: an answer's body is nearly always plain floats and text already,
    and the walk cost about 8 % of a one-record request. Whatever JSON cannot hold as
    it is (NaN and infinities: ``ValueError``; numpy values, arrays: ``TypeError``)
    sends it through ``json_safe`` as before, so the bytes are the same either way."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (ValueError, TypeError):
            return super().render(json_safe(content, nonfinite="null"))


def error_response(
    status: int,
    message: str,
    detail: Sequence[Mapping[str, object]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONAnswer(error_body(message, detail), status_code=status, headers=headers)


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return error_response(exc.status, exc.message, exc.detail, exc.headers)


async def _tabship(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TabshipError)
    if isinstance(exc, ValidationError):
        return error_response(exc.http_status, summarize(exc.errors), exc.errors)
    item = error_item(["body"], str(exc), _snake(type(exc).__name__))
    return error_response(exc.http_status, str(exc), [item])


async def _fastapi_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        error_item(e.get("loc", ()), e.get("msg", ""), e.get("type", "invalid"), e.get("input"))
        for e in exc.errors()
    ]
    return error_response(422, summarize(items), items)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = str(exc.detail).rstrip(".") + "."
    item = error_item(["path"], message, _snake(str(exc.detail)), request.url.path)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method of the path, not the first route's
        headers["Allow"] = allow_header(allowed_methods(request.app.router.routes, request.scope))
    return error_response(exc.status_code, message, [item], headers)


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    log.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500, "Internal server error: this is a bug in tabship; the server log has the details."
    )


# nginx's "client closed request": what /metrics counts for a client gone mid-body.
CLIENT_CLOSED = 499


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up before its body ended (a closed tab, a load generator
    stopping): nobody reads this answer, and it is no bug of ours, so no traceback and
    no 500 in /metrics."""
    log.info("Client closed %s %s before its body ended", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED)


def install_error_handlers(app: FastAPI) -> None:
    """Route every error class to the handler that answers it in the canonical shape."""
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(TabshipError, _tabship)
    app.add_exception_handler(RequestValidationError, _fastapi_validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _bug)


def summarize(items: Sequence[Mapping[str, object]]) -> str:
    """One sentence for ``message``: the first problem, and how many more there are."""
    if not items:
        return "The request is not valid."
    first = str(items[0].get("msg", "invalid input"))
    more = len(items) - 1
    return first if not more else f"{first} (and {more} more problem{'s' * (more > 1)})"


def _snake(text: str) -> str:
    """``"UnknownCategoryError"`` or ``"Not Found"`` -> ``"unknown_category_error"``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return "_".join(re.findall(r"[a-z0-9]+", spaced.lower())) or "error"
