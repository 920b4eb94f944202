"""Hostile request bodies on /predict and /predict/csv: deep JSON, huge and odd numbers,
100,000-record bodies and text in encodings other than UTF-8.

Each answer is either a prediction that agrees with the same record sent plainly, or a
4xx in the canonical error shape; never a 500, never a hang. All against a real
``tabship serve`` of the insurance model.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

RECORD: dict[str, Any] = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0}
RECORD |= {"smoker": "yes", "region": "southwest"}
TABLE = (
    "age,sex,bmi,children,smoker,region\n"
    "19,female,27.9,0,yes,southwest\n33,male,22.7,0,no,northwest\n"
)
ACCENTED = TABLE.replace("southwest", "südwest").replace("female", "féminin")
JSON_HEADERS = {"Content-Type": "application/json"}
DEPTH = 100_000


@pytest.fixture(scope="module")
def url(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"))


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=120) as session:
        yield session


def with_value(field: str, literal: str | bytes) -> bytes:
    """The record as a JSON body with ``field`` set to the raw ``literal`` (text or bytes)."""
    raw = literal if isinstance(literal, bytes) else literal.encode()
    pairs = [
        json.dumps(k).encode() + b": " + (raw if k == field else json.dumps(v).encode())
        for k, v in RECORD.items()
    ]
    return b"{" + b", ".join(pairs) + b"}"


def predict_raw(client: httpx.Client, body: bytes, content_type: str = "application/json"):
    return client.post("/predict", content=body, headers={"Content-Type": content_type})


def upload(client: httpx.Client, data: bytes, name: str = "records.csv") -> httpx.Response:
    return client.post("/predict/csv", files={"file": (name, data, "text/csv")})


def predictions_of_csv(response: httpx.Response) -> list[str]:
    """The prediction column of a scored CSV answer."""
    assert response.status_code == 200, response.text
    return [row["prediction"] for row in csv.DictReader(io.StringIO(response.text))]


@pytest.fixture(scope="module")
def plain_prediction(client: httpx.Client) -> float:
    response = client.post("/predict", json=RECORD)
    assert response.status_code == 200, response.text
    return float(response.json()["predictions"][0])


# --- deep JSON --------------------------------------------------------------------------

DEEP = {
    "arrays": b"[" * DEPTH + b"]" * DEPTH,
    "objects": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    "in a field": with_value("region", "[" * DEPTH + "]" * DEPTH),
    "in a list of records": b"[" + with_value("age", '{"x":' * DEPTH + "1" + "}" * DEPTH) + b"]",
}


@pytest.mark.parametrize("where", sorted(DEEP))
def test_deeply_nested_json_is_a_422(client: httpx.Client, where: str) -> None:
    assert_error_body(predict_raw(client, DEEP[where]), 422)


# --- numbers ----------------------------------------------------------------------------

REFUSED_NUMBERS = {
    "1e309": "finite",  # overflows to infinity while parsing
    "-1e309": "finite",
    "1" + "0" * 400: "finite",  # 10**400 as a JSON integer literal
    "NaN": "finite",
    "Infinity": "finite",
    "-Infinity": "finite",
    "1" + "0" * 5000: "not valid JSON",  # over Python's int-string digit limit
}


@pytest.mark.parametrize("field", ["age", "bmi"])
@pytest.mark.parametrize("literal", sorted(REFUSED_NUMBERS), ids=lambda s: s[:12])
def test_a_number_no_float_can_hold_is_a_422(client: httpx.Client, field: str, literal: str):
    response = predict_raw(client, with_value(field, literal))
    detail = assert_error_body(response, 422)
    assert REFUSED_NUMBERS[literal] in response.json()["message"]
    if REFUSED_NUMBERS[literal] == "finite":
        assert ["body", field] in [item["loc"] for item in detail]


@pytest.mark.parametrize("literal", ["-0", "-0.0", "0e0", "1e-400", "-1e-400"])
def test_zero_in_every_spelling_predicts_as_zero(client: httpx.Client, literal: str) -> None:
    answers = [predict_raw(client, with_value("children", text)) for text in (literal, "0")]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[0].json()["predictions"] == answers[1].json()["predictions"]


def test_huge_numbers_in_a_csv_cell_get_a_per_row_error(client: httpx.Client) -> None:
    rows = [
        "19,female,27.9,0,yes,southwest",
        "19,female,1e309,0,yes,southwest",
        "19,female," + "9" * 400 + ",0,yes,southwest",
        "19,female,NaN,0,yes,southwest",
    ]
    response = upload(client, (TABLE.splitlines()[0] + "\n" + "\n".join(rows) + "\n").encode())
    assert response.status_code == 200, response.text
    rows_back = list(csv.DictReader(io.StringIO(response.text)))
    errors = [row["error"] for row in rows_back]
    assert errors[0] == "" and all(errors[1:3]), rows_back
    assert "bmi" in errors[1] and "bmi" in errors[2]


# --- 100,000 records --------------------------------------------------------------------


@pytest.mark.parametrize("form", ["records", "columns"])
def test_100k_records_in_one_body_is_a_413(client: httpx.Client, form: str) -> None:
    body: Any = [RECORD] * 100_000
    if form == "columns":
        body = {k: [v] * 100_000 for k, v in RECORD.items()}
    response = client.post("/predict", json=body)
    assert_error_body(response, 413)
    assert "at most 10,000 records" in response.json()["message"]


def test_a_body_over_the_size_limit_is_a_413_with_or_without_a_length(
    client: httpx.Client,
) -> None:
    too_big = json.dumps([RECORD] * 120_000).encode()  # about 11 MiB, the limit is 10
    assert_error_body(predict_raw(client, too_big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(too_big), 1 << 20):
            yield too_big[start : start + (1 << 20)]

    response = client.post("/predict", content=chunks(), headers=JSON_HEADERS)
    assert_error_body(response, 413)
    assert client.get("/health").status_code == 200


# --- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"], ids=lambda e: f"json-{e}"
)
def test_json_in_any_encoding_rfc_8259_allows_predicts_the_same(
    client: httpx.Client, plain_prediction: float, encoding: str
) -> None:
    response = predict_raw(client, json.dumps(RECORD).encode(encoding))
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [plain_prediction]


NOT_UTF_8 = {  # the bytes a category carries
    "latin-1": "südwest".encode("latin-1"),
    "invalid utf-8": b"south\xffwest",
    "overlong utf-8": b"south\xc0\xafwest",
    "lone continuation": b"south\x80west",
}


@pytest.mark.parametrize("kind", sorted(NOT_UTF_8))
def test_json_that_is_not_utf_8_is_a_422_naming_the_byte(client: httpx.Client, kind: str) -> None:
    body = with_value("region", b'"' + NOT_UTF_8[kind] + b'"')
    for content_type in ("application/json", "application/json; charset=latin-1"):
        response = predict_raw(client, body, content_type)
        assert_error_body(response, 422, ["body"])
        assert "can't decode byte" in response.json()["message"]


def test_csv_with_a_utf_8_bom_predicts_the_same(client: httpx.Client) -> None:
    plain = predictions_of_csv(upload(client, TABLE.encode()))
    assert predictions_of_csv(upload(client, b"\xef\xbb\xbf" + TABLE.encode())) == plain


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_csv_in_a_windows_encoding_keeps_its_accents(client: httpx.Client, encoding: str) -> None:
    response = upload(client, ACCENTED.encode(encoding))
    assert response.status_code == 200, response.text
    assert "südwest" in response.text and "féminin" in response.text
    assert predictions_of_csv(response) == predictions_of_csv(upload(client, ACCENTED.encode()))


def test_csv_with_invalid_utf_8_still_predicts_every_row(client: httpx.Client) -> None:
    broken = TABLE.encode().replace(b"southwest", b"south\xffwest\xc3")
    assert len(predictions_of_csv(upload(client, broken))) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_csv_in_utf_16_or_32_with_a_bom_predicts_the_same(client: httpx.Client, encoding: str):
    """Excel's "Unicode text" is UTF-16 with a byte order mark: read, not refused."""
    bom = {"utf-16-be": "\ufeff"}.get(encoding, "")  # Python writes the others' marks
    response = upload(client, (bom + ACCENTED).encode(encoding))
    assert predictions_of_csv(response) == predictions_of_csv(upload(client, ACCENTED.encode()))
    assert "südwest" in response.text


def test_csv_in_utf_16_without_a_bom_is_refused_clearly(client: httpx.Client):
    response = upload(client, TABLE.encode("utf-16-le"))
    assert_error_body(response, 422, ["body"])
    assert "CSV text" in response.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        "region=s%FCdwest",  # Latin-1 percent-encoded
        "region=s%FF%C3west",  # invalid UTF-8
        "region=southwest&%FF=1",  # a field name that is not UTF-8
    ],
)
def test_query_strings_that_are_not_utf_8_are_never_a_500(client: httpx.Client, query: str):
    others = "&".join(f"{k}={v}" for k, v in RECORD.items() if k != "region")
    response = client.get(f"/predict?{others}&{query}")
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("region", [b"s%FCdwest", b"s\xffwest"], ids=["latin-1", "raw-byte"])
def test_form_posts_that_are_not_utf_8_render_a_page(client: httpx.Client, region: bytes):
    fields = b"&".join(f"{k}={v}".encode() for k, v in RECORD.items() if k != "region")
    response = client.post(
        "/",
        content=fields + b"&region=" + region,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (200, 422), response.text
    assert response.headers["content-type"].startswith("text/html")
