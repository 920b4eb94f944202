"""Every bad input gets a 4xx in the one canonical error shape, naming where the problem is.

``assert_error_body`` is the single check of that shape (see ``tabship.serve._errors``);
every bad-input test of the server goes through it. All tests here talk to a real
``tabship serve`` over HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

ITEM_KEYS = {"loc", "msg", "type", "input"}
OPTIONAL_KEYS = {"expected"}
API_KEY = "s3cret-key"


def assert_error_body(
    response: httpx.Response, status: int, loc: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Assert ``response`` is a ``status`` error in the canonical shape; return its detail.

    With ``loc``, one of the detail items must point exactly there (e.g.
    ``["body", 1, "age"]``).
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"message", "detail"}, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert isinstance(body["detail"], list), body
    for item in body["detail"]:
        assert ITEM_KEYS <= set(item) <= ITEM_KEYS | OPTIONAL_KEYS, item
        assert isinstance(item["loc"], list) and item["loc"], item
        assert isinstance(item["msg"], str) and item["msg"].strip(), item
        assert re.fullmatch(r"[a-z_]+", item["type"]), item
    if loc is not None:
        locs = [item["loc"] for item in body["detail"]]
        assert list(loc) in locs, f"{list(loc)} not among {locs}"
    return body["detail"]


@pytest.fixture(scope="module")
def url(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"))


@pytest.fixture(scope="module")
def restricted_url(trained_model, live_server) -> str:
    """A server with every limit small, an API key and CORS for one origin."""
    return live_server(
        trained_model("insurance"),
        *("--api-key", API_KEY, "--max-body-mb", "0.01", "--max-records", "5"),
        *("--cors", "https://example.org"),
    )


@pytest.fixture(scope="module")
def example(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/metadata").json()["schema"]["example"]


def post_json(url: str, payload: Any) -> httpx.Response:
    return httpx.post(f"{url}/predict", json=payload)


def post_raw(url: str, content: bytes, content_type: str = "application/json") -> httpx.Response:
    return httpx.post(f"{url}/predict", content=content, headers={"content-type": content_type})


def test_error_missing_required_field(url, example):
    record = {k: v for k, v in example.items() if k != "age"}
    detail = assert_error_body(post_json(url, record), 422, loc=["body", "age"])
    assert detail[0]["type"] == "missing"


@pytest.mark.parametrize("bad", [{"years": 19}, [19], True], ids=["object", "list", "bool"])
def test_error_wrong_type(url, example, bad):
    assert_error_body(post_json(url, {**example, "age": bad}), 422, loc=["body", "age"])


def test_error_string_where_number_expected(url, example):
    detail = assert_error_body(post_json(url, {**example, "bmi": "heavy"}), 422, ["body", "bmi"])
    assert detail[0]["input"] == "heavy"
    assert detail[0]["expected"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_error_non_finite_number(url, example, token):
    """Python's json accepts these tokens; the validator must refuse them by name."""
    text = json.dumps({**example, "bmi": "__BAD__"}).replace('"__BAD__"', token)
    detail = assert_error_body(post_raw(url, text.encode()), 422, loc=["body", "bmi"])
    assert detail[0]["input"] == token


def test_error_null(url, example):
    assert_error_body(post_json(url, {**example, "age": None}), 422, loc=["body", "age"])


def test_error_every_problem_at_once(url, example):
    record = {**example, "age": "old", "bmi": None}
    del record["region"]
    detail = assert_error_body(post_json(url, record), 422)
    assert {tuple(item["loc"]) for item in detail} >= {
        ("body", "age"),
        ("body", "bmi"),
        ("body", "region"),
    }


def test_error_list_mixing_good_and_bad_records(url, example):
    records = [example, {**example, "age": "x"}, example, {**example, "children": "many"}]
    detail = assert_error_body(post_json(url, records), 422, loc=["body", 1, "age"])
    assert ["body", 3, "children"] in [item["loc"] for item in detail]
    assert {item["loc"][1] for item in detail} == {1, 3}


def test_error_columns_of_unequal_length(url, example):
    columns = {k: [v, v] for k, v in example.items()}
    columns["age"] = [19]
    assert_error_body(post_json(url, columns), 422, loc=["body", "age"])


def test_error_bad_value_in_columns_names_field_and_index(url, example):
    columns = {k: [v, v] for k, v in example.items()}
    columns["bmi"] = [27.9, "fat"]
    assert_error_body(post_json(url, columns), 422, loc=["body", "bmi", 1])


def test_error_unknown_category_where_not_allowed(trained_model, live_server, example):
    strict = live_server(trained_model("insurance"), "--strict-categories")
    response = post_json(strict, {**example, "region": "atlantis"})
    (item,) = assert_error_body(response, 422, loc=["body", "region"])
    assert item["type"] == "enum" and "southwest" in item["expected"], item


def test_unknown_category_is_a_warning_by_default(url, example):
    response = post_json(url, {**example, "region": "atlantis"})
    assert response.status_code == 200, response.text
    (warning,) = response.json()["warnings"]
    assert warning["type"] == "unknown_category" and "region" in warning["loc"], warning


def test_error_empty_body(url):
    assert_error_body(post_raw(url, b""), 422, loc=["body"])


@pytest.mark.parametrize("content", [b'{"age": 19,', b"age=19", b"\xff\xfe{", b"[" * 5000])
def test_error_malformed_json(url, content):
    detail = assert_error_body(post_raw(url, content), 422, loc=["body"])
    assert detail[0]["type"] == "json_invalid"


@pytest.mark.parametrize("payload", ["a string", 42, [], [1, 2]], ids=str)
def test_error_body_of_wrong_shape(url, payload):
    loc = ["body", 0] if payload == [1, 2] else ["body"]
    assert_error_body(post_json(url, payload), 422, loc=loc)


def test_error_query_string_value(url, example):
    params = {**{k: str(v) for k, v in example.items()}, "age": "nineteen"}
    assert_error_body(httpx.get(f"{url}/predict", params=params), 422, ["query", "age"])


def test_error_query_flag(url, example):
    response = httpx.post(f"{url}/predict", params={"explain": "perhaps"}, json=example)
    assert_error_body(response, 422, loc=["query", "explain"])


def test_error_unknown_route_and_method(url):
    assert_error_body(httpx.get(f"{url}/nowhere"), 404, loc=["path"])
    assert_error_body(httpx.delete(f"{url}/predict"), 405, loc=["path"])


def test_error_body_over_limit_by_content_length(restricted_url, example):
    big = [example] * 400  # about 40 kB > 0.01 MiB
    response = httpx.post(
        f"{restricted_url}/predict",
        json=big,
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    detail = assert_error_body(response, 413, loc=["body"])
    assert detail[0]["type"] == "body_too_large"


def test_error_body_over_limit_when_streamed(restricted_url):
    """No Content-Length (chunked): the bytes are counted as they arrive."""

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(40):
            yield b'{"age": 19, "sex": "female", "bmi": 27.9, "children": 0},' * 5
        yield b"{}]"

    response = httpx.post(
        f"{restricted_url}/predict",
        content=chunks(),
        headers={"Authorization": f"Bearer {API_KEY}", "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_error_body(response, 413, loc=["body"])


def test_error_too_many_records(restricted_url, example):
    response = httpx.post(
        f"{restricted_url}/predict",
        json=[example] * 6,
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    detail = assert_error_body(response, 413, loc=["body"])
    assert detail[0]["type"] == "too_many_records"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic czNjcmV0LWtleQ=="])
def test_error_api_key_missing_or_wrong(restricted_url, example, header):
    headers = {"Authorization": header} if header else {}
    for response in (
        httpx.post(f"{restricted_url}/predict", json=example, headers=headers),
        httpx.get(f"{restricted_url}/predict", params=example, headers=headers),
        httpx.post(f"{restricted_url}/predict/csv", content=b"a,b\n", headers=headers),
    ):
        assert_error_body(response, 401, loc=["header", "Authorization"])
        assert response.headers["www-authenticate"] == "Bearer"


def csv_text(example: dict[str, Any], rows: int = 2, drop: Sequence[str] = ()) -> str:
    names = [k for k in example if k not in drop]
    lines = [",".join(names)] + [",".join(str(example[k]) for k in names)] * rows
    return "\n".join(lines) + "\n"


def post_csv(url: str, content: bytes | str, content_type: str = "text/csv") -> httpx.Response:
    return httpx.post(f"{url}/predict/csv", content=content, headers={"content-type": content_type})


def test_error_csv_missing_columns(url, example):
    response = post_csv(url, csv_text(example, drop=["age", "smoker"]))
    detail = assert_error_body(response, 422, loc=["body", "age"])
    assert ["body", "smoker"] in [item["loc"] for item in detail]


def test_error_csv_wrong_delimiter(url, example):
    response = post_csv(url, csv_text(example).replace(",", ";"))
    detail = assert_error_body(response, 422, loc=["body"])
    assert detail[0]["type"] == "csv_delimiter"
    assert "';'" in detail[0]["msg"]


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\x1f\x8b\x08\x00\x00\x00", b""],
    ids=["png", "gzip", "empty"],
)
def test_error_csv_not_text(url, content):
    assert_error_body(post_csv(url, content), 422, loc=["body"])


def test_error_csv_not_text_as_multipart(url):
    files = {"file": ("data.csv", b"\x00\x01\x02binary", "text/csv")}
    assert_error_body(httpx.post(f"{url}/predict/csv", files=files), 422, loc=["body"])


def test_error_csv_multipart_without_file(url):
    response = httpx.post(f"{url}/predict/csv", files={"note": (None, "no file here")})
    assert_error_body(response, 422, loc=["body", "file"])


def test_error_csv_wrong_media_type(url, example):
    response = post_csv(url, b'{"age": 19}', content_type="application/json")
    assert_error_body(response, 415, loc=["header", "Content-Type"])


def test_error_csv_malformed_line(url, example):
    text = csv_text(example) + '19,"female,27.9\n'
    assert_error_body(post_csv(url, text), 422, loc=["body"])


def test_error_none_of_the_bad_inputs_was_a_server_error(url, restricted_url):
    """Runs last in this module: the servers counted no 5xx answer at all."""
    for base in (url, restricted_url):
        text = httpx.get(f"{base}/metrics").text
        assert 'status="4' in text
        assert not re.search(r'status="5\d\d"', text), text
