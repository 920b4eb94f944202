"""The log's tables (SQLAlchemy Core), all prefixed ``tabship_``, one schema version.

- ``tabship_meta``: ``schema_version``; a log written by another version is refused.
- ``tabship_predictions``: one row per predicted record (inputs as JSON text, the excluded
  fields removed), the true outcome once feedback arrives; indexed by (model, time), and
  by (model, time) again over the rows with feedback only.
- ``tabship_counts``: per model, hour, field (or ``__prediction__``) and drift bin, the
  number of records (bin -1 = missing), so that drift over days is a sum over a few
  thousand rows whatever the size of the log.
- ``tabship_hours``: per model and hour, the volume and latency.

Every row carries the model's hash, so retrained models share one log and stay apart.
Times are UTC; SQLite has no time zones, so they are stored naive there and come back
aware (:class:`UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

__all__ = [
    "PREDICTION",
    "SCHEMA_VERSION",
    "UTCDateTime",
    "counts",
    "hours",
    "meta",
    "metadata",
    "predictions",
]

SCHEMA_VERSION: Final = "1"
PREDICTION: Final = "__prediction__"  # the counts' name for the model's output


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp with time zone that always comes back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

meta = Table(
    "tabship_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

predictions = Table(
    "tabship_predictions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ts", UTCDateTime, nullable=False),
    Column("model", String(64), nullable=False),
    Column("route", String(40), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("prediction_num", Float, nullable=True),
    Column("prediction_label", Text, nullable=True),
    Column("probabilities", Text, nullable=True),
    Column("warnings", Text, nullable=True),
    Column("latency_ms", Float, nullable=False),
    Column("actual_num", Float, nullable=True),
    Column("actual_label", Text, nullable=True),
    Column("feedback_ts", UTCDateTime, nullable=True),
    Index("ix_tabship_predictions_model_ts", "model", "ts"),
    # Only the rows with feedback (a few of many): live metrics read them in time order.
    Index(
        "ix_tabship_predictions_feedback",
        "model",
        "ts",
        "id",  # the ORDER BY's tie-break: SQLite then prefers this index, and sorts nothing
        # Covering the live regression metrics' sums (tabship.monitor._live): the report
        # reads no table row for them, three times faster over 100,000 outcomes.
        "prediction_num",
        "actual_num",
        sqlite_where=text("feedback_ts IS NOT NULL"),
        postgresql_where=text("feedback_ts IS NOT NULL"),
    ),
)

counts = Table(
    "tabship_counts",
    metadata,
    Column("model", String(64), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("bin", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
)

hours = Table(
    "tabship_hours",
    metadata,
    Column("model", String(64), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("records", Integer, nullable=False),
    Column("latency_ms_sum", Float, nullable=False),
    Column("latency_ms_max", Float, nullable=False),
)
