"""Log URLs: the two accepted forms, and one clear line (password masked) for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tabship.errors import LogError, TabshipError
from tabship.monitor import mask_password, open_log, parse_log_url


def test_sqlite_url_names_a_file(tmp_path: Path):
    parsed = parse_log_url(f"sqlite:///{tmp_path}/log.db")
    assert parsed.backend == "sqlite"
    assert parsed.url.database == f"{tmp_path}/log.db"


def test_postgresql_url_is_mapped_to_psycopg():
    parsed = parse_log_url("postgresql://me:pw@db.example:5433/logs")
    assert parsed.backend == "postgresql"
    assert parsed.url.drivername == "postgresql+psycopg"
    assert (parsed.url.host, parsed.url.port, parsed.url.database) == ("db.example", 5433, "logs")
    assert parsed.shown == "postgresql://me:***@db.example:5433/logs"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "is not a URL"),
        ("mysql://me:pw@host/db", "the scheme 'mysql' is not supported"),
        ("sqlite://", "needs a file path"),
        ("sqlite:///:memory:", "needs a file path"),
        ("postgresql://me:pw@host:notaport/db", "malformed"),
        ("postgresql://me:pw@/db", "needs a host and a database"),
        ("postgresql://me:pw@host", "needs a host and a database"),
    ],
)
def test_unusable_urls_are_one_clear_line(url: str, problem: str):
    with pytest.raises(LogError) as caught:
        parse_log_url(url)
    message = str(caught.value)
    assert problem in message
    assert "\n" not in message
    assert "pw" not in message.replace("postgresql", "")  # the password is masked
    assert "sqlite:///path/to/file.db or postgresql://" in message  # what is accepted
    assert isinstance(caught.value, TabshipError)
    assert caught.value.exit_code not in (0, 1, 2)  # those are `tabship monitor`'s verdicts


def test_sqlite_in_a_missing_folder(tmp_path: Path):
    with pytest.raises(LogError, match="the folder .* does not exist"):
        open_log(f"sqlite:///{tmp_path}/nowhere/log.db")


def test_unreachable_postgresql_names_the_url_without_its_password():
    with pytest.raises(LogError) as caught:
        open_log("postgresql://me:topsecret@127.0.0.1:1/logs")
    message = str(caught.value)
    assert "postgresql://me:***@127.0.0.1:1/logs" in message
    assert "topsecret" not in message
    assert "\n" not in message


def test_mask_password():
    assert mask_password("postgresql://u:p@h/d") == "postgresql://u:***@h/d"
    assert mask_password("postgresql://u@h/d") == "postgresql://u@h/d"
    assert mask_password("sqlite:///x.db") == "sqlite:///x.db"
