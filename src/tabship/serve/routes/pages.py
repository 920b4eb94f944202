"""The HTML pages: ``GET /`` (the input form), ``POST /`` (the result page) and, on a
server with an API key, ``/login`` and ``/logout``.

Both are plain server-rendered pages: a form post works with JavaScript off, the charts
are inline SVG, the CSS is served from ``/static``. The form post goes through the same
``Model.score`` as the JSON API, so a value typed in the form is validated, defaulted and
predicted exactly as the same value sent as JSON; a bad value re-renders the form (422)
with the message next to its field and the typed values kept.

With ``--api-key`` the form predicts as the API does: only for a caller who has the key.
A browser without it gets the sign-in page (401) instead of the form; signing in sets
the session cookie ``serve._auth`` describes, and the form works as without a key.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from tabship.errors import ValidationError, error_item
from tabship.serve._auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    has_access,
    key_matches,
    new_session,
)
from tabship.serve._errors import ProblemError
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
    if not has_access(request):
        return _sign_in_page(request)
    model = request.app.state.model
    context = _page_context(request, model)
    context.update(fields=form_fields(model.schema), general_errors=[], has_errors=False)
    return templates.TemplateResponse(request, "form.html", context)


@router.post("/", response_class=HTMLResponse)
async def result_page(request: Request) -> HTMLResponse:
    """Score the posted form; the result page, or the form again with the errors (422)."""
    if not has_access(request):
        return _sign_in_page(request)
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


@router.get("/login", response_class=HTMLResponse, response_model=None)
async def login_page(request: Request) -> HTMLResponse | RedirectResponse:
    """The sign-in page; the form itself once signed in."""
    _api_key(request)
    if has_access(request):
        return RedirectResponse(f"{_root(request)}/", status_code=303)
    return _sign_in_page(request, status_code=200)


@router.post("/login", response_class=HTMLResponse, response_model=None)
async def login(request: Request) -> HTMLResponse | RedirectResponse:
    """Check the typed key; right: the session cookie and back to the form (303)."""
    expected = _api_key(request)
    form = await request.form()
    typed = form.get("key")
    if not isinstance(typed, str) or not key_matches(expected, typed):
        return _sign_in_page(request, wrong_key=True)
    root = _root(request)
    response = RedirectResponse(f"{root}/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        new_session(expected),
        max_age=SESSION_SECONDS,
        path=f"{root}/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """Forget the session cookie; back to the sign-in page."""
    _api_key(request)
    root = _root(request)
    response = RedirectResponse(f"{root}/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"{root}/", httponly=True, samesite="strict")
    return response


def _api_key(request: Request) -> str:
    """The server's key, or the 404 of a server that has none (nothing to sign in to)."""
    key: str | None = request.app.state.api_key
    if not key:
        message = "This server has no API key, so there is nothing to sign in to. Open / instead."
        raise ProblemError(404, message, [error_item(["path"], message, "no_api_key")])
    return key


def _sign_in_page(
    request: Request, *, wrong_key: bool = False, status_code: int = 401
) -> HTMLResponse:
    """The page asking for the API key (401), in place of a page that needs it."""
    context = _page_context(request, request.app.state.model)
    context["wrong_key"] = wrong_key
    return templates.TemplateResponse(
        request,
        "login.html",
        context,
        status_code=status_code,
        headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
    )


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _page_context(request: Request, model: Model) -> dict[str, Any]:
    """What every page shows: the target, the task, the model and its test score."""
    schema = model.schema
    metrics = model.metrics or {}
    classes = schema.target.classes or []
    task_label = _TASK_LABELS.get(schema.task, f"{len(classes)}-class classification")
    return {
        "root": _root(request),
        "signed_in": bool(request.app.state.api_key) and has_access(request),
        "target": schema.target.name,
        "task_label": task_label,
        "best_model": metrics.get("best_model", ""),
        "metric": metric_caption(metrics, schema.task),
        "version": (model.manifest or {}).get("tabship_version", ""),
    }
