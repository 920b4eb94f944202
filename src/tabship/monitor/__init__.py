"""Monitoring: every prediction logged to a database, drift and live accuracy read back.

The prediction log (``open_log(url) -> PredictionLog``) is a SQLite file or a PostgreSQL
database. A script hands its records to a :class:`LogWriter`, which writes them in the
background, never on the request path (a serving worker to a :class:`WriterProcess`, the
same writer in a forked process); :meth:`PredictionLog.add_feedback` stores true
outcomes. Nothing here imports scikit-learn, pandas or a web framework; SQLAlchemy is
loaded with this package, so a server without ``--log`` does not import it.
"""

from __future__ import annotations

from tabship.errors import LogError
from tabship.monitor._drift import (
    BinShare,
    FeatureDrift,
    PredictionDrift,
    Status,
    Thresholds,
    psi,
)
from tabship.monitor._feedback import FeedbackResult
from tabship.monitor._log import PredictionLog, open_log
from tabship.monitor._metrics import DailyMetrics, live_metrics
from tabship.monitor._process import WriterProcess
from tabship.monitor._queries import FeedbackPairs, HourRow, LoggedRow, Since
from tabship.monitor._record import LogRecord, model_hash, new_record_id
from tabship.monitor._reference import MonitoredModel
from tabship.monitor._report import (
    EXIT_CODES,
    FeedbackSection,
    HourVolume,
    MonitorReport,
    ThresholdSection,
    build_report,
    parse_duration,
)
from tabship.monitor._tables import PREDICTION, SCHEMA_VERSION
from tabship.monitor._url import mask_password, parse_log_url
from tabship.monitor._writer import LogWriter, WriterStats

__all__ = [
    "EXIT_CODES",
    "PREDICTION",
    "SCHEMA_VERSION",
    "BinShare",
    "DailyMetrics",
    "FeatureDrift",
    "FeedbackPairs",
    "FeedbackResult",
    "FeedbackSection",
    "HourRow",
    "HourVolume",
    "LogError",
    "LogRecord",
    "LogWriter",
    "LoggedRow",
    "MonitorReport",
    "MonitoredModel",
    "PredictionDrift",
    "PredictionLog",
    "Since",
    "Status",
    "ThresholdSection",
    "Thresholds",
    "WriterProcess",
    "WriterStats",
    "build_report",
    "live_metrics",
    "mask_password",
    "model_hash",
    "new_record_id",
    "open_log",
    "parse_duration",
    "parse_log_url",
    "psi",
]
