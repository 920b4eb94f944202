"""Terminal output shared by the commands: errors, progress lines and tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["console", "print_error", "progress_printer", "table"]

console = Console()
_err = Console(stderr=True)


def print_error(message: str) -> None:
    """One line on stderr; never markup-interpreted, since it quotes user data."""
    print(f"Error: {message}", file=sys.stderr)


@contextmanager
def progress_printer(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A live spinner with the current step on a terminal, plain lines otherwise."""
    if quiet:
        yield lambda _line: None
        return
    if not _err.is_terminal:
        yield lambda line: print(line, file=sys.stderr, flush=True)
        return
    with _err.status("starting", spinner="dots") as status:

        def show(line: str) -> None:
            _err.print(f"[dim]{_escape(line)}[/dim]")
            status.update(_escape(line))

        yield show


def table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    """A rich table of plain records, numbers formatted compactly."""
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
