"""Scoring tables: files of any size in chunks, files over a Dask cluster, and the one
table-scoring path that ``POST /predict/csv`` shares with them.

``score_table`` validates and scores every row of a table; ``output_columns`` names the
columns it adds (one rule for every surface); ``scored_rows``/``failed_rows`` (batch
files) and ``every_row`` (the CSV upload) lay the result out. ``score_file`` and
``score_files_on_dask`` write their outputs through ``tabship.artifact.atomic_output``,
so a failed run leaves the previous outputs as they were (a killed run's temporaries
are removed by the next run). CSV outputs quote the text cells a spreadsheet would run
as formulas (``escape_formulas``; ``escape_formulas=False`` / ``every_row(...,
escape=False)`` to turn it off). ``BatchLog`` logs a file's
scored rows to a prediction log (``tabship predict --log``), under the ids the scored
file carries.

Only the table-scoring path loads with the package (pandas and numpy): file and Dask
scoring load on first use, so a server answering a CSV upload never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabship._lazy import lazy_attributes
from tabship.batch._formulas import escape_formulas
from tabship.batch._ids import RecordIds, record_ids
from tabship.batch._table import (
    OUTPUT_PREFIX,
    OutputColumns,
    TableScorer,
    TableScores,
    every_row,
    failed_rows,
    output_columns,
    score_chunk,
    score_table,
    scored_rows,
)

if TYPE_CHECKING:
    from tabship.batch._dask import DaskReport, expand_sources, score_files_on_dask
    from tabship.batch._file import BatchReport, errors_path, score_file
    from tabship.batch._log import BatchLog, LoggedRun, log_records
    from tabship.batch._read import check_columns, cleaned_chunk, read_chunks

__all__ = [
    "OUTPUT_PREFIX",
    "BatchLog",
    "BatchReport",
    "DaskReport",
    "LoggedRun",
    "OutputColumns",
    "TableScorer",
    "TableScores",
    "check_columns",
    "cleaned_chunk",
    "errors_path",
    "escape_formulas",
    "every_row",
    "expand_sources",
    "failed_rows",
    "log_records",
    "output_columns",
    "read_chunks",
    "RecordIds",
    "record_ids",
    "score_chunk",
    "score_file",
    "score_files_on_dask",
    "score_table",
    "scored_rows",
]

__getattr__ = lazy_attributes(
    __name__,
    {
        "BatchLog": "tabship.batch._log",
        "LoggedRun": "tabship.batch._log",
        "log_records": "tabship.batch._log",
        "BatchReport": "tabship.batch._file",
        "errors_path": "tabship.batch._file",
        "score_file": "tabship.batch._file",
        "DaskReport": "tabship.batch._dask",
        "expand_sources": "tabship.batch._dask",
        "score_files_on_dask": "tabship.batch._dask",
        "check_columns": "tabship.batch._read",
        "cleaned_chunk": "tabship.batch._read",
        "read_chunks": "tabship.batch._read",
    },
)
