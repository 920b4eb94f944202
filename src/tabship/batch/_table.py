"""Scoring a table: the one path behind ``POST /predict/csv``, ``score_file`` and Dask.

Every row of a table either gets a prediction (and a probability per class) or the
reason it could not be scored; a bad row never stops the others. The columns added are
named by one rule (``output_columns``). Batch scoring then writes the scored rows and
the failed rows to two files (``scored_rows`` and ``failed_rows``, through
``score_chunk``); the CSV upload answers every row in input order, with an error column
(``every_row``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from tabship.batch._formulas import escape_formulas
from tabship.batch._ids import RecordIds, record_ids
from tabship.errors import ErrorItem, ValidationError

if TYPE_CHECKING:
    from tabship.runtime import Scored

__all__ = [
    "OUTPUT_PREFIX",
    "OutputColumns",
    "TableScorer",
    "TableScores",
    "every_row",
    "failed_rows",
    "output_columns",
    "score_chunk",
    "score_table",
    "scored_rows",
]

OUTPUT_PREFIX = "tabship_"
# An input column of one of these names makes every added column take OUTPUT_PREFIX.
_TAKEN_NAMES = frozenset({"prediction", "error"})
_NO_MESSAGE = "invalid value"
_NO_REASON = "invalid record"


class TableScorer(Protocol):
    """What table scoring needs of a model: ``runtime.Model``, or a server's stand-in.

    A model with a ``classes`` attribute names the probability columns by it; without
    one (a remote scorer), they come from the probabilities it answers.
    """

    def score(self, data: Any, *, strict: bool = ..., probability_dicts: bool = ...) -> Scored:
        """Validate then predict, scoring the valid rows (``strict=False``)."""
        ...


@dataclass(frozen=True)
class OutputColumns:
    """The names of the columns scoring adds to a table."""

    prediction: str = "prediction"
    probability: str = "probability_"  # followed by the class label
    error: str = "error"
    id: str = "id"  # the record id a prediction is logged under
    row: str = "row"  # the errors file's data row number of a row that failed

    def probability_of(self, label: object) -> str:
        return f"{self.probability}{label}"


def output_columns(columns: Iterable[object]) -> OutputColumns:
    """The added columns' names for a table with ``columns``.

    ``prediction``, ``probability_<class>`` and ``error``; all three prefixed with
    ``tabship_`` when the table already has a ``prediction``, an ``error`` or a
    ``probability_...`` column, so that scoring a scored file never overwrites or
    repeats a column. The record ids go to ``id`` and the errors file's row numbers to
    ``row``, each ``tabship_``-prefixed when the table has a column of that name.
    """
    taken = {str(name) for name in columns}
    clash = taken & _TAKEN_NAMES or any(name.startswith("probability_") for name in taken)
    prefix = OUTPUT_PREFIX if clash else ""
    return OutputColumns(
        f"{prefix}prediction",
        f"{prefix}probability_",
        f"{prefix}error",
        _own_name("id", taken),
        _own_name("row", taken),
    )


def _own_name(name: str, taken: set[str]) -> str:
    return f"{OUTPUT_PREFIX}{name}" if name in taken else name


@dataclass
class TableScores:
    """What scoring one table gave, by row position (0 is the table's first row)."""

    rows: int
    index: list[int]  # positions scored, ascending
    predictions: list[Any]  # one per position in ``index``
    failed: list[int] = field(default_factory=list)  # positions not scored, ascending
    reasons: dict[int, str] = field(default_factory=dict)  # position -> its error messages
    classes: list[str] = field(default_factory=list)  # probability columns, in order
    probabilities: dict[str, Any] = field(default_factory=dict)  # class -> array over index
    ids: Sequence[str] = field(default_factory=list)  # one per position in ``index``, if asked
    # The model's answer, whose validated inputs a prediction log stores; None when
    # nothing was valid.
    scored: Scored | None = field(default=None, repr=False, compare=False)


def score_table(model: TableScorer, frame: pd.DataFrame, *, ids: bool = False) -> TableScores:
    """Validate and score every row of ``frame``; invalid rows get a reason instead.

    With ``ids`` every scored row gets a record id: the one a server answered (remote
    scoring, where the server logs it), else a new one (:func:`record_ids`).
    """
    classes = [str(c) for c in getattr(model, "classes", None) or []]
    if not len(frame):
        return _nothing_scored(classes, 0, [])
    try:
        result = model.score(frame, strict=False, probability_dicts=False)
    except ValidationError as err:  # no row of the table is valid
        return _nothing_scored(classes, len(frame), err.errors)
    classes, probabilities = _probabilities(classes, result)
    failed = _unscored(len(frame), result.index)
    answered = getattr(result, "ids", None)
    return TableScores(
        rows=len(frame),
        index=list(result.index),
        predictions=list(result.predictions),
        failed=failed,
        reasons=_reasons(result.errors, len(frame), failed),
        classes=classes,
        probabilities=probabilities,
        ids=(list(answered) if answered else record_ids(len(result.index))) if ids else [],
        scored=result,
    )


def score_chunk(
    model: TableScorer,
    chunk: pd.DataFrame,
    *,
    first_row: int = 0,
    ids: bool = False,
    on_scores: Callable[[TableScores, float], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score one chunk of a file: (scored rows with the added columns, failed rows).

    ``first_row`` is the chunk's offset in its file, so that failed rows are numbered
    as lines of the file (1 = the first row after the header). ``ids`` adds a record id
    column to the scored rows; ``on_scores`` gets the chunk's scores and the seconds
    scoring took (a prediction log takes them from there).
    """
    started = time.perf_counter()
    scores = score_table(model, _model_columns(model, chunk), ids=ids)
    if on_scores is not None:
        on_scores(scores, time.perf_counter() - started)
    columns = output_columns(chunk.columns)
    return scored_rows(chunk, scores, columns), failed_rows(chunk, scores, columns, first_row)


def scored_rows(frame: pd.DataFrame, scores: TableScores, columns: OutputColumns) -> pd.DataFrame:
    """The scored rows of ``frame`` with prediction and probability columns appended,
    and the id column when the scores carry ids."""
    good = _rows(frame, scores.index)
    good[columns.prediction] = scores.predictions
    for label in scores.classes:
        good[columns.probability_of(label)] = scores.probabilities[label]
    if scores.ids:
        ids = scores.ids
        good[columns.id] = ids.column() if isinstance(ids, RecordIds) else list(ids)
    return good


def failed_rows(
    frame: pd.DataFrame, scores: TableScores, columns: OutputColumns, first_row: int = 0
) -> pd.DataFrame:
    """The rows of ``frame`` that were not scored, led by their row number and reason."""
    failed = scores.failed
    bad = _rows(frame, failed)
    if failed:
        bad.insert(0, columns.error, [scores.reasons[i] for i in failed])
        bad.insert(0, columns.row, [first_row + i + 1 for i in failed])
    return bad


def every_row(
    frame: pd.DataFrame,
    scores: TableScores,
    columns: OutputColumns,
    *,
    escape: bool = True,
) -> pd.DataFrame:
    """``frame`` with the added columns on every row, in input order.

    A failed row has empty prediction and probability cells and its reason in the error
    column; a scored row has an empty error cell. The answer is a CSV: formula-like
    text cells are quoted (``escape_formulas``) unless ``escape`` is off.
    """
    out = frame.copy()
    out[columns.prediction] = _spread(scores.index, scores.predictions, scores.rows)
    for label in scores.classes:
        values = np.asarray(scores.probabilities[label]).tolist()
        out[columns.probability_of(label)] = _spread(scores.index, values, scores.rows)
    out[columns.error] = [scores.reasons.get(i, "") for i in range(scores.rows)]
    return escape_formulas(out) if escape else out


def _model_columns(model: TableScorer, chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk's columns the model knows, when it has a schema: a wide file's other
    columns only ride along to the output, and validating them costs time."""
    schema = getattr(model, "schema", None)
    if schema is None:
        return chunk
    known = set(schema.names)
    used = [name for name in chunk.columns if name in known]
    return chunk if len(used) == chunk.shape[1] else chunk[used]


def _rows(frame: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    """The rows of ``frame`` at ``positions``, renumbered from 0; all of them or none
    without a take over every column (seconds on a 10,000-column file)."""
    if not positions:
        return frame.iloc[:0].reset_index(drop=True)
    if len(positions) == len(frame) and positions[-1] == len(frame) - 1:
        return frame.reset_index(drop=True)  # positions ascend: they are every row
    return frame.iloc[positions].reset_index(drop=True)


def _unscored(rows: int, index: Sequence[int]) -> list[int]:
    """The positions of ``rows`` not in ``index``, ascending; a set of every row (a
    twentieth of a chunk's scoring) only when some row was not scored."""
    if len(index) == rows:
        return []
    scored = np.asarray(index, dtype=np.intp)
    keep = np.ones(rows, dtype=bool)
    keep[scored[(scored >= 0) & (scored < rows)]] = False  # a server's answer, unchecked
    failed: list[int] = np.flatnonzero(keep).tolist()
    return failed


def _spread(index: Sequence[int], values: Sequence[Any], rows: int) -> list[Any]:
    """``values`` at the positions ``index`` of ``rows`` cells, the others empty."""
    cells: list[Any] = [""] * rows
    for position, value in zip(index, values, strict=True):
        cells[position] = value
    return cells


def _nothing_scored(classes: list[str], rows: int, errors: Sequence[ErrorItem]) -> TableScores:
    failed = list(range(rows))
    empty = {label: np.empty(0) for label in classes}
    return TableScores(rows, [], [], failed, _reasons(errors, rows, failed), classes, empty)


def _probabilities(classes: list[str], result: Scored) -> tuple[list[str], dict[str, Any]]:
    """Probability columns by class: from the model's matrix, or a server's dicts."""
    matrix = result.probability_matrix
    if matrix is not None:
        return classes, {label: matrix[:, j] for j, label in enumerate(classes)}
    if result.probabilities is not None:
        answered = pd.DataFrame(result.probabilities)
        return [str(c) for c in answered.columns], {
            str(c): answered[c].to_numpy() for c in answered.columns
        }
    return [], {}  # a regression model


def _reasons(errors: Sequence[ErrorItem], rows: int, failed: Sequence[int]) -> dict[int, str]:
    """Each row's error messages joined; a failed row always has a reason."""
    messages: dict[int, list[str]] = {}
    for item in errors:
        loc = item.get("loc") or ()
        row = loc[0] if loc else None
        if isinstance(row, int) and 0 <= row < rows:
            messages.setdefault(row, []).append(str(item.get("msg", _NO_MESSAGE)))
    reasons = {row: " ".join(texts) for row, texts in messages.items()}
    for row in failed:
        reasons[row] = reasons.get(row) or _NO_REASON
    return reasons
