"""``tabship demo``: train on the bundled insurance data, then serve it, in one command."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from tabship.cli._console import console
from tabship.cli.serve import serve_command
from tabship.cli.train import train_command

__all__ = ["demo_command", "register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model folder to (re)write.")
    ] = Path("models/charges"),
    time_budget: Annotated[
        float, typer.Option(help="Wall-clock seconds for training.", min=1.0)
    ] = 30.0,
    port: Annotated[int, typer.Option(help="Port of the demo server.", min=0, max=65535)] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the model after training.")
    ] = True,
) -> None:
    """Train on the bundled hospital-charges data (insurance.csv, target 'charges'), then
    serve it on http://127.0.0.1:8000 (Ctrl-C stops it)."""
    data = resources.files("tabship.demo").joinpath("insurance.csv")
    with resources.as_file(data) as path:
        console.print(f"Training on the bundled demo data {path.name} (target 'charges')")
        train_command(
            str(path), target="charges", output=output, time_budget=time_budget, force=True
        )
    if serve:
        console.print(
            f"Open http://127.0.0.1:{port}/ for the form, /docs for the API; Ctrl-C to stop."
        )
        serve_command(str(output), port=port)
