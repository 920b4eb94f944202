"""The ``tabship`` command line: a thin Typer layer over the Python API (``cli/_app.py``).

Each command lives in its own module and holds no logic of its own. Every error tabship
raises on purpose reaches the user as one ``Error: ...`` line on stderr and a non-zero exit
code (``TabshipError.exit_code``), never as a traceback; ``TABSHIP_DEBUG=1`` shows the
traceback for bug reports.

This package imports nothing on its own: the console script's ``from tabship.cli import
main`` should not load Typer, Rich and every command module (about 0.3 s idle, 1.1 s at
load average 8) before a command needs them. (It once ran again in every worker that
``tabship serve --workers N`` spawned; workers are forked now, see ``cli/_workers.py``.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes

if TYPE_CHECKING:
    from tabship.cli._app import app

__all__ = ["app", "main"]

__getattr__ = lazy_attributes(__name__, {"app": "tabship.cli._app"})


def main() -> None:
    """Console-script entry point: run the app, turning errors into one readable line."""
    from tabship._lazy import paused_collection

    with paused_collection():
        from tabship.cli._app import main as run
    run()
