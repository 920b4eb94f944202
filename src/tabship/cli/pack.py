"""``tabship pack``: one ``.tabship`` file holding a model folder, to copy or upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabship.cli._console import console

__all__ = ["pack_command", "register"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship pack models/charges                 # -> models/charges.tabship
  tabship pack models/charges -o charges.tabship --force
"""


def register(app: typer.Typer) -> None:
    app.command("pack", epilog=EXAMPLES)(pack_command)


def pack_command(
    model: Annotated[Path, typer.Argument(help="A model folder written by 'tabship train'.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The file to write [default: MODEL.tabship]."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Pack a model folder into one verified .tabship file, loadable like the folder."""
    from tabship.artifact import load, pack

    load(model)  # verify hashes and types before shipping anything
    destination = output or model.with_name(model.name + ".tabship")
    written = pack(model, destination, force=force)
    console.print(f"Packed {model} into [bold]{written}[/bold] ({written.stat().st_size:,} bytes)")
