"""Prediction log URLs: the two accepted forms, checked before anything connects.

``sqlite:///path/to/file.db`` (relative; ``sqlite:////abs/path.db`` is absolute, as in
SQLAlchemy) is the embedded default: one file, several workers of one machine.
``postgresql://user:pass@host:port/db`` serves several machines; it is mapped to
SQLAlchemy's ``postgresql+psycopg://`` (psycopg 3, the ``tabship[postgres]`` extra).
Every message names the URL with its password masked, so it can be printed and logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tabship.errors import LogError

__all__ = ["ACCEPTED", "LogURL", "mask_password", "parse_log_url"]

ACCEPTED = "sqlite:///path/to/file.db or postgresql://user:password@host:port/database"

_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_PASSWORD = re.compile(r"(://[^:/@]*:)([^@]*)(@)")

Backend = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class LogURL:
    """A checked log URL: the backend, SQLAlchemy's URL, and the text safe to print."""

    backend: Backend
    url: URL
    shown: str  # the URL as given, password masked

    @property
    def password(self) -> str | None:
        """The password, so that a driver message that echoes it can be cleaned."""
        return self.url.password if isinstance(self.url.password, str) else None


def mask_password(url: str) -> str:
    """``url`` with the password (between ``user:`` and ``@``) replaced by ``***``."""
    return _PASSWORD.sub(r"\1***\3", url)


def parse_log_url(url: str) -> LogURL:
    """Check ``url`` and map it to SQLAlchemy; :class:`LogError` when it is not accepted."""
    shown = mask_password(url.strip())
    scheme, sep, _ = url.strip().partition("://")
    if not sep or not scheme:
        raise _rejected(shown, "it is not a URL")
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(url.strip(), shown)
    if scheme in _POSTGRES_SCHEMES:
        return _postgresql(url.strip(), shown)
    raise _rejected(shown, f"the scheme '{scheme}' is not supported")


def _sqlite(url: str, shown: str) -> LogURL:
    parsed = _make_url(url, shown)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise _rejected(shown, "a SQLite log needs a file path (sqlite:///path/to/file.db)")
    folder = Path(database).expanduser().parent
    if not folder.is_dir():
        raise LogError(
            shown,
            f"the folder '{folder}' does not exist",
            hint="Create it, or give a path in an existing folder.",
        )
    return LogURL("sqlite", parsed.set(database=str(Path(database).expanduser())), shown)


def _postgresql(url: str, shown: str) -> LogURL:
    parsed = _make_url(url, shown)
    if not parsed.host or not parsed.database:
        raise _rejected(shown, "a PostgreSQL URL needs a host and a database name")
    return LogURL("postgresql", parsed.set(drivername="postgresql+psycopg"), shown)


def _make_url(url: str, shown: str) -> URL:
    try:
        parsed = make_url(url)
        _ = parsed.port  # a port that is not a number fails here
    except (ArgumentError, ValueError) as err:
        raise _rejected(shown, f"it is malformed ({_first_line(str(err), url)})") from None
    return parsed


def _rejected(shown: str, problem: str) -> LogError:
    return LogError(shown, problem, hint=f"Give {ACCEPTED}.")


def _first_line(message: str, url: str) -> str:
    """The first line of a library message, without the URL it may quote (password)."""
    return message.splitlines()[0].replace(url, mask_password(url)) if message else "no detail"
