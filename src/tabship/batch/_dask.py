"""Scale-out batch scoring on an existing Dask distributed cluster.

A user who has outgrown one machine points ``tabship predict ... --dask ADDRESS`` at
their cluster. The packed artifact travels to the workers once, inside a worker plugin
(so a worker that joins later gets it too), and each worker loads the ``Model`` once and
keeps it; the partitions then only carry data. Every partition is scored with the same
``score_chunk`` as local batch scoring — same validation, same columns appended, bad rows
to an errors file — and written as one file of its own. The files land in a temporary
folder next to the output (``atomic_output``) that is renamed only when every partition
succeeded, so a failed run leaves nothing that looks complete. Workers write the files
themselves: the output folder must be on storage every worker can reach (a shared or
local filesystem).
"""

from __future__ import annotations

import glob
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabship.artifact import atomic_output
from tabship.errors import (
    DataFileError,
    OutputError,
    OutputExistsError,
    RemoteError,
    TabshipError,
)

__all__ = ["DaskReport", "expand_sources", "score_files_on_dask"]

SUFFIXES = (".parquet", ".csv", ".csv.gz")


@dataclass
class DaskReport:
    """What one scale-out run did."""

    files: int
    partitions: int
    rows: int
    scored: int
    failed: int
    seconds: float
    output: Path


def score_files_on_dask(
    model: str | Path,
    sources: str | Path,
    output: str | Path,
    *,
    scheduler: str,
    force: bool = False,
    timeout: float = 10.0,
    escape_formulas: bool = True,
) -> DaskReport:
    """Score every file of ``sources`` (a glob, folder or file) on the cluster at ``scheduler``.

    Writes ``part-NNNNN.parquet`` (or ``.csv`` for CSV input) per partition into the
    folder ``output``, plus ``part-NNNNN.errors.csv`` for partitions with invalid rows.
    ``escape_formulas`` quotes formula-like text cells of the CSV parts, as
    ``score_file`` does.
    """
    from tabship.batch._dask_worker import COUNTS, ModelPlugin, score_partition
    from tabship.batch._read import check_columns
    from tabship.runtime import load

    _require_dask()
    started = time.monotonic()
    files = expand_sources(sources)
    output = Path(output)
    _check_output_folder(output, force=force)
    local = load(model, lean=True)  # for its schema: audited, the pipeline not built
    payload = _packed_bytes(Path(model))
    frame = _read_frame(files)
    check_columns(local.schema, frame.columns, files[0])
    kind = "parquet" if files[0].suffix == ".parquet" else "csv"
    # Workers write into the folder: it gets the usual permissions, not a private one.
    with atomic_output(output, kind="folder", replace=True, mode=0o777) as folder:
        with _connect(scheduler, timeout) as client:
            plugin = ModelPlugin(payload)
            client.register_plugin(plugin, name=f"tabship-model-{plugin.key[:16]}")
            scoring = frame.map_partitions(
                score_partition,
                key=plugin.key,
                folder=str(folder),
                kind=kind,
                na_values=list(local.schema.na_values),
                escape=escape_formulas,
                meta=COUNTS,
            )
            counts = client.compute(scoring).result()
    return DaskReport(
        files=len(files),
        partitions=frame.npartitions,
        rows=int(counts["rows"].sum()),
        scored=int(counts["scored"].sum()),
        failed=int(counts["failed"].sum()),
        seconds=time.monotonic() - started,
        output=output,
    )


def _require_dask() -> None:
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise TabshipError(
            "Scoring on a Dask cluster needs the 'distributed' package, which is not installed.",
            hint="Install it with: pip install 'tabship[dask]'.",
        )


def expand_sources(sources: str | Path) -> list[Path]:
    """The data files a glob, a folder or a single file names, sorted, of one format."""
    text = str(sources)
    if Path(text).is_dir():
        files = [p for p in sorted(Path(text).iterdir()) if p.name.endswith(SUFFIXES)]
    else:
        files = [Path(p) for p in sorted(glob.glob(text))]
    if not files:
        raise DataFileError(
            text, "no .parquet, .csv or .csv.gz files match it", hint="Check the path or glob."
        )
    kinds = {p.suffix == ".parquet" for p in files}
    if len(kinds) > 1:
        raise DataFileError(
            text, "it mixes Parquet and CSV files", hint="Score one format per run."
        )
    return files


def _check_output_folder(output: Path, *, force: bool) -> None:
    if output.exists() and not output.is_dir():
        raise OutputError(output, "it is a file, and --dask writes a folder of parts")
    if output.exists() and any(output.iterdir()) and not force:
        raise OutputExistsError(output)
    if not output.parent.is_dir():
        raise OutputError(output, f"the folder '{output.parent}' does not exist")


def _packed_bytes(model: Path) -> bytes:
    """The artifact as one packed file's bytes: what the workers receive, once."""
    if model.is_file():
        return model.read_bytes()
    from tabship.artifact import pack

    with tempfile.TemporaryDirectory() as scratch:
        packed = Path(scratch) / "model.tabship"
        pack(model, packed)
        return packed.read_bytes()


def _read_frame(files: list[Path]) -> Any:
    import dask.dataframe as dd

    names = [str(p) for p in files]
    if files[0].suffix == ".parquet":
        return dd.read_parquet(names)
    return dd.read_csv(names, dtype=str, keep_default_na=False, blocksize=None)


def _connect(scheduler: str, timeout: float) -> Any:
    """A client of the scheduler, or one clear error within ``timeout`` seconds."""
    from distributed import Client

    connect: Callable[..., Any] = Client  # its constructor carries no annotations
    try:
        return connect(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        error = RemoteError(scheduler, f"cannot be reached as a Dask scheduler ({err})")
        error.hint = "Check the address (tcp://HOST:8786) and that the scheduler is running."
        raise error from None
