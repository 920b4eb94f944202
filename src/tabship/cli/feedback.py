"""``tabship feedback``: the true outcomes of logged predictions, in bulk from a CSV file.

The same check as ``POST /feedback``, row by row: the good rows are stored, each bad one
is reported with its row number and column, and the exit code says whether all made it
(0) or some did not (1). A log or file that cannot be used is one ``Error:`` line.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tabship.cli._console import console
from tabship.errors import ColumnNotFoundError, DataFileError, OptionError

if TYPE_CHECKING:
    from tabship.errors import ErrorItem

__all__ = ["feedback_command", "register"]

SHOWN_ERRORS = 20  # rows with problems listed before "... and N more"

EXAMPLES = """
[bold]Examples[/bold]

  tabship feedback sqlite:///logs/charges.db outcomes.csv --actual-col charges
  tabship feedback postgresql://tabship:pw@db:5432/logs outcomes.csv \\
      --id-col prediction_id --actual-col charges --model models/charges
"""


def register(app: typer.Typer) -> None:
    app.command("feedback", epilog=EXAMPLES)(feedback_command)


def feedback_command(
    log_url: Annotated[
        str, typer.Argument(help="The prediction log: sqlite:///file.db or postgresql://...")
    ],
    file: Annotated[Path, typer.Argument(help="A CSV file with the ids and the true values.")],
    id_col: Annotated[
        str, typer.Option("--id-col", help="The column holding the prediction ids.")
    ] = "id",
    actual_col: Annotated[
        str | None,
        typer.Option(
            "--actual-col",
            help="The column holding the true values (default: the model's target, with --model).",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="The model that made the predictions: its ids only, and its target's "
            "type and classes checked.",
        ),
    ] = None,
) -> None:
    """Store the true outcomes of logged predictions, for the live metrics."""
    from tabship.monitor import open_log

    task, classes, model_key, target = _model_facts(model)
    column = actual_col or target
    if column is None:
        raise OptionError("--actual-col", "the column of true values (or give --model)", None)
    items = _read_items(file, id_col, column)
    log = open_log(log_url)
    try:
        result = log.add_feedback(items, task, classes, model=model_key, loc_prefix=("row",))
    finally:
        log.close()
    console.print(f"Stored {result.stored} outcome(s) in {log.url}.", highlight=False)
    if result.errors:
        _report(result.errors, result.failed, id_col, column)
        raise typer.Exit(1)


def _model_facts(
    model: Path | None,
) -> tuple[str | None, list[str] | None, str | None, str | None]:
    """The task, classes, log key and target name of ``model`` (all None without one)."""
    if model is None:
        return None, None, None, None
    from tabship.artifact import load
    from tabship.monitor import model_hash

    loaded = load(model, build_pipeline=False)
    target = loaded.schema.target
    return target.task, target.classes, model_hash(loaded.manifest), target.name


def _read_items(file: Path, id_col: str, actual_col: str) -> list[object]:
    """One ``{"id", "actual"}`` item per data row of ``file`` (csv module, no pandas)."""
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            if not columns:
                raise DataFileError(file, "it is empty")
            for name in (id_col, actual_col):
                if name not in columns:
                    raise ColumnNotFoundError(name, columns)
            return [{"id": row[id_col], "actual": row[actual_col]} for row in reader]
    except FileNotFoundError:
        raise DataFileError(file, "no such file") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise DataFileError(file, f"it is not a UTF-8 CSV file ({err})") from None
    except IsADirectoryError:
        raise DataFileError(file, "it is a folder, not a CSV file") from None


def _report(errors: list[ErrorItem], failed: int, id_col: str, actual_col: str) -> None:
    """One line per problem (row numbers count data rows from 1), on stderr."""
    names = {"id": id_col, "actual": actual_col}
    err = typer.get_text_stream("stderr")
    print(f"{failed} row(s) not stored:", file=err)
    for error in errors[:SHOWN_ERRORS]:
        row = error["loc"][1] if len(error["loc"]) > 1 else "?"
        key = str(error["loc"][-1])
        column = names.get(key, key)
        message = error["msg"].replace(f"'{key}'", f"'{column}'")
        print(
            f"  row {int(row) + 1 if isinstance(row, int) else row}, {column}: {message}", file=err
        )
    if len(errors) > SHOWN_ERRORS:
        print(f"  ... and {len(errors) - SHOWN_ERRORS} more.", file=err)
