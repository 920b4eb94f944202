"""A client that hangs up mid-request is not a server error.

wrk closing its connections at the end of a run, a browser tab closed during an upload:
the body stops before its ``Content-Length``. The server must not log a traceback
("Exception in ASGI application") or count a 500 in /metrics, where it would page
someone for nothing; it counts the request under 499 (client closed request, as nginx
names it). Found by bench/soak.py: 6-8 tracebacks per run, one per wrk connection.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from tests.serve._monitored import start_server, wait_for

pytestmark = [pytest.mark.attack, pytest.mark.integration]

JSON_START = b'{"age": 19, "sex": "fem'
MULTIPART = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\nage,sex,bmi\n19,female,"
)
CUT_SHORT = {
    "POST /predict": ("/predict", "application/json", JSON_START),
    "POST /predict/csv": ("/predict/csv", "multipart/form-data; boundary=b", MULTIPART),
    "POST /": ("/", "application/x-www-form-urlencoded", b"age=19&sex=fem"),
}


def hang_up_mid_body(url: str, path: str, content_type: str, start: bytes) -> None:
    """Send the headers and part of the body, then close the connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(start) + 10_000}\r\n\r\n"
        )
        conn.sendall(head.encode() + start)


def counted(url: str, route: str, status: str) -> float:
    """Requests to ``route`` counted in /metrics under ``status``, every method."""
    pattern = rf'^tabship_http_requests_total\{{[^}}]*route="{re.escape(route)}"[^}}]*'
    pattern += rf'status="{status}"[^}}]*\}} ([\d.e+]+)$'
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return sum(float(n) for n in re.findall(pattern, text, re.M))


@pytest.fixture(scope="module")
def server(trained_model, tmp_path_factory: pytest.TempPathFactory):
    folder = Path(tmp_path_factory.mktemp("disconnect"))
    with start_server(trained_model("insurance"), folder) as running:
        yield running


@pytest.mark.parametrize("name", sorted(CUT_SHORT))
def test_a_body_cut_short_is_no_server_error(server, name: str) -> None:
    path, content_type, start = CUT_SHORT[name]
    hang_up_mid_body(server.url, path, content_type, start)
    wait_for(lambda: counted(server.url, path, "499") >= 1, f"the hang-up counted on {path}")
    assert counted(server.url, path, "500") == 0
    assert "Traceback" not in server.output(), server.output()[-3000:]


def test_hanging_up_while_the_answer_streams_is_no_server_error(server) -> None:
    table = "age,sex,bmi,children,smoker,region\n" + "19,female,27.9,0,yes,southwest\n" * 50_000
    files = {"file": ("r.csv", table.encode(), "text/csv")}
    with httpx.Client(timeout=60) as client:
        with client.stream("POST", f"{server.url}/predict/csv", files=files) as response:
            assert response.status_code == 200
            next(response.iter_bytes())  # then close with most of the answer unread
    wait_for(lambda: counted(server.url, "/predict/csv", "200") >= 1, "the stream counted")
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert "Traceback" not in server.output(), server.output()[-3000:]
