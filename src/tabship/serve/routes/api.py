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

from tabship.data import json_safe
from tabship.errors import ValidationError, error_item
from tabship.serve._auth import require_api_key
from tabship.serve._body import (
    Form,
    parse_flag,
    parse_records,
    relocate,
    too_many_records,
)
from tabship.serve._errors import ProblemError, reject
from tabship.serve._monitoring import log_scored, new_ids
from tabship.serve._openapi import ErrorBody

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
    explain = parse_flag(request.query_params.get("explain"), "explain")
    records, form = parse_records(await request.body())
    if len(records) > request.app.state.max_records:
        raise too_many_records(len(records), request.app.state.max_records)
    return await _score(request, records, form, explain, "POST /predict")


@router.get("/predict", responses=_ERRORS, summary="Predict one record from the query")
async def predict_query(request: Request) -> JSONResponse:
    """Predict the one record given as query parameters (``?age=19&sex=female``)."""
    record = {k: v for k, v in request.query_params.items() if k != "explain"}
    explain = parse_flag(request.query_params.get("explain"), "explain")
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
    stem = filename.rsplit(".", 1)[0] if filename else "predictions"
    return StreamingResponse(
        itertools.chain([first], chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.scored.csv"'},
    )


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
    return JSONResponse(json_safe(body, nonfinite="null"))


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
        files = [v for v in form.values() if isinstance(v, UploadFile)]
        field = form.get("file")
        upload = field if isinstance(field, UploadFile) else None
        upload = upload or (files[0] if files else None)
        if upload is None:
            message = "The form has no file. Send the CSV in a form field named 'file'."
            raise ProblemError(422, message, [error_item(["body", "file"], message, "missing")])
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
