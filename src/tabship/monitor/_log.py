"""The prediction log: a database opened from a URL, its tables made and version-checked.

:func:`open_log` is the one way in. It checks the URL, connects, creates the tables when
they are missing and refuses a log of another schema version, so a server with a bad
``--log`` stops at start with one line instead of failing on its first write.

SQLite runs in WAL mode with a busy timeout, and each write transaction starts with
``BEGIN IMMEDIATE``: several worker processes append to one file, each waiting its turn
instead of failing with "database is locked". PostgreSQL connections are checked before
use (``pool_pre_ping``), so a restarted server is picked up again without a restart here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Engine, create_engine, delete, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    ProgrammingError,
    SQLAlchemyError,
)

from tabship.errors import LogError
from tabship.monitor import _queries as queries
from tabship.monitor._append import append_postgresql, append_sqlite
from tabship.monitor._record import LogBatch
from tabship.monitor._tables import SCHEMA_VERSION, counts, hours, meta, metadata, predictions
from tabship.monitor._url import LogURL, parse_log_url

if TYPE_CHECKING:
    from tabship.monitor._feedback import FeedbackResult
    from tabship.monitor._queries import FeedbackPairs, HourRow, LoggedRow, Since

__all__ = ["PredictionLog", "describe_error", "open_log"]

BUSY_TIMEOUT_MS: Final = 30_000  # how long a SQLite writer waits for the file's write lock
CONNECT_TIMEOUT_S: Final = 5  # how long a PostgreSQL connection attempt may take

_log = logging.getLogger("tabship.monitor")


def open_log(url: str, *, connect: bool = True) -> PredictionLog:
    """Open (and create, the first time) the prediction log at ``url``.

    Raises :class:`~tabship.errors.LogError` with one line naming the URL (password
    masked) for a malformed URL, an unknown scheme, a database that cannot be reached or
    written, or a log of another schema version. With ``connect=False`` only the URL is
    checked: the tables are made on the first write (``--log-optional``: a server that
    starts while its database is down, and logs once it is up).
    """
    target = parse_log_url(url)
    log = PredictionLog(target, _engine(target))
    if not connect:
        return log
    try:
        log.ensure_schema()
    except BaseException:
        log.close()
        raise
    return log


class PredictionLog:
    """One prediction log database, shared by every model that writes to it.

    Thread-safe: the writer's thread appends while request handlers read. Rows of
    different models are kept apart by the model hash every method takes.
    """

    def __init__(self, target: LogURL, engine: Engine) -> None:
        self.target = target
        self.engine = engine
        self.schema_ready = False  # tables made and version checked (ensure_schema)

    @property
    def url(self) -> str:
        """The log's URL with the password masked, safe to print."""
        return self.target.shown

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.target.backend

    def __repr__(self) -> str:
        return f"PredictionLog({self.url!r})"

    def close(self) -> None:
        """Close the log's connections (the log can be opened again with :func:`open_log`)."""
        self.engine.dispose()

    # -- schema ---------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create missing tables, record the schema version, refuse another version."""
        try:
            found = self._read_version()
            if found is None:  # a new log (read-only users never get here)
                self._create_tables()
                found = self._schema_version()
        except SQLAlchemyError as err:
            raise LogError(
                self.url,
                describe_error(err, self.target),
                hint="Check that the database is running and reachable, and the URL's "
                "user, password and database name.",
            ) from None
        if found != SCHEMA_VERSION:
            raise LogError(
                self.url,
                f"its tables have schema version {found!r}; this tabship reads and writes "
                f"version {SCHEMA_VERSION!r}",
                hint="Use a new log (another file or database), or the tabship that wrote it.",
            )
        self.schema_ready = True

    def _read_version(self) -> str | None:
        """The recorded schema version; None while a table or the version is missing."""
        with self.engine.connect() as conn:
            present = inspect(conn)
            if not all(present.has_table(table.name) for table in metadata.sorted_tables):
                return None
            found = conn.scalar(select(meta.c.value).where(meta.c.key == "schema_version"))
        return None if found is None else str(found)

    def _create_tables(self) -> None:
        try:
            with self.writing() as conn:
                metadata.create_all(conn, checkfirst=True)
        except (IntegrityError, ProgrammingError):  # two workers made them at once: one won
            with self.writing() as conn:
                metadata.create_all(conn, checkfirst=True)

    def _schema_version(self) -> str:
        with self.writing() as conn:
            conn.execute(
                self.insert(meta).on_conflict_do_nothing(index_elements=["key"]),
                {"key": "schema_version", "value": SCHEMA_VERSION},
            )
            found = conn.scalar(select(meta.c.value).where(meta.c.key == "schema_version"))
        return str(found)

    # -- writing --------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(tabship_write=True)
            with conn.begin():
                yield conn

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_update``/``do_nothing``."""
        dialect = postgresql if self.backend == "postgresql" else sqlite
        return dialect.insert(table)

    def append(self, model: str, batch: LogBatch) -> None:
        """Write a prepared batch in one transaction: the rows, then the added counts.

        A row whose id is already logged is skipped, so a batch retried after an
        uncertain commit is not written twice. Aggregate rows are upserted in key order,
        which keeps concurrent PostgreSQL writers from deadlocking. The rows go through
        the driver's bulk path (``tabship.monitor._append``): this runs for every record.
        """
        if not len(batch):
            return
        if self.backend == "sqlite":
            with self.writing() as conn:
                append_sqlite(conn, model, batch)
            return
        try:
            with self.writing() as conn:
                append_postgresql(conn, model, batch)
        except IntegrityError:  # an id logged already: this batch's retry, say
            with self.writing() as conn:
                append_postgresql(conn, model, batch, skip_known=True)

    def purge(self, older_than: timedelta, *, model: str | None = None) -> int:
        """Delete rows, counts and hours older than ``older_than`` (of one model, or all).

        Returns the number of predictions deleted. Aggregates go by whole hours: an hour
        is deleted once all of it is older than the cut.
        """
        cut = queries.utc_now() - older_than
        last_hour = cut.replace(minute=0, second=0, microsecond=0)
        with self.writing() as conn:
            deleted = 0
            for table, column, bound in (
                (predictions, predictions.c.ts, cut),
                (counts, counts.c.hour, last_hour),
                (hours, hours.c.hour, last_hour),
            ):
                stmt = delete(table).where(column < bound)
                if model is not None:
                    stmt = stmt.where(table.c.model == model)
                result = conn.execute(stmt)
                deleted = result.rowcount if table is predictions else deleted
        return deleted

    # -- feedback -------------------------------------------------------------------------

    def add_feedback(
        self,
        items: Sequence[object],
        task: str | None = None,
        classes: Sequence[str] | None = None,
        *,
        model: str | None = None,
        loc_prefix: Sequence[str | int] = ("body",),
    ) -> FeedbackResult:
        """Store the true outcomes ``[{"id": ..., "actual": ...}, ...]`` of logged records.

        Each bad item (not an object, a missing key, an id not logged — for ``model``
        when given —, an id twice in ``items``, a value of the wrong type for the target,
        NaN) becomes an :class:`~tabship.errors.ErrorItem` located at
        ``[*loc_prefix, index, key]``; the good items are stored all the same. ``task``
        (``"regression"`` or a classification task) and ``classes`` come from the model;
        without them, an actual is checked against the kind of the logged prediction.
        A second feedback for an id replaces the first.
        """
        from tabship.monitor._feedback import add_feedback

        return add_feedback(self, items, task, classes, model=model, loc_prefix=loc_prefix)

    # -- queries (fast on millions of rows: indexed, aggregated in SQL) --------------------

    def count(self, model: str, since: Since = None) -> int:
        """How many records of ``model`` were logged since ``since`` (all when None)."""
        return queries.count(self.engine, model, since)

    def models(self) -> dict[str, int]:
        """Every model hash in the log with its number of logged records."""
        return queries.models(self.engine)

    def recent_rows(self, model: str, last: int) -> list[LoggedRow]:
        """The last ``last`` records of ``model``, oldest first."""
        return queries.recent_rows(self.engine, model, last)

    def window_counts(self, model: str, since: Since = None) -> dict[str, dict[int, int]]:
        """Records per drift bin, ``{name: {bin: n}}`` (bin -1 = missing; the prediction
        is ``"__prediction__"``), summed over the hours from ``since``'s hour on."""
        return queries.window_counts(self.engine, model, since)

    def hours(self, model: str, since: Since = None) -> list[HourRow]:
        """Volume and latency per hour, oldest first."""
        return queries.hour_rows(self.engine, model, since)

    def feedback_pairs(self, model: str, since: Since = None) -> FeedbackPairs:
        """Predictions and true outcomes of the records with feedback, oldest first."""
        return queries.feedback_pairs(self.engine, model, since)

    def row_kinds(self, ids: Sequence[str], model: str | None = None) -> dict[str, bool]:
        """For each logged id (of ``model`` when given): True when its prediction is a
        number (regression), False when a label. Unknown ids are absent."""
        return queries.row_kinds(self.engine, ids, model)


def describe_error(err: BaseException, target: LogURL) -> str:
    """The driver's first line for ``err``, without SQL, links or the password."""
    cause = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if target.password:
        text = text.replace(target.password, "***")
    return text.rstrip(".")


def _engine(target: LogURL) -> Engine:
    try:
        if target.backend == "sqlite":
            return _sqlite_engine(target)
        return create_engine(
            target.url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
    except (NoSuchModuleError, ImportError):
        raise LogError(
            target.shown,
            "the PostgreSQL driver (psycopg) is not installed",
            hint="Install it with: pip install 'tabship[postgres]'.",
        ) from None


def _sqlite_engine(target: LogURL) -> Engine:
    engine = create_engine(target.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("tabship_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
