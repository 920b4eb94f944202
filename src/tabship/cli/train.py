"""``tabship train``: fit, tune and validate a pipeline, then save it as an artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tabship.cli._console import console, progress_printer
from tabship.cli._leaderboard import show_result
from tabship.cli._output import check_output_dir
from tabship.errors import OptionError

__all__ = ["register", "train_command"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship train insurance.csv --target charges
  tabship train adult.csv -t income --time-budget 120 -o models/income
  tabship train auto-mpg.data --no-header --sep '\\s+' -t MPG \\
      --names MPG,Cylinders,Displacement,Horsepower,Weight,Acceleration,Year,Origin,Name \\
      --derive 'power_to_weight = Horsepower / Weight'
  tabship train college_scorecard.csv -t EARN_MDN_5YR --drop UNITID --role CIPCODE=categorical
"""


def register(app: typer.Typer) -> None:
    app.command("train", epilog=EXAMPLES)(train_command)


def train_command(
    data: Annotated[
        str,
        typer.Argument(
            help="CSV (.csv, .csv.gz), Parquet or whitespace file, local path or http(s) URL."
        ),
    ],
    target: Annotated[str, typer.Option("--target", "-t", help="The column to predict.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Model folder to write [default: models/TARGET]."),
    ] = None,
    time_budget: Annotated[
        float, typer.Option(help="Wall-clock seconds for the whole run.", min=1.0)
    ] = 60.0,
    task: Annotated[
        str | None, typer.Option(help="regression, binary or multiclass [default: detected].")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="Override a column's role: COL=ROLE (repeatable).")
    ] = None,
    drop: Annotated[list[str] | None, typer.Option(help="Leave a column out (repeatable).")] = None,
    derive: Annotated[
        list[str] | None, typer.Option(help="A derived column, 'name = expression' (repeatable).")
    ] = None,
    na: Annotated[
        list[str] | None, typer.Option(help="Another missing-value marker (repeatable).")
    ] = None,
    sep: Annotated[
        str | None, typer.Option(help="Field separator, e.g. ';' or '\\s+' [default: sniffed].")
    ] = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="The file has no header row.")
    ] = False,
    names: Annotated[
        str | None, typer.Option(help="Comma-separated column names for a file without header.")
    ] = None,
    test_size: Annotated[
        float, typer.Option(help="Fraction of rows held out for the final test.")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Random seed of the split, folds and search.")] = 42,
    stratify: Annotated[
        str | None, typer.Option(help="Stratify the test split on this column.")
    ] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    no_refit: Annotated[
        bool, typer.Option("--no-refit", help="Keep the model fitted on the training split only.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing model folder.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Train a tuned, validated pipeline for TARGET and save it as a model folder."""
    from tabship.training import train

    destination = output or Path("models") / _safe_name(target)
    check_output_dir(destination, force=force)
    with progress_printer(quiet) as say:
        run = train(
            data,
            target,
            time_budget=time_budget,
            task=task,
            roles=parse_assignments(role or [], "--role"),
            drop=drop or [],
            derive=derive or [],
            na_values=na or [],
            sep=sep,
            header=not no_header,
            names=names.split(",") if names else None,
            test_size=test_size,
            seed=seed,
            stratify=stratify,
            folds=folds,
            refit=not no_refit,
            progress=say,
        )
        saved = run.save(destination, force=force)
    show_result(run.leaderboard, run.metrics)
    console.print(f"Model saved to [bold]{saved}[/bold]")
    console.print(f"Report: {saved / 'report.html'}")


def parse_assignments(items: list[str], option: str) -> dict[str, str]:
    """Parse repeated ``COL=VALUE`` options, naming the option in the error."""
    parsed: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise OptionError(option, "COLUMN=VALUE, e.g. Origin=categorical", item)
        parsed[name.strip()] = value.strip()
    return parsed


def _safe_name(target: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in target.strip())
    return cleaned.strip("_") or "model"
