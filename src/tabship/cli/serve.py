"""``tabship serve``: run the web app and REST API of a model under uvicorn.

Concurrency comes from worker *processes*, not threads: each worker scores one request
at a time with one thread (``OMP_NUM_THREADS=1``), because a one-record prediction is
dominated by thread start-up, not arithmetic (HistGradientBoosting: ~17 ms with all
threads, ~6 ms with one). The default is one worker per available CPU, at most 4, which
fills a small machine while bounding memory. Several workers are forked from a parent
that has loaded the model and built the app (``cli/_workers.py``): they answer as soon as
they are forked, and share the model's pages until they write to them.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from tabship._lazy import paused_collection
from tabship.cli._console import console
from tabship.errors import OptionError

if TYPE_CHECKING:
    import uvicorn

    from tabship.data import Schema
    from tabship.runtime import Model
    from tabship.serve import LogOptions

__all__ = ["default_workers", "register", "serve_command"]

MAX_DEFAULT_WORKERS = 4
GRACEFUL_SHUTDOWN_S = 15  # with --log: under Kubernetes' default 30 s grace period
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

EXAMPLES = """
[bold]Examples[/bold]

  tabship serve models/charges
  tabship serve models/income.tabship --host 0.0.0.0 --port 8080 --workers 4
  tabship serve models/charges --api-key s3cret --cors https://example.org
  TABSHIP_API_KEY=s3cret tabship serve models/charges

  curl -X POST localhost:8000/predict -H 'Content-Type: application/json' \\
       -d '{"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes",
            "region": "southwest"}'
  curl -F file=@new.csv localhost:8000/predict/csv -o scored.csv

  tabship serve models/charges --log sqlite:///logs/charges.db --log-retention 30d
  tabship serve models/charges --log postgresql://tabship:pw@db:5432/logs --log-exclude name
  curl -X POST localhost:8000/feedback -H 'Content-Type: application/json' \\
       -d '[{"id": "<id from /predict>", "actual": 16884.92}]'
  curl localhost:8000/monitor.json?since=24h
"""


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=EXAMPLES)(serve_command)


def serve_command(
    model: Annotated[str, typer.Argument(help="Model folder or packed .tabship file.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes [default: one per available CPU, at most 4].", min=1),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="TABSHIP_API_KEY",
            help="Require 'Authorization: Bearer KEY' on the prediction routes.",
        ),
    ] = None,
    cors: Annotated[
        list[str] | None,
        typer.Option(help="Allow browser calls from this origin (repeatable); off by default."),
    ] = None,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body, in MiB (413 above).", min=0.001)
    ] = 10.0,
    max_records: Annotated[
        int, typer.Option(help="Most records in one JSON request (413 above).", min=1)
    ] = 10_000,
    strict_categories: Annotated[
        bool,
        typer.Option(
            "--strict-categories",
            help="Refuse categories unseen in training (422) instead of warning.",
        ),
    ] = False,
    log: Annotated[
        str | None,
        typer.Option(
            "--log",
            envvar="TABSHIP_LOG_URL",
            help="Log every prediction here: sqlite:///file.db or "
            "postgresql://user:pass@host:port/db (enables /feedback and /monitor).",
        ),
    ] = None,
    log_retention: Annotated[
        str | None,
        typer.Option(
            help="Delete logged predictions older than this (30d, 12h); default: keep all."
        ),
    ] = None,
    log_exclude: Annotated[
        list[str] | None,
        typer.Option(help="Keep this input field out of the log (repeatable); no drift for it."),
    ] = None,
    log_optional: Annotated[
        bool,
        typer.Option(
            "--log-optional",
            help="Start even if the log's database cannot be reached (degraded, see /ready).",
        ),
    ] = False,
) -> None:
    """Serve MODEL: an input form at /, JSON and CSV prediction, /docs, /metrics; with
    --log, every prediction is logged and /feedback, /monitor and /monitor.json answer."""
    for variable in _THREAD_VARIABLES:  # before numpy/scikit-learn start their pools
        os.environ.setdefault(variable, "1")
    n_workers = workers or default_workers()
    _check_cors(cors or [])
    with paused_collection():
        loaded = _load_or_fail(model)  # once: several workers are forked from this process
    log_options = None
    if log:
        log_options = _log_options(log, log_retention, log_exclude or [], log_optional)
        _check_log(log_options, loaded.schema)
    options: AppOptions = {
        "api_key": api_key or None,
        "cors_origins": list(cors or []),
        "max_body_bytes": int(max_body_mb * 1024 * 1024),
        "max_records": max_records,
        "strict_categories": strict_categories,
        "log": log_options,
    }
    console.print(
        f"Serving [bold]{model}[/bold] ({loaded.task}) on http://{host}:{port} "
        f"with {n_workers} worker{'s' * (n_workers > 1)}; API docs at /docs"
        + (f"; logging predictions to {_shown(log_options)}" if log_options else "")
    )
    if n_workers > 1:
        _run_workers(loaded, host, port, n_workers, options)
    else:
        _run_one(loaded, host, port, options)


def default_workers() -> int:
    """One worker per CPU this process may use, at most ``MAX_DEFAULT_WORKERS``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def _load_or_fail(model: str) -> Model:
    """Load the artifact here, so a bad path is one ``Error:`` line, not a server crash."""
    from tabship.runtime import load

    return load(model, lean=True)


def _listening_socket(host: str, port: int) -> socket.socket:
    """The workers' shared socket, with TCP_NODELAY set for the connections it accepts.

    uvicorn's multi-worker mode left Nagle's algorithm on: a response's headers and body
    went out as two segments and the second waited for the client's delayed ACK, adding
    44 ms to every request (measured with wrk: p50 44 ms with two workers, 1.1 ms with
    one). Linux copies TCP_NODELAY from a listening socket to the sockets it accepts.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
    except OSError as err:
        listener.close()
        raise OptionError("--port", f"a free port on {host} ({err.strerror})", port) from None
    listener.set_inheritable(True)
    return listener


def _check_cors(origins: list[str]) -> None:
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise OptionError("--cors", "an origin such as https://example.org or *", origin)


def _log_options(url: str, retention: str | None, exclude: list[str], optional: bool) -> LogOptions:
    seconds = None
    if retention is not None:
        from tabship.monitor import parse_duration  # only with --log: SQLAlchemy loads here

        seconds = parse_duration(retention, "--log-retention").total_seconds()
    return {"url": url, "retention_seconds": seconds, "exclude": exclude, "optional": optional}


def _check_log(options: LogOptions, schema: Schema) -> None:
    """Refuse, in one line before any worker starts, a log URL that cannot be used and
    an excluded field the model does not have. With ``--log-optional`` a database that
    cannot be reached is only a warning (a URL that can never work is still refused)."""
    from tabship.monitor import LogError, open_log, parse_log_url

    names = schema.names
    for name in options["exclude"]:
        if name not in names:
            raise OptionError(
                "--log-exclude", f"one of the model's fields ({', '.join(names)})", name
            )
    parse_log_url(options["url"])
    try:
        open_log(options["url"]).close()
    except LogError as err:
        if not options["optional"]:
            raise
        print(f"Warning: {err} Starting with the log degraded.", file=sys.stderr)


def _shown(options: LogOptions) -> str:
    from rich.markup import escape

    from tabship.monitor import mask_password

    return escape(mask_password(options["url"]))


class AppOptions(TypedDict):
    """The ``create_app`` keywords that ``tabship serve`` sets."""

    api_key: str | None
    cors_origins: list[str]
    max_body_bytes: int
    max_records: int
    strict_categories: bool
    log: LogOptions | None


def _run_one(loaded: Model, host: str, port: int, options: AppOptions) -> None:
    with paused_collection():
        import uvicorn

        from tabship.serve import create_app

        app = create_app(loaded, **options)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=_graceful_seconds(options),
    )


def _run_workers(loaded: Model, host: str, port: int, workers: int, options: AppOptions) -> None:
    """Several processes forked from this one once it holds the app (see ``cli._workers``)."""
    from tabship.cli._workers import run_workers

    with ExitStack() as stack:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Workers write their metrics here and /metrics merges them (see serve._metrics).
            # Set before prometheus_client's import, which picks its kind of value then.
            metrics_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="tabship-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        listener = stack.enter_context(_listening_socket(host, port))
        with paused_collection():  # frozen, the parent's objects stay shared by the workers
            config = _server_config(loaded, options)
        _log_listening(listener)
        code = run_workers(workers, lambda: _serve_forked(config, listener))
    if code:
        raise typer.Exit(code)


def _server_config(loaded: Model, options: AppOptions) -> uvicorn.Config:
    """uvicorn's configuration with the app built and loaded, so that a forked worker
    only has to start its event loop (the lifespan then sets the model in place)."""
    import uvicorn

    from tabship.serve import create_app

    config = uvicorn.Config(
        create_app(loaded, **options),
        log_level="info",
        timeout_graceful_shutdown=_graceful_seconds(options),
    )
    config.load()
    config.get_loop_factory()  # imports the event loop's module here, once
    return config


def _log_listening(listener: socket.socket) -> None:
    """uvicorn's line, which it prints only for a socket it opened itself."""
    import logging

    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, port
    )


def _serve_forked(config: uvicorn.Config, listener: socket.socket) -> int:
    """One worker, in its forked process: the exit code (3 when it could not start)."""
    import uvicorn

    from tabship.cli._workers import STARTUP_FAILURE

    server = uvicorn.Server(config)
    server.run(sockets=[listener])
    return 0 if server.started else STARTUP_FAILURE


def _graceful_seconds(options: AppOptions) -> int | None:
    """How long a SIGTERM'd worker waits for open connections before its shutdown goes
    on regardless: bounded when predictions are logged, so that a client that never
    pauses cannot hold the worker until the orchestrator's SIGKILL, which would lose the
    log's queue (the lifespan writes it once the connections are done). None (wait
    for them) without a log, as before."""
    return GRACEFUL_SHUTDOWN_S if options["log"] is not None else None
