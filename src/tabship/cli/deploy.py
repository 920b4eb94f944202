"""``tabship deploy``: a self-contained folder to ship a model to a platform."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tabship.cli._console import console

__all__ = ["deploy_command", "register"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship deploy models/charges --target docker -o deploy/docker
  tabship deploy models/charges.tabship --target heroku -o deploy/heroku
  tabship deploy models/charges --target kubernetes -o deploy/k8s --force
  tabship deploy models/charges --target kubernetes -o deploy/k8s \\
      --log-url postgresql://tabship:pw@db.internal:5432/logs
  tabship deploy models/charges --target docker -o deploy/docker \\
      --log-url postgresql://tabship:pw@db:5432/tabship_log    # + compose.yaml with PostgreSQL
"""


class Target(StrEnum):
    docker = "docker"
    heroku = "heroku"
    azure = "azure"
    kubernetes = "kubernetes"


def register(app: typer.Typer) -> None:
    app.command("deploy", epilog=EXAMPLES)(deploy_command)


def deploy_command(
    model: Annotated[str, typer.Argument(help="Model folder or packed .tabship file.")],
    target: Annotated[Target, typer.Option("--target", "-t", help="Where it will run.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The folder to write.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the contents of a non-empty folder.")
    ] = False,
    log_url: Annotated[
        str | None,
        typer.Option(
            help="Log every prediction of the deployed server here (TABSHIP_LOG_URL): "
            "postgresql://user:pass@host:port/db, or sqlite:////abs/path.db for docker. "
            "The password is not written to the folder.",
        ),
    ] = None,
) -> None:
    """Write a folder that ships MODEL: the packed model, pinned requirements, tabship's
    wheel, the platform's files and a README with the commands."""
    from tabship.deploy import write_deployment

    written = write_deployment(model, target.value, output, force=force, log_url=log_url)
    console.print(f"Wrote the {target.value} deployment of {model} to [bold]{written}[/bold]")
    if log_url:
        console.print("The prediction log's URL is set where the README says (TABSHIP_LOG_URL).")
    console.print(f"Next: read {written / 'README.md'} for the commands to ship it.")
