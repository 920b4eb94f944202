"""The prediction API: ``POST /predict``, ``GET /predict`` and ``POST /predict/csv``.

The routes take the raw request and do three things: unwrap the envelope
(``serve._body``/``serve._csv``), call ``Model.score`` (which validates and predicts in
one place), and put the runtime's error locations back where they were in the request.
Small requests are scored on the event loop (a one-record prediction takes about a
millisecond, less than a hop to the thread pool); large ones go to the thread pool so
that a 10,000-record request does not stall ``/health``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from tabship.errors import ValidationError, error_item
from tabship.serve._auth import require_api_key
from tabship.serve._body import (
    Form,
    parse_flag,
    parse_records,
    relocate,
    too_many_records,
)
from tabship.serve._errors import ProblemError, ScoredAnswer, reject
from tabship.serve._monitoring import log_scored, new_ids
from tabship.serve._openapi import ErrorBody
from tabship.serve._text import attachment, lone_surrogates, scored_name

__all__ = ["router"]

INLINE_RECORDS = 64
_CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream", "")

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong API key (when one is set)."},
    413: {"model": ErrorBody, "description": "Body or number of records over the limit."},
    422: {"model": ErrorBody, "description": "Invalid records; every problem is listed."},
}

_CSV_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CSV file with a header row, as a form field 'file' or as the body.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    },
    "parameters": [
        {
            "name": "sep",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "default": ","},
            "description": "The field separator of the file.",
        }
    ],
}

router = APIRouter(dependencies=[Depends(require_api_key)], tags=["predict"])


@router.post("/predict", responses=_ERRORS, summary="Predict JSON records")
async def predict_json(request: Request) -> JSONResponse:
    """Predict one record, a list of records, or columns; ``?explain=true`` for reasons."""
    explain = _explain(request)
    raw = await request.body()
    records, form = parse_records(raw)
    if len(records) > request.app.state.max_records:
        raise too_many_records(len(records), request.app.state.max_records)
    unreadable = lone_surrogates(raw, records)
    if unreadable:
        raise ProblemError(422, None, relocate(unreadable, form))
    return await _score(request, records, form, explain, "POST /predict")


@router.get("/predict", responses=_ERRORS, summary="Predict one record from the query")
async def predict_query(request: Request) -> JSONResponse:
    """Predict the one record given as query parameters (``?age=19&sex=female``)."""
    record = {k: v for k, v in request.query_params.items() if k != "explain"}
    explain = _explain(request)
    return await _score(request, [record], "query", explain, "GET /predict")


@router.post(
    "/predict/csv",
    responses={
        **_ERRORS,
        200: {"content": {"text/csv": {}}, "description": "The CSV with prediction columns."},
        415: {"model": ErrorBody, "description": "The upload is not a CSV."},
    },
    response_class=StreamingResponse,
    summary="Predict every row of a CSV file",
    openapi_extra=_CSV_REQUEST,
)
async def predict_csv(request: Request) -> StreamingResponse:
    """The uploaded CSV with ``prediction`` (+ ``probability_<class>``), ``error`` and ``id``
    columns.

    Rows that fail validation are kept, with the reason in ``error`` and no prediction or
    id. The ``id`` of a scored row is what ``POST /feedback`` takes with its true outcome.
    Send the file as multipart form data (field ``file``) or as a ``text/csv`` body.
    """
    raw, filename = await _upload(request)
    model = request.app.state.model
    sep = request.query_params.get("sep", ",") or ","
    from tabship.serve._csv import parse_csv, scored_csv  # pandas, on the first upload only

    frame = await run_in_threadpool(parse_csv, raw, model.schema, sep)
    count = request.app.state.metrics.count_predictions
    chunks = scored_csv(
        model,
        frame,
        lambda predictions: count(model.task, predictions),
        request.app.state.served_log,
    )
    # The first chunk is scored before answering, so that a failure there is a proper
    # error response rather than a 200 cut short.
    first = await run_in_threadpool(next, chunks)
    return StreamingResponse(
        itertools.chain([first], chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(scored_name(filename))},
    )


def _explain(request: Request) -> bool:
    """``?explain=``: true or false; empty (``?explain``) is neither, and refused."""
    if not request.scope.get("query_string"):  # no query: no parsing it (a few us)
        return False
    value = request.query_params.get("explain")
    if value is not None and not value.strip():
        reject(
            ["query", "explain"],
            "The 'explain' parameter must be true or false. Got an empty value.",
            "bool_parsing",
            value,
            expected="true or false",
        )
    return parse_flag(value, "explain")


async def _score(
    request: Request, records: list[dict[str, Any]], form: Form, explain: bool, route: str
) -> JSONResponse:
    model = request.app.state.model
    # One record goes in as a dict: that is what takes the runtime's compiled fast path.
    data: Any = records[0] if form in ("record", "query") and len(records) == 1 else records
    started = time.perf_counter()
    try:
        if len(records) <= INLINE_RECORDS and not explain:
            scored = model.score(data, explain=explain)
        else:
            scored = await run_in_threadpool(model.score, data, explain=explain)
    except ValidationError as err:
        raise ProblemError(422, None, relocate(err.errors, form)) from None
    latency_ms = (time.perf_counter() - started) * 1000
    request.app.state.metrics.count_predictions(model.task, scored.predictions)
    scored.ids = new_ids(request.app.state.served_log, len(scored.predictions))
    log_scored(request.app.state.served_log, route, scored, latency_ms)
    body = scored.to_json()
    for key in ("warnings", "errors"):
        if body.get(key):
            body[key] = relocate(body[key], form)
    return ScoredAnswer(body)


def _one_file(files: list[tuple[str, UploadFile]]) -> UploadFile:
    """The form's one file (in the field 'file' or any other); none or several is a 422
    naming the fields, never a guess at which file the client meant."""
    if not files:
        message = "The form has no file. Send the CSV in a form field named 'file'."
        raise ProblemError(422, message, [error_item(["body", "file"], message, "missing")])
    if len(files) == 1:
        return files[0][1]
    names = [name for name, _ in files]
    message = (
        f"The form must hold one file, the CSV in the field 'file'. Got {len(files)} files, "
        f"in the fields {', '.join(repr(n) for n in names)}. Send one file per request."
    )
    items = [
        error_item(["body", name], message, "too_many_files", len(files), expected="one file")
        for name in dict.fromkeys(names)
    ]
    raise ProblemError(422, message, items)


async def _upload(request: Request) -> tuple[bytes, str]:
    """The CSV bytes and file name, from a multipart form or from the raw body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form()
        except HTTPException as err:  # Starlette's 400 for a broken multipart body
            reject(
                ["body"],
                f"The multipart form data cannot be read ({err.detail}). "
                "Send the CSV with -F file=@data.csv.",
                "multipart_invalid",
            )
        upload = _one_file([(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)])
        return await upload.read(), upload.filename or ""
    if content_type not in _CSV_TYPES:
        message = (
            f"The upload must be CSV: multipart form data or 'text/csv'. Got "
            f"'{content_type}'. "
            "Send the file with -F file=@data.csv or -H 'Content-Type: text/csv'."
        )
        item = error_item(
            ["header", "Content-Type"],
            message,
            "unsupported_media_type",
            content_type,
            expected="multipart/form-data or text/csv",
        )
        raise ProblemError(415, message, [item])
    return await request.body(), ""
