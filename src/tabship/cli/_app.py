"""The Typer app of the ``tabship`` command and its entry point (``tabship.cli.main``).

Each command lives in its own module and holds no logic of its own. Every error tabship
raises on purpose reaches the user as one ``Error: ...`` line on stderr and a non-zero exit
code (``TabshipError.exit_code``), never as a traceback; ``TABSHIP_DEBUG=1`` shows the
traceback for bug reports.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings
from typing import TextIO

import typer

from tabship.cli import (
    demo,
    deploy,
    feedback,
    info,
    monitor,
    pack,
    predict,
    serve,
    smoke,
    train,
)
from tabship.cli._console import print_error
from tabship.cli._errors import error_message
from tabship.errors import TabshipError, TabshipWarning

__all__ = ["app", "main"]

app = typer.Typer(
    name="tabship",
    help="From a table and a target column to a tuned, validated, served ML pipeline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)
for _module in (train, info, pack, predict, serve, feedback, monitor, smoke, deploy, demo):
    _module.register(app)


def main() -> None:
    """Console-script entry point: run the app, turning errors into one readable line."""
    try:
        _run()
    finally:
        _skip_collection_at_exit()


def _skip_collection_at_exit() -> None:
    """At exit CPython collects garbage again and again while it clears modules: with pandas
    loaded, 0.06-0.1 s of the 0.6 s a one-row ``tabship predict`` takes. Freezing the heap
    skips that work. Nothing is lost: every command has closed its files by now (outputs
    are written to a temporary file, then renamed), ``atexit`` hooks and ``weakref``
    finalizers still run, and the operating system takes the memory back."""
    gc.freeze()


def _run() -> None:
    debug = os.environ.get("TABSHIP_DEBUG") == "1"
    if not debug:
        _show_only_tabship_warnings()
    try:
        app()
    except TabshipError as err:
        if debug:
            raise
        print_error(error_message(err))
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        print_error("interrupted.")
        sys.exit(130)
    except Exception as err:  # a bug of ours: still one line, with the way to see more
        if debug:
            raise
        print_error(
            f"unexpected {type(err).__name__}: {err}. "
            "Run again with TABSHIP_DEBUG=1 to see the traceback, and please report it."
        )
        sys.exit(1)


def _show_only_tabship_warnings() -> None:
    """Third-party warnings are noise to a CLI user; ours are printed as one line each."""
    warnings.simplefilter("ignore")
    warnings.simplefilter("always", TabshipWarning)

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(f"Warning: {message}", file=sys.stderr)

    warnings.showwarning = show
