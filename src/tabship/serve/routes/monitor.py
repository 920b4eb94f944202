"""The monitor's routes: ``POST /feedback``, ``GET /monitor`` and ``GET /monitor.json``.

They need a prediction log (``tabship serve --log URL``); without one each answers 404
with a message saying how to turn it on. All three are behind the API key when one is
set. Every database call runs on the thread pool, never on the event loop that answers
predictions.

``POST /feedback`` takes ``[{"id": ..., "actual": ...}, ...]`` and checks each item on
its own: 200 when every item was stored, 207 (Multi-Status) when some were and others
not, 422 when none was; the body says ``stored`` and lists every problem in the house
error shape, located ``["body", index, "id" | "actual"]``.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tabship.data import json_safe
from tabship.errors import OptionError, error_item
from tabship.serve._auth import require_api_key
from tabship.serve._body import too_many_records
from tabship.serve._errors import JSONAnswer, ProblemError, error_body, reject, summarize
from tabship.serve._openapi import ErrorBody, ErrorItem
from tabship.serve._text import lone_surrogates

if TYPE_CHECKING:
    from tabship.monitor import FeedbackResult, MonitorReport
    from tabship.serve._monitoring import ServedLog

__all__ = ["router"]

FLUSH_BEFORE_FEEDBACK_S = 5.0  # ids answered a moment ago may still be in the queue
DEFAULT_WINDOW = "7d"

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["monitor"])


class FeedbackAnswer(BaseModel):
    """The answer of ``POST /feedback``: how many outcomes were stored, and the problems
    of the items that were not (empty when all were)."""

    stored: int = Field(description="Outcomes stored by this request.")
    message: str
    detail: list[ErrorItem] = Field(description="One item per problem, located by item.")


_NO_LOG = {"model": ErrorBody, "description": "The server runs without a prediction log."}
_AUTH = {"model": ErrorBody, "description": "Missing or wrong API key (when one is set)."}
_BAD_QUERY = {"model": ErrorBody, "description": "A window or threshold that is not valid."}
_FEEDBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": FeedbackAnswer, "description": "Every outcome was stored."},
    207: {"model": FeedbackAnswer, "description": "Some stored; `detail` lists the rest."},
    401: _AUTH,
    404: _NO_LOG,
    413: {"model": ErrorBody, "description": "Body or number of items over the limit."},
    422: {
        "description": "Nothing stored; every problem is listed (a body that is not a list "
        "of outcomes at all gets the canonical error body, without 'stored').",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/FeedbackAnswer"},
                        {"$ref": "#/components/schemas/ErrorBody"},
                    ]
                }
            }
        },
    },
}
_FEEDBACK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The true outcome of earlier predictions, by the id their answer gave.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "An id from /predict."},
                            "actual": {
                                "description": "The true value: a number, or a class label."
                            },
                        },
                        "required": ["id", "actual"],
                    },
                },
                "example": [{"id": "3f2c0a9e8b7d4c1e9a6b5d4c3b2a1f0e", "actual": 16884.92}],
            }
        },
    }
}


def _query(name: str, kind: str, text: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": kind},
        "description": text,
    }


_WINDOW_PARAMETERS: dict[str, Any] = {
    "parameters": [
        _query("since", "string", "The window: the last 90s, 30m, 12h, 7d (default) or 2w."),
        _query("last", "integer", "The window: the last N records instead of a time."),
        _query("warn", "number", "PSI at which a drift warns (default 0.1)."),
        _query("alert", "number", "PSI at which a drift alerts (default 0.25)."),
    ]
}


@router.post(
    "/feedback",
    responses=_FEEDBACK_RESPONSES,
    response_model=FeedbackAnswer,
    summary="Send the true outcomes of earlier predictions",
    openapi_extra=_FEEDBACK_BODY,
)
async def feedback(request: Request) -> JSONResponse:
    """Store the true outcome (``actual``) of predictions, by the ``id`` each answer gave.

    Each item is checked on its own (an unknown or repeated id, a value of the wrong type
    for the target, NaN): the good ones are stored, the others listed in ``detail``.
    200: all stored; 207: some stored; 422: none stored.
    """
    served = _served_log(request)
    raw = await request.body()
    items = _feedback_items(raw, request.app.state.max_records)
    unreadable = lone_surrogates(raw, items)
    if unreadable:  # an id or a label no database can store as text
        raise ProblemError(422, None, [{**i, "loc": ["body", *i["loc"]]} for i in unreadable])
    model = request.app.state.model
    result = await run_in_threadpool(_store_feedback, served, items, model.task, model.classes)
    status = 200 if not result.errors else (207 if result.stored else 422)
    message = (
        f"Stored {result.stored} outcome{'s' * (result.stored != 1)}."
        if not result.errors
        else f"Stored {result.stored} of {len(items)}. " + summarize(result.errors)
    )
    body = {"stored": result.stored, **error_body(message, result.errors)}
    return JSONAnswer(body, status_code=status)


@router.get(
    "/monitor.json",
    responses={401: _AUTH, 404: _NO_LOG, 422: _BAD_QUERY},
    summary="Drift and live metrics of the logged predictions",
    openapi_extra=_WINDOW_PARAMETERS,
)
async def monitor_json(request: Request) -> JSONResponse:
    """``{"model", "records", "since", "features": {name: {"psi", "missing_rate",
    "status"}}, "prediction", "feedback": {"records", "metrics"}, ...}`` over the
    window (``?since=7d`` by default, or ``?last=N``)."""
    report = await _report(request)
    return JSONResponse(json_safe(report, nonfinite="null"))


@router.get(
    "/monitor",
    response_class=HTMLResponse,
    responses={401: _AUTH, 404: _NO_LOG, 422: _BAD_QUERY},
    summary="Drift and live metrics, as a page",
    openapi_extra=_WINDOW_PARAMETERS,
)
async def monitor_page(request: Request) -> HTMLResponse:
    """The monitor report as a web page (server-drawn SVG; works without JavaScript)."""
    report = await _report(request)
    from tabship.views import render_monitor_page

    root = str(request.scope.get("root_path", "")).rstrip("/")
    title = f"{request.app.state.model.schema.target.name} model"
    return HTMLResponse(render_monitor_page(report, title=title, root=root))


def _served_log(request: Request) -> ServedLog:
    """The worker's prediction log, or the 404 saying how to turn it on."""
    served: ServedLog | None = getattr(request.app.state, "served_log", None)
    if served is None:
        message = (
            "This server keeps no prediction log, so there is nothing to monitor or give "
            "feedback on. Start it with --log URL (or TABSHIP_LOG_URL), e.g. "
            "tabship serve MODEL --log sqlite:///predictions.db."
        )
        raise ProblemError(404, message, [error_item(["path"], message, "no_prediction_log")])
    return served


def _feedback_items(raw: bytes, limit: int) -> list[Any]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        reject(
            ["body"],
            'The request body is not valid JSON. Send [{"id": "...", "actual": ...}, ...].',
            "json_invalid",
            raw[:80].decode("utf-8", errors="replace"),
        )
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        reject(
            ["body"],
            'The body must be a non-empty list of {"id": "...", "actual": ...} objects.',
            "feedback_type",
            data if not isinstance(data, list) else [],
            expected='[{"id": "...", "actual": ...}, ...]',
        )
    if len(data) > limit:
        raise too_many_records(len(data), limit)
    return data


def _store_feedback(
    served: ServedLog, items: list[Any], task: str, classes: list[str] | None
) -> FeedbackResult:
    served.flush(FLUSH_BEFORE_FEEDBACK_S)
    return served.log.add_feedback(items, task, classes, model=served.watched.sha)


async def _report(request: Request) -> MonitorReport:
    served = _served_log(request)
    window = _window(request)
    watched = served.watched

    def build() -> MonitorReport:
        served.flush(FLUSH_BEFORE_FEEDBACK_S)
        return watched.report(served.log, **window)

    report = await run_in_threadpool(build)
    log_metrics = request.app.state.metrics.log
    if log_metrics is not None:
        log_metrics.observe_report(report)
    return report


def _window(request: Request) -> dict[str, Any]:
    """``since``/``last``/``warn``/``alert`` from the query, checked (422 naming one)."""
    from tabship.monitor import parse_duration

    query = request.query_params
    since_text, last_text = query.get("since"), query.get("last")
    if since_text is not None and last_text is not None:
        _bad("last", last_text, "left out when 'since' is given (one window)")
    since: timedelta | None = None
    last: int | None = None
    if last_text is not None:
        last = _positive_int("last", last_text)
    else:
        try:
            since = parse_duration(since_text or DEFAULT_WINDOW, "since")
        except OptionError:
            _bad("since", since_text, "a positive duration such as 90s, 30m, 12h, 7d or 2w")
    warn = _threshold("warn", query.get("warn"), 0.1)
    alert = _threshold("alert", query.get("alert"), 0.25)
    if warn > alert and query.get("warn") is None:  # the user set only 'alert'
        _bad("alert", query.get("alert"), f"at least 'warn' ({warn:g}, its default)")
    if warn > alert:
        _bad("warn", query.get("warn"), f"at most 'alert' ({alert:g})")
    return {"since": since, "last": last, "warn": warn, "alert": alert}


_MAX_LAST = 1_000_000_000


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        _bad(name, text, "a positive whole number")
    if not 0 < value <= _MAX_LAST:  # past 2**63 SQLite's INTEGER overflowed: a 500
        _bad(name, text, f"a positive whole number up to {_MAX_LAST:,}")
    return value


def _threshold(name: str, text: str | None, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        _bad(name, text, "a number from 0 up")
    if not math.isfinite(value) or value < 0:
        _bad(name, text, "a number from 0 up")
    return value


def _bad(name: str, value: object, expected: str) -> NoReturn:
    reject(
        ["query", name],
        f"The '{name}' parameter must be {expected}. Got {value!r}.",
        "query_invalid",
        value,
        expected=expected,
    )
