from __future__ import annotations

import functools
import gzip
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tabship.data import read_table
from tabship.data._source import fetch_bytes
from tabship.errors import DataFileError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder and the http://127.0.0.1:port/ URL that serves it, for this test only."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_csv_over_http(served):
    folder, url = served
    (folder / "t.csv").write_text("a;b\n 1; x \n2;?\n")
    df = read_table(url + "t.csv")
    assert df["a"].tolist() == [1, 2]
    assert df["b"].tolist()[0] == "x"
    assert df["b"].isna().tolist() == [False, True]


def test_gzipped_csv_over_http_with_a_query_string(served):
    folder, url = served
    (folder / "t.csv.gz").write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert read_table(url + "t.csv.gz?download=1").shape == (1, 2)


def test_http_404(served):
    _, url = served
    with pytest.raises(DataFileError, match=r"missing\.csv': the server answered HTTP 404"):
        read_table(url + "missing.csv")


def test_unreachable_url():
    url = f"http://127.0.0.1:{_closed_port()}/t.csv"
    with pytest.raises(DataFileError, match="cannot download it .*Check the URL"):
        read_table(url)


def test_a_silent_server_times_out_instead_of_hanging():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/t.csv"
        started = time.monotonic()
        with pytest.raises(DataFileError, match="cannot download it"):
            fetch_bytes(url, timeout=0.5)
    assert time.monotonic() - started < 60  # the 0.5 s timeout held: no hang
