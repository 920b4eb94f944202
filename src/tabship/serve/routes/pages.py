"""The HTML pages: ``GET /`` (the input form) and ``POST /`` (the result page).

Both are plain server-rendered pages: a form post works with JavaScript off, the charts
are inline SVG, the CSS is served from ``/static``. The form post goes through the same
``Model.score`` as the JSON API, so a value typed in the form is validated, defaulted and
predicted exactly as the same value sent as JSON; a bad value re-renders the form (422)
with the message next to its field and the typed values kept.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from tabship.errors import ValidationError
from tabship.serve._monitoring import log_scored, new_ids
from tabship.views import (
    errors_by_field,
    form_fields,
    metric_caption,
    record_from_form,
    result_view,
)

if TYPE_CHECKING:
    from tabship.runtime import Model

__all__ = ["router"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_TASK_LABELS = {"regression": "regression", "binary": "binary classification"}

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
)
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def form_page(request: Request) -> HTMLResponse:
    """The input form, pre-filled with the schema's example record."""
    model = request.app.state.model
    context = _page_context(request, model)
    context.update(fields=form_fields(model.schema), general_errors=[], has_errors=False)
    return templates.TemplateResponse(request, "form.html", context)


@router.post("/", response_class=HTMLResponse)
async def result_page(request: Request) -> HTMLResponse:
    """Score the posted form; the result page, or the form again with the errors (422)."""
    model = request.app.state.model
    form = await request.form()
    typed, record = record_from_form(form, model.schema)
    context = _page_context(request, model)
    started = time.perf_counter()
    try:
        scored = await run_in_threadpool(model.score, record, explain=True)
    except ValidationError as error:
        by_field, general = errors_by_field(error.errors, typed)
        context.update(
            fields=form_fields(model.schema, typed, by_field),
            general_errors=general,
            has_errors=True,
        )
        return templates.TemplateResponse(request, "form.html", context, status_code=422)
    latency_ms = (time.perf_counter() - started) * 1000
    scored.ids = new_ids(request.app.state.served_log, len(scored.predictions))
    log_scored(request.app.state.served_log, "POST /", scored, latency_ms)
    result = result_view(model, scored, typed)
    context.update(
        result=result,
        record_id=scored.ids[0] if scored.ids else "",
        fields=form_fields(model.schema, result.values),
    )
    return templates.TemplateResponse(request, "result.html", context)


def _page_context(request: Request, model: Model) -> dict[str, Any]:
    """What every page shows: the target, the task, the model and its test score."""
    schema = model.schema
    metrics = model.metrics or {}
    classes = schema.target.classes or []
    task_label = _TASK_LABELS.get(schema.task, f"{len(classes)}-class classification")
    return {
        "root": str(request.scope.get("root_path", "")).rstrip("/"),
        "target": schema.target.name,
        "task_label": task_label,
        "best_model": metrics.get("best_model", ""),
        "metric": metric_caption(metrics, schema.task),
        "version": (model.manifest or {}).get("tabship_version", ""),
    }
