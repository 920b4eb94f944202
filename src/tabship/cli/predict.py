"""``tabship predict``: score a file with a local model or a running server, in chunks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tabship.cli._console import console, print_result, progress_printer
from tabship.errors import OptionError

if TYPE_CHECKING:
    from tabship.batch import LoggedRun

__all__ = ["predict_command", "register"]

EXAMPLES = """
[bold]Examples[/bold]

  tabship predict models/charges new.csv -o scored.csv
  tabship predict models/income.tabship big.parquet -o scored.parquet --chunk-size 100000
  tabship predict http://127.0.0.1:8000 new.csv -o scored.csv
  tabship predict models/charges new.csv -o scored.csv --url http://127.0.0.1:8000
  tabship predict models/income 'data/*.parquet' -o scored/ --dask tcp://scheduler:8786
  tabship predict models/charges new.csv -o scored.csv --log sqlite:///logs/charges.db
  tabship predict models/charges new.csv -o scored.csv \\
      --log postgresql://tabship:pw@db:5432/logs --log-exclude sex
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
    log: Annotated[
        str | None,
        typer.Option(
            "--log",
            help="Log every scored row to this prediction log, under the id in the output: "
            "sqlite:///file.db or postgresql://user:pass@host:port/db.",
        ),
    ] = None,
    log_exclude: Annotated[
        list[str] | None,
        typer.Option(help="Keep this input field out of the log (repeatable); no drift for it."),
    ] = None,
    escape_formulas: Annotated[
        bool,
        typer.Option(
            "--escape-formulas/--no-escape-formulas",
            help="Quote CSV text cells a spreadsheet would run as formulas (starting with "
            "= + - @, tab or CR; numbers stay numbers), as OWASP advises.",
        ),
    ] = True,
) -> None:
    """Append prediction (and class probability) columns and a record id to every row of
    DATA; with --log, the scored rows are logged under those ids."""
    _check_log_options(log, log_exclude or [], url=url, dask=dask)
    if dask:
        _predict_on_dask(
            model, str(data), output, dask, force=force, escape_formulas=escape_formulas
        )
        return
    from contextlib import closing, nullcontext

    from tabship._lazy import paused_collection

    _one_blas_thread()
    with paused_collection():
        from tabship.batch import score_file

        scorer = _scorer(url or model, api_key, data)
    if url:
        from tabship.artifact import load as load_artifact

        scorer.schema = load_artifact(model, build_pipeline=False).schema  # audited all the same
    batch_log = None
    if log:
        from tabship.batch import BatchLog  # the prediction log's database layer

        _check_excluded(log_exclude or [], scorer.schema.names)
        batch_log = BatchLog.open(log, scorer, exclude=log_exclude or [], chunk_size=chunk_size)
    with progress_printer(quiet) as say, closing(batch_log) if batch_log else nullcontext():
        report = score_file(
            scorer,
            data,
            output,
            chunk_size=chunk_size,
            force=force,
            progress=lambda rows: say(f"scored {rows:,} rows"),
            log=batch_log,
            escape_formulas=escape_formulas,
        )
    print_result(
        f"Scored {report.scored:,} of {report.rows:,} rows in {report.seconds:.1f} s -> ",
        str(report.output),
    )
    if report.errors_output:
        print_result(f"{report.failed:,} rows failed validation -> {report.errors_output}")
    if batch_log is not None:
        _report_log(batch_log.close(), batch_log.log.url)


def _check_log_options(
    log: str | None, exclude: list[str], *, url: str | None, dask: str | None
) -> None:
    """--log scores a local model in this process; a server (--url) logs with its own
    --log, and Dask workers do not log."""
    if log and (url or dask):
        from tabship.monitor import mask_password

        other = "--url" if url else "--dask"
        expected = f"used without {other} (a server logs with its own --log)"
        raise OptionError("--log", expected, mask_password(log))
    if exclude and not log:
        raise OptionError("--log-exclude", "used with --log", exclude[0])


def _check_excluded(exclude: list[str], names: list[str]) -> None:
    for name in exclude:
        if name not in names:
            raise OptionError(
                "--log-exclude", f"one of the model's fields ({', '.join(names)})", name
            )


def _report_log(run: LoggedRun, url: str) -> None:
    """Say how many rows the log holds; exit 1 when some could not be logged."""
    from rich.markup import escape

    console.print(f"Logged {run.written:,} rows -> {escape(url)}")
    if run.dropped or run.written < run.submitted:
        lost = max(run.dropped, run.submitted - run.written)
        console.print(
            f"[red]{lost:,} scored rows could not be logged[/red]"
            + (f": {escape(run.last_error)}" if run.last_error else "")
        )
        raise typer.Exit(1)


def _predict_on_dask(
    model: str, data: str, output: Path, scheduler: str, *, force: bool, escape_formulas: bool
) -> None:
    from tabship.batch import score_files_on_dask

    report = score_files_on_dask(
        model, data, output, scheduler=scheduler, force=force, escape_formulas=escape_formulas
    )
    console.print(
        f"Scored {report.scored:,} of {report.rows:,} rows from {report.files} files in "
        f"{report.partitions} partitions in {report.seconds:.1f} s -> [bold]{report.output}[/bold]"
    )
    if report.failed:
        console.print(f"{report.failed:,} rows failed validation -> part-*.errors.csv")


# From this many bytes of input on, a HistGradientBoosting model's own predictor (four
# times Treelite's speed) repays building the pipeline, about 2 s (some 200,000 rows).
_LARGE_FILE_BYTES = 24 << 20


def _scorer(model: str, api_key: str | None, data: Path) -> Any:
    if model.startswith(("http://", "https://")):
        return _RemoteScorer(model, api_key)
    from tabship.runtime import load

    # The scoring plan serves the file (LightGBM through its C library, on every core for
    # a chunk) and the pipeline is audited but not built, so scikit-learn stays out; a
    # model without a plan builds it on first use.
    return load(model, lean=True, native_lightgbm=_large(data))


def _one_blas_thread() -> None:
    """numpy's OpenBLAS starts a thread per core as numpy is imported, which spins for a
    while waiting for work that batch scoring never gives it (the plan calls no BLAS
    routine). That spinning took 0.1 s of CPU from the parse and the trees on a 2-core
    machine: 300k adult rows went from 1.69 to 1.57 s of CPU, a one-row file from 0.29 to
    0.27 s. Set before numpy is imported; a user's own setting is kept."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _large(data: Path) -> bool:
    try:
        return data.stat().st_size >= _LARGE_FILE_BYTES
    except OSError:
        return False  # score_file names the missing file


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
