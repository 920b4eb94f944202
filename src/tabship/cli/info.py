"""``tabship info``: what a model expects, how good it is and what it was built with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tabship.cli._console import console, table
from tabship.cli._leaderboard import show_result

if TYPE_CHECKING:
    from tabship.data import Field

__all__ = ["info_command", "register"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship info models/charges
  tabship info models/charges.tabship --json
"""


def register(app: typer.Typer) -> None:
    app.command("info", epilog=EXAMPLES)(info_command)


def info_command(
    model: Annotated[Path, typer.Argument(help="A model folder or packed .tabship file.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print schema, metrics and manifest as JSON.")
    ] = False,
) -> None:
    """Show a model's schema, metrics, leaderboard and versions (hashes are verified)."""
    from tabship.artifact import load

    loaded = load(model)
    if as_json:
        payload = {
            "manifest": loaded.manifest,
            "schema": loaded.schema.to_dict(),
            "metrics": loaded.metrics,
        }
        print(json.dumps(payload, indent=2, default=str))
        return
    schema = loaded.schema
    target = schema.target
    console.print(f"[bold]{model}[/bold]: predicts '{target.name}' ({target.task})")
    if target.classes:
        console.print("classes: " + ", ".join(target.classes))
    console.print(table("Input fields", [_field_row(f) for f in schema.fields]))
    if schema.derived:
        console.print("derived: " + "; ".join(schema.derived))
    show_result(loaded.metrics.get("leaderboard", []), loaded.metrics)
    manifest = loaded.manifest
    libraries = ", ".join(f"{k} {v}" for k, v in manifest.get("libraries", {}).items())
    console.print(
        f"format {manifest.get('format_version')}, created {manifest.get('created')}, "
        f"tabship {manifest.get('tabship_version')}; {libraries}"
    )


def _field_row(field: Field) -> dict[str, Any]:
    if field.categories:
        shown = ", ".join(field.categories[:8]) + (" …" if len(field.categories) > 8 else "")
    elif field.minimum is not None:
        shown = f"{field.minimum:g} .. {field.maximum:g}"
    else:
        shown = ""
    return {
        "field": field.name,
        "role": field.role,
        "used": "yes" if field.used else "no",
        "required": "yes" if field.required and field.used else "no",
        "values": shown,
        "missing": f"{field.missing_fraction:.1%}",
    }
