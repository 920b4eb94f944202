"""``tabship monitor``: drift and live accuracy of a model, read from its prediction log.

It works offline, with no server running: the model's training summary and the log's
aggregates are all it reads. The exit status is the verdict, so that cron or CI can act
on it: 0 all ok, 1 something at warn, 2 something at alert. Every other status is an
error (a bad option, an unreadable model or log), never 1 or 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from tabship.cli._console import console, print_error, table
from tabship.cli._errors import error_message
from tabship.errors import OptionError, OutputError, TabshipError

if TYPE_CHECKING:
    from tabship.monitor import MonitoredModel, MonitorReport

__all__ = ["BAD_INPUT", "monitor_command", "register"]

# The exit status of a bad option or argument (sysexits' EX_USAGE): not 1 or 2, which
# say warn and alert. An unreadable model exits 3 and an unusable log 6, as elsewhere.
BAD_INPUT = 64

EXAMPLES = """
[bold]Examples[/bold]

  tabship monitor models/charges --log sqlite:///logs/charges.db
  tabship monitor models/charges --since 24h --json \\
      --log postgresql://tabship:pw@db/logs
  tabship monitor models/charges --log sqlite:///logs/charges.db \\
      --last 1000 --html drift.html

[bold]Exit status[/bold]

  0  every feature and the prediction ok
  1  one at warn;  2  one at alert
  64 a bad option or argument;  3  the model cannot be loaded
  6  the log cannot be used;  4  the --html file cannot be written
"""


class _MonitorCommand(TyperCommand):
    """Usage errors (a missing argument, a number that is not one) exit with BAD_INPUT
    instead of click's 2, which this command uses for "alert"."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as err:  # click's UsageError, as Typer bundles it
            if getattr(err, "exit_code", None) == 2:
                err.exit_code = BAD_INPUT
            raise


def register(app: typer.Typer) -> None:
    app.command("monitor", cls=_MonitorCommand, epilog=EXAMPLES)(monitor_command)


def monitor_command(
    model: Annotated[Path, typer.Argument(help="The model folder or packed .tabship file.")],
    log: Annotated[
        str,
        typer.Option(
            "--log",
            envvar="TABSHIP_LOG_URL",
            help="The prediction log: sqlite:///file.db or postgresql://user:pass@host/db.",
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option("--since", help="The window: the last 90s, 30m, 12h, 7d or 2w of records."),
    ] = None,
    last: Annotated[
        int | None, typer.Option("--last", help="The window: the last N records instead.")
    ] = None,
    warn: Annotated[float, typer.Option("--warn", help="PSI at which a drift warns.")] = 0.1,
    alert: Annotated[float, typer.Option("--alert", help="PSI at which a drift alerts.")] = 0.25,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (/monitor.json's document).")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the report as a web page here.")
    ] = None,
) -> None:
    """Check a model's prediction log for drift and live accuracy; exit 0 ok, 1 warn, 2 alert
    (64 bad input, 3 unreadable model, 6 unusable log)."""
    try:
        report = _report(model, log, since, last, warn, alert)
    except TabshipError as err:
        if err.exit_code not in (1, 2):
            raise
        print_error(error_message(err))
        raise typer.Exit(BAD_INPUT) from None
    if html is not None:
        _write_html(report, html)
    if as_json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        _show(report)
    from tabship.monitor import EXIT_CODES

    raise typer.Exit(EXIT_CODES[report["status"]])


def _report(
    model: Path, log_url: str, since: str | None, last: int | None, warn: float, alert: float
) -> MonitorReport:
    """Check the options, read the model (without its pipeline) and the log, build."""
    from tabship.monitor import open_log, parse_duration

    window = None if since is None and last is not None else parse_duration(since or "7d")
    if since is not None and last is not None:
        raise OptionError("--last", "left out when --since is given (one window)", last)
    if last is not None and last <= 0:
        raise OptionError("--last", "a positive number of records", last)
    if not (0 <= warn <= alert):
        raise OptionError("--warn", f"between 0 and --alert ({alert:g})", warn)
    watched = _watched(model)
    opened = open_log(log_url)
    try:
        return watched.report(opened, since=window, last=last, warn=warn, alert=alert)
    finally:
        opened.close()


def _watched(model: Path) -> MonitoredModel:
    from tabship.artifact import load
    from tabship.monitor import MonitoredModel

    return MonitoredModel.from_artifact(load(model, build_pipeline=False))


def _write_html(report: MonitorReport, path: Path) -> None:
    from tabship.views import render_monitor_page

    try:
        path.write_text(render_monitor_page(report), encoding="utf-8")
    except OSError as err:
        raise OutputError(path, err.strerror or str(err)) from None


_STYLE = {"ok": "green", "warn": "yellow", "alert": "bold red"}


def _show(report: MonitorReport) -> None:
    """The verdict line, the features by drift, the prediction, the live metrics."""
    status = report["status"]
    console.print(
        f"[{_STYLE[status]}]{status.upper()}[/]  model {report['model'][:12]} · "
        f"{report['records']} records · {report['window']}"
        + (f" (since {report['since']})" if report["since"] else ""),
        highlight=False,
    )
    if report["approximate"]:
        console.print("References are approximate: the model was saved by tabship format 1.")
    rows = [_feature_row(name, f) for name, f in report["features"].items()]
    prediction = report["prediction"]
    if prediction is not None:
        rows.append({"feature": "(prediction)", "status": prediction["status"],
                     "psi": prediction["psi"], "records": prediction["records"]})  # fmt: skip
    console.print(table("Drift, most drifted first", rows, list(_COLUMNS)))
    feedback = report["feedback"]
    if feedback["records"]:
        names = sorted(set(feedback["metrics"]) | set(feedback["holdout"]))
        metrics = [
            {"metric": n, "live": feedback["metrics"].get(n), "holdout": feedback["holdout"].get(n)}
            for n in names
        ]
        console.print(table(f"Live metrics on {feedback['records']} records", metrics))
    else:
        console.print(
            "No feedback yet: send true outcomes with tabship feedback or POST /feedback."
        )


_COLUMNS = ("feature", "status", "psi", "missing", "training missing", "records")


def _feature_row(name: str, drift: Any) -> dict[str, Any]:
    return {
        "feature": name,
        "status": drift["status"],
        "psi": drift["psi"],
        "missing": f"{drift['missing_rate']:.1%}",
        "training missing": f"{drift['training_missing_rate']:.1%}",
        "records": drift["records"],
    }
