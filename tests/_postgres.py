"""A real PostgreSQL server for the test session: Debian's binaries, a temp folder, a free port.

``postgres_server`` (session scope) runs ``initdb`` and ``pg_ctl start`` on a fresh folder
(as the ``postgres`` account when the tests run as root: initdb refuses root), listening on
127.0.0.1 only, with a password for TCP so URLs carry one; it yields a
:class:`PostgresServer` whose ``new_database()`` gives each test a database of its own, and
whose ``stop()``/``start()`` let a test take the server away and bring it back. The server
is stopped and its folder removed at the end of the session.

Without the binaries the tests are skipped, saying how to install them — except in CI
(``CI=true``), where a missing server is a failure: `.ci/run` installs ``postgresql``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USER = "tabship"
PASSWORD = "s3cret-pw"
BIN_GLOB = "/usr/lib/postgresql/*/bin"


def find_binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder holding initdb and pg_ctl, if any."""
    found = [
        p
        for p in Path("/").glob(BIN_GLOB.lstrip("/"))
        if (p / "initdb").exists() and (p / "pg_ctl").exists()
    ]
    return max(found, key=lambda p: _version(p.parent.name)) if found else None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running test server: URLs for new databases, and stop/start for outage tests."""

    bin: Path
    folder: Path
    port: int
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self.folder / "server.log"), "-o", options
        )

    def stop(self) -> None:
        """Stop now, disconnecting every client (``-m fast``)."""
        self._pg_ctl("stop", "-w", "-t", "60", "-m", "fast")

    def _pg_ctl(self, *args: str) -> None:
        _run_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), *args])


def _run_as_owner(command: list[str]) -> None:
    """Run a server command as ``postgres`` when we are root (the server refuses root)."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def _init(bin_: Path) -> PostgresServer:
    folder = Path(tempfile.mkdtemp(prefix="tabship-pg-"))
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(password_file, "postgres", "postgres")
    server = PostgresServer(bin_, folder, _free_port())
    _run_as_owner([
        str(bin_ / "initdb"), "-D", str(server.data), "-U", USER, f"--pwfile={password_file}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
    ])  # fmt: skip
    return server


@contextmanager
def running_server(bin_: Path) -> Iterator[PostgresServer]:
    """A new server from the binaries in ``bin_``, started; stopped and removed at the end
    (the session fixture below, and bench/serve.py's logging runs)."""
    server = _init(bin_)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session (see the module docstring)."""
    bin_ = find_binaries()
    if bin_ is None:
        reason = f"PostgreSQL server binaries not found in {BIN_GLOB}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must install the 'postgresql' package (.ci/run does).")
        pytest.skip(f"{reason}: install them with `apt-get install -y postgresql`.")
    with running_server(bin_) as server:
        yield server
