"""Text the server cannot write back never turns into a 500 (issue 10, item 5).

Found: a lone surrogate in a category (``"\\ud800"`` as a raw JSON escape) failed while
the warning was encoded, and an upload named ``données😀.csv`` failed while
``Content-Disposition`` was written (headers are Latin-1). Now a lone surrogate is
refused with a 422 naming where it was, and the scored file's name comes as RFC 5987
``filename*=UTF-8''...`` with an ASCII fallback.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

RECORD = '"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes"'


def record(tail: str) -> str:
    """A JSON record of the insurance model, raw, ending with ``tail``."""
    return "{" + RECORD + ", " + tail + "}"


CSV = b"age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n"


def post_raw(insurance_url: str, text: str, path: str = "/predict") -> httpx.Response:
    headers = {"content-type": "application/json"}
    return httpx.post(
        f"{insurance_url}{path}", content=text.encode("ascii"), headers=headers, timeout=30
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (record('"region": "\\ud800"'), ["body", "region"]),
        (record('"region": "south\\udfffwest"'), ["body", "region"]),
        (
            "[" + record('"region": "southwest"') + ", " + record('"region": "\\udbff"') + "]",
            ["body", 1, "region"],
        ),
        ('{"age": [19], "region": ["\\ud800"]}', ["body", "region", 0]),
        (record('"region": "southwest", "\\ud800": 1'), ["body", "\ufffd"]),
        ('{"age": "\\ud800", "sex": "female"}', ["body", "age"]),
        (record('"region": ["\\ud800"]'), ["body", "region", 0]),
    ],
    ids=["category", "inside", "records", "columns", "field-name", "number", "nested"],
)
def test_a_lone_surrogate_is_a_422_naming_where(insurance_url: str, body: str, loc: list) -> None:
    detail = assert_error_body(post_raw(insurance_url, body), 422, loc=loc)
    item = next(i for i in detail if i["loc"] == loc)
    assert item["type"] == "string_unicode"
    assert "surrogate" in item["msg"]


def test_a_lone_surrogate_under_strict_categories_too(strict_url: str) -> None:
    body = record('"region": "\\ud800"')
    assert_error_body(post_raw(strict_url, body), 422, loc=["body", "region"])


def test_a_surrogate_pair_is_one_character_and_accepted(insurance_url: str) -> None:
    body = record('"region": "\\ud83d\\ude00"')  # 😀: unseen, a warning
    response = post_raw(insurance_url, body)
    assert response.status_code == 200, response.text
    assert "\U0001f600" in str(response.json()["warnings"])


@pytest.fixture(scope="module")
def logged_url(trained_model, live_server, tmp_path_factory) -> str:
    database = tmp_path_factory.mktemp("surrogate-log") / "log.db"
    return live_server(trained_model("insurance"), "--log", f"sqlite:///{database}")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('[{"id": "\\ud800", "actual": 1}]', ["body", 0, "id"]),
        ('[{"id": "abc", "actual": 1}, {"id": "abc", "actual": "\\udc00"}]', ["body", 1, "actual"]),
    ],
)
def test_a_lone_surrogate_in_feedback_is_a_422(logged_url: str, body: str, loc: list) -> None:
    """The id went to the database as text and failed there: a 500."""
    detail = assert_error_body(post_raw(logged_url, body, "/feedback"), 422, loc=loc)
    assert detail[0]["type"] == "string_unicode"


@pytest.mark.parametrize(
    "name",
    [
        "données😀.csv",
        "日本語.csv",
        'quote"and\\back.csv',
        "semi;colon=x.csv",
        "../../etc/passwd.csv",
        "C:\\Users\\me\\data.csv",
        "percent%20name.csv",
        "😀",
        ".csv",
    ],
)
def test_any_upload_name_gives_a_200_with_an_rfc5987_name(insurance_url: str, name: str) -> None:
    response = httpx.post(
        f"{insurance_url}/predict/csv", files={"file": (name, CSV, "text/csv")}, timeout=30
    )
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    disposition.encode("ascii")  # headers stay ASCII
    match = re.fullmatch(
        r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S+)', disposition
    )
    assert match, disposition
    fallback, encoded = match.groups()
    assert fallback.endswith(".scored.csv") and "/" not in fallback
    full = unquote(encoded, encoding="utf-8", errors="strict")
    assert full.endswith(".scored.csv") and "/" not in full and "\\" not in full
    stem = re.split(r"[/\\]", name)[-1].rsplit(".", 1)[0]
    if stem:
        assert full == f"{stem}.scored.csv"


def test_a_raw_multipart_name_with_a_line_break_is_not_a_500(insurance_url: str) -> None:
    """A client writing the header by hand can put CR/LF or non-UTF-8 bytes in it."""
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="a\xff\xfe\rb.csv"\r\n'
        + b"Content-Type: text/csv\r\n\r\n"
        + CSV
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    response = httpx.post(f"{insurance_url}/predict/csv", content=body, headers=headers, timeout=30)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        response.headers["content-disposition"].encode("ascii")


def test_text_the_server_echoes_never_made_a_500(
    insurance_url: str, strict_url: str, logged_url: str
) -> None:
    """Runs last here: the servers counted no 5xx answer at all."""
    for url in (insurance_url, strict_url, logged_url):
        text = httpx.get(f"{url}/metrics").text
        assert not re.search(r'status="5\d\d"', text), text
