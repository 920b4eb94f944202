"""``tabship predict``: score a file with a local model or a running server, in chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tabship.cli._console import console, progress_printer

__all__ = ["predict_command", "register"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship predict models/charges new.csv -o scored.csv
  tabship predict models/income.tabship big.parquet -o scored.parquet --chunk-size 100000
  tabship predict http://127.0.0.1:8000 new.csv -o scored.csv
  tabship predict models/charges new.csv -o scored.csv --url http://127.0.0.1:8000
  tabship predict models/income 'data/*.parquet' -o scored/ --dask tcp://scheduler:8786
"""


def register(app: typer.Typer) -> None:
    app.command("predict", epilog=EXAMPLES)(predict_command)


def predict_command(
    model: Annotated[
        str, typer.Argument(help="Model folder, .tabship file, or http(s) URL of a tabship server.")
    ],
    data: Annotated[
        Path,
        typer.Argument(help="CSV (.csv, .csv.gz) or Parquet file (a folder or glob with --dask)."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Scored file (.csv, .csv.gz, .parquet).")
    ],
    chunk_size: Annotated[
        int, typer.Option(help="Rows per chunk; memory stays bounded by it.", min=1)
    ] = 50_000,
    api_key: Annotated[
        str | None, typer.Option(envvar="TABSHIP_API_KEY", help="Bearer token of the server.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    url: Annotated[
        str | None,
        typer.Option(help="Score on this running server; MODEL's schema checks the columns."),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            metavar="SCHEDULER_ADDRESS",
            help="Score a folder or glob of files on this Dask cluster, one output file per "
            "partition into the folder OUTPUT (needs tabship\\[dask]).",
        ),
    ] = None,
) -> None:
    """Append prediction (and class probability) columns to every row of DATA."""
    if dask:
        _predict_on_dask(model, str(data), output, dask, force=force)
        return
    from tabship.batch import score_file

    scorer = _scorer(url or model, api_key)
    if url:
        from tabship.artifact import load as load_artifact

        scorer.schema = load_artifact(model).schema
    with progress_printer(quiet) as say:
        report = score_file(
            scorer,
            data,
            output,
            chunk_size=chunk_size,
            force=force,
            progress=lambda rows: say(f"scored {rows:,} rows"),
        )
    console.print(
        f"Scored {report.scored:,} of {report.rows:,} rows in {report.seconds:.1f} s "
        f"-> [bold]{report.output}[/bold]"
    )
    if report.errors_output:
        console.print(f"{report.failed:,} rows failed validation -> {report.errors_output}")


def _predict_on_dask(model: str, data: str, output: Path, scheduler: str, *, force: bool) -> None:
    from tabship.batch import score_files_on_dask

    report = score_files_on_dask(model, data, output, scheduler=scheduler, force=force)
    console.print(
        f"Scored {report.scored:,} of {report.rows:,} rows from {report.files} files in "
        f"{report.partitions} partitions in {report.seconds:.1f} s -> [bold]{report.output}[/bold]"
    )
    if report.failed:
        console.print(f"{report.failed:,} rows failed validation -> part-*.errors.csv")


def _scorer(model: str, api_key: str | None) -> Any:
    if model.startswith(("http://", "https://")):
        return _RemoteScorer(model, api_key)
    from tabship.runtime import load

    # Files are scored in large chunks, where LightGBM's own threads beat Treelite's.
    return load(model, native_lightgbm=True)


class _RemoteScorer:
    """The part of ``Model`` that batch scoring uses, answered by a server."""

    def __init__(self, url: str, api_key: str | None) -> None:
        from tabship.client import Client

        self.client = Client(url, api_key=api_key)
        self.client.health()  # fail fast, with one clear line, when it is unreachable
        self.schema = None

    def score(self, frame: Any, *, strict: bool = False, probability_dicts: bool = True) -> Any:
        from tabship.client import score_frame_remotely

        return score_frame_remotely(self.client, frame)
