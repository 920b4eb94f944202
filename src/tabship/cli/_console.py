"""Terminal output shared by the commands: errors, progress lines and tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["console", "print_error", "print_result", "progress_printer", "table"]


class _LazyConsole:
    """rich's Console, made on first use: importing rich takes 0.02 s, a twentieth of a
    ``tabship predict`` of a small file, which never needs it when its output is a pipe."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole())
_err = cast("Console", _LazyConsole(stderr=True))


def print_result(text: str, emphasis: str = "") -> None:
    """A command's result line, ``emphasis`` (a path) at its end: in bold on a terminal;
    as plain text otherwise, never wrapped nor read as markup (a path may hold ``[``)."""
    if not sys.stdout.isatty():
        print(text + emphasis, flush=True)
        return
    console.print(_escape(text) + (f"[bold]{_escape(emphasis)}[/bold]" if emphasis else ""))


def print_error(message: str) -> None:
    """One line on stderr; never markup-interpreted, since it quotes user data."""
    print(f"Error: {message}", file=sys.stderr)


@contextmanager
def progress_printer(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A live spinner with the current step on a terminal, plain lines otherwise."""
    if quiet:
        yield lambda _line: None
        return
    if not sys.stderr.isatty():  # asked before rich is imported: a pipe never needs it
        yield lambda line: print(line, file=sys.stderr, flush=True)
        return
    with _err.status("starting", spinner="dots") as status:

        def show(line: str) -> None:
            _err.print(f"[dim]{_escape(line)}[/dim]")
            status.update(_escape(line))

        yield show


def table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    """A rich table of plain records, numbers formatted compactly."""
    from rich.table import Table

    out = Table(title=title, title_justify="left", show_lines=False)
    columns = columns or (list(rows[0]) if rows else [])
    for name in columns:
        out.add_column(name, overflow="fold")
    for row in rows:
        out.add_row(*(_format(row.get(name)) for name in columns))
    return out


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return ""
    return _escape(str(value))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
