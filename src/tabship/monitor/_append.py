"""A prepared batch written through the driver's bulk paths, not row by row in Python.

The writer's thread runs this for every logged record, inside the serving worker's
process, so its cost per row is the log's cost per request. SQLAlchemy still makes the
tables and reads them back; the writes go to the driver as plain values:

- SQLite: multi-row ``INSERT`` statements of up to 999 values (one driver step each,
  where ``executemany`` takes one per row), times as the text SQLAlchemy's ``DATETIME``
  stores.
- PostgreSQL: ``COPY`` of the rows straight into the table (psycopg formats them in C),
  then one round trip for the two upserts, the few aggregate rows inlined as literals
  quoted by psycopg. With ``skip_known`` (the batch may be partly logged already) the
  rows are copied into a temporary table first and moved with ``ON CONFLICT DO
  NOTHING``: that costs the server twice the CPU a row (11-12 against 4-6 µs, measured
  with the postgres processes' CPU over 20,000 rows in batches of 300), so it is only the
  fallback, when the direct copy meets a known id.

The ``ON CONFLICT`` rules are those of the SQLAlchemy statements they replace: a row
whose id is already logged is skipped (a batch retried after an uncertain commit is not
written twice: :meth:`PredictionLog.append` retries a refused direct copy with
``skip_known``), and the aggregates are added up in key order (concurrent writers do not
deadlock). A driver error reaches the caller as SQLAlchemy's (an outage is an
``OperationalError``, a lost connection is invalidated), as from ``execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from tabship.monitor._record import PREDICTION_COLUMNS, LogBatch
from tabship.monitor._tables import counts, hours, predictions

__all__ = ["append_postgresql", "append_sqlite"]

COUNT_COLUMNS: Final = ("model", "hour", "name", "bin", "n")
HOUR_COLUMNS: Final = ("model", "hour", "records", "latency_ms_sum", "latency_ms_max")


def _insert(table: Table, columns: Sequence[str], source: str) -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) {source}"


def _add_counts() -> str:
    return f" ON CONFLICT (model, hour, name, bin) DO UPDATE SET n = {counts.name}.n + excluded.n"


def _add_hours(larger: str) -> str:
    old = hours.name
    return (
        f" ON CONFLICT (model, hour) DO UPDATE SET records = {old}.records + excluded.records,"
        f" latency_ms_sum = {old}.latency_ms_sum + excluded.latency_ms_sum,"
        f" latency_ms_max = {larger}({old}.latency_ms_max, excluded.latency_ms_max)"
    )


SKIP_KNOWN: Final = " ON CONFLICT DO NOTHING"
# Values per statement: sqlite3's executemany steps (and lets go of the GIL and takes it
# back) once per row; one statement of many rows costs the writer's thread less CPU a row
# at the small batches of a low rate (bench/log_writer.py, batches of 60: 16 -> 13 us a row
# to append). 999 is what older SQLite builds allow in one statement.
SQLITE_PARAMETERS: Final = 999
SQLITE_ROWS: Final = "rows"
SQLITE_COUNTS: Final = "counts"
SQLITE_HOURS: Final = "hours"


@lru_cache(maxsize=32)
def _sqlite_insert(kind: str, n: int) -> str:
    """The INSERT of ``n`` rows of ``kind`` (a full chunk's text is the same each time,
    so sqlite3's statement cache keeps it prepared)."""
    table, columns, rule = {
        SQLITE_ROWS: (predictions, PREDICTION_COLUMNS, SKIP_KNOWN),
        SQLITE_COUNTS: (counts, COUNT_COLUMNS, _add_counts()),
        SQLITE_HOURS: (hours, HOUR_COLUMNS, _add_hours("max")),
    }[kind]
    one = f"({', '.join('?' for _ in columns)})"
    return _insert(table, columns, "VALUES " + ", ".join(one for _ in range(n))) + rule


STAGING: Final = f"incoming_{predictions.name}"  # a temporary table of the session
PG_STAGING: Final = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (LIKE {predictions.name})"
    " ON COMMIT DELETE ROWS"
)
PG_COPY: Final = f"COPY pg_temp.{STAGING} ({', '.join(PREDICTION_COLUMNS)}) FROM STDIN"
PG_COPY_DIRECT: Final = f"COPY {predictions.name} ({', '.join(PREDICTION_COLUMNS)}) FROM STDIN"
PG_ROWS: Final = (
    _insert(predictions, PREDICTION_COLUMNS, f"SELECT {', '.join(PREDICTION_COLUMNS)}")
    + f" FROM pg_temp.{STAGING}"
    + SKIP_KNOWN
)


def append_sqlite(conn: Connection, model: str, batch: LogBatch) -> None:
    """Write ``batch`` in ``conn``'s transaction, many rows to a statement."""
    _insert_many(conn, SQLITE_ROWS, batch.rows(_sqlite_times(batch.ts)))
    if batch.counts:
        _insert_many(conn, SQLITE_COUNTS, _count_rows(model, batch, _sqlite_time))
    _insert_many(conn, SQLITE_HOURS, _hour_rows(model, batch, _sqlite_time))


def _insert_many(conn: Connection, kind: str, rows: Sequence[tuple[object, ...]]) -> None:
    """``rows`` by up to ``SQLITE_PARAMETERS`` values in one ``kind`` statement each."""
    per = SQLITE_PARAMETERS // len(rows[0]) if rows else 1
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.exec_driver_sql(_sqlite_insert(kind, len(chunk)), tuple(v for r in chunk for v in r))


def append_postgresql(
    conn: Connection, model: str, batch: LogBatch, *, skip_known: bool = False
) -> None:
    """Write ``batch`` in ``conn``'s transaction: ``COPY`` of the rows, then the upserts.

    Without ``skip_known`` a row whose id is logged already fails the copy (an
    ``IntegrityError``, the transaction lost): the caller writes the batch again with it.
    """
    raw: Any = conn.connection.dbapi_connection
    statement = PG_COPY if skip_known else PG_COPY_DIRECT
    with _as_sqlalchemy_errors(conn, statement), raw.cursor() as cursor:
        if skip_known:
            cursor.execute(PG_STAGING)
        with cursor.copy(statement) as copy:
            for row in batch.rows():
                copy.write_row(row)
        cursor.execute(_pg_upserts(raw, model, batch, skip_known=skip_known))


def _pg_upserts(raw: Any, model: str, batch: LogBatch, *, skip_known: bool) -> str:
    """The rows from staging (``skip_known``), then the counts and hours as literal
    ``VALUES`` in key order (a few dozen per batch), in one text: one round trip, no
    parameters."""
    from psycopg.sql import Literal

    def literal(value: object) -> str:
        return str(Literal(value).as_string(raw))

    known: dict[object, str] = {}

    def quoted(value: object) -> str:  # the model, hours and names repeat: quoted once
        text = known.get(value)
        if text is None:
            text = known[value] = literal(value)
        return text

    statements = [PG_ROWS] if skip_known else []
    if batch.counts:
        values = ", ".join(
            f"({quoted(model)}, {quoted(hour)}, {quoted(name)}, {int(bin_)}, {int(n)})"
            for (hour, name, bin_), n in sorted(batch.counts.items())
        )
        statements.append(_insert(counts, COUNT_COLUMNS, f"VALUES {values}") + _add_counts())
    values = ", ".join(
        f"({quoted(model)}, {quoted(hour)}, {int(n)}, {literal(total)}, {literal(worst)})"
        for hour, (n, total, worst) in sorted(batch.hours.items())
    )
    statements.append(_insert(hours, HOUR_COLUMNS, f"VALUES {values}") + _add_hours("greatest"))
    return "; ".join(statements)


@contextmanager
def _as_sqlalchemy_errors(conn: Connection, statement: str) -> Iterator[None]:
    """Raise the driver's errors as SQLAlchemy's, invalidating a lost connection."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as err:
        lost = conn.dialect.is_disconnect(err, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(err)
        raise DBAPIError.instance(
            statement, None, err, dbapi_error, connection_invalidated=lost, dialect=conn.dialect
        ) from err


SQLITE_TIME: Final = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # sqlalchemy.dialects.sqlite.DATETIME
TimeForm = Callable[[datetime], object]  # an aware UTC time as the backend takes it


def _sqlite_time(value: datetime) -> str:
    """An aware UTC time as SQLAlchemy's SQLite ``DATETIME`` stores it (its format)."""
    return SQLITE_TIME % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _sqlite_times(times: list[datetime]) -> list[str]:
    """:func:`_sqlite_time` of each; the records of one request share their time."""
    texts: list[str] = []
    last: datetime | None = None
    text = ""
    for value in times:
        if value is not last:
            last, text = value, _sqlite_time(value)
        texts.append(text)
    return texts


def _count_rows(model: str, batch: LogBatch, time: TimeForm) -> list[tuple[object, ...]]:
    ordered = sorted(batch.counts.items())
    return [(model, time(hour), name, bin_, n) for (hour, name, bin_), n in ordered]


def _hour_rows(model: str, batch: LogBatch, time: TimeForm) -> list[tuple[object, ...]]:
    return [(model, time(hour), n, s, m) for hour, (n, s, m) in sorted(batch.hours.items())]
