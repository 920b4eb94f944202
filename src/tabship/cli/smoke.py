"""``tabship smoke``: check a deployed service (and that it serves your model) in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabship.cli._console import console, table

__all__ = ["register", "smoke_command"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship smoke http://127.0.0.1:8000
  tabship smoke https://charges.example.org --model models/charges --api-key s3cret
"""


def register(app: typer.Typer) -> None:
    app.command("smoke", epilog=EXAMPLES)(smoke_command)


def smoke_command(
    url: Annotated[str, typer.Argument(help="Base URL of the deployed tabship service.")],
    model: Annotated[
        Path | None,
        typer.Option(help="Local model the service should serve; its answers are compared."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="TABSHIP_API_KEY", help="Bearer token of the server.")
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each answer.", min=0.1)
    ] = 10.0,
) -> None:
    """Call /health, /ready, /metadata and /predict; exit 0 only when every check holds."""
    from tabship.deploy import smoke_test
    from tabship.errors import RemoteError

    report = smoke_test(url, model=model, api_key=api_key, timeout=timeout)
    if not report.reachable:
        raise RemoteError(url, report.checks[0].detail)
    rows = [
        {"check": c.name, "result": "ok" if c.ok else "FAILED", "detail": c.detail}
        for c in report.checks
    ]
    console.print(table(f"Smoke test of {url}", rows, ["check", "result", "detail"]))
    failed = [c.name for c in report.checks if not c.ok]
    if failed:
        console.print(f"[bold red]FAILED[/bold red]: {', '.join(failed)}")
        raise typer.Exit(1)
    console.print(f"[bold green]OK[/bold green]: all {len(report.checks)} checks hold")
