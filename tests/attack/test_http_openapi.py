"""``/openapi.json`` and the HTTP methods say what the server does (issue 10, item 8).

Found: the float32 bound on numbers was enforced but not declared; ``enum`` was declared
for categories although unseen ones are accepted; ``explain=`` (empty) was accepted;
``OPTIONS /predict`` listed POST only; ``HEAD`` on GET routes answered 405.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

FLOAT32_MAX = float(np.finfo(np.float32).max)
RECORD = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "x"}
REGIONS = {"southwest", "southeast", "northwest", "northeast"}


def document(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/openapi.json", timeout=30).json()


def get_parameters(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["paths"]["/predict"]["get"]["parameters"]}


def test_the_float32_bound_is_declared_where_it_is_enforced(insurance_url: str) -> None:
    doc = document(insurance_url)
    schemas = doc["components"]["schemas"]
    for schema in (
        schemas["Record"]["properties"]["age"],
        schemas["Columns"]["properties"]["age"]["items"],
        get_parameters(doc)["age"]["schema"],
    ):
        assert schema["minimum"] == -FLOAT32_MAX and schema["maximum"] == FLOAT32_MAX, schema
    over = {**RECORD, "region": "southwest", "age": FLOAT32_MAX * 2}
    assert_error_body(httpx.post(f"{insurance_url}/predict", json=over), 422, loc=["body", "age"])
    at = {**RECORD, "region": "southwest", "age": FLOAT32_MAX}
    assert httpx.post(f"{insurance_url}/predict", json=at).status_code == 200


def test_no_enum_where_unseen_categories_are_accepted(insurance_url: str) -> None:
    doc = document(insurance_url)
    columns = doc["components"]["schemas"]["Columns"]["properties"]["region"]
    assert "enum" not in columns["items"] and columns["items"]["type"] == "string"
    for schema in (
        doc["components"]["schemas"]["Record"]["properties"]["region"],
        get_parameters(doc)["region"]["schema"],
    ):
        assert "enum" not in schema, schema
        assert schema["type"] == "string"
        assert set(schema["examples"]) == REGIONS
        assert all(region in schema["description"] for region in REGIONS)
    response = httpx.post(f"{insurance_url}/predict", json=RECORD)  # region "x" is not in the list
    assert response.status_code == 200 and response.json()["warnings"]


def test_the_enum_is_declared_with_strict_categories(strict_url: str) -> None:
    doc = document(strict_url)
    region = doc["components"]["schemas"]["Record"]["properties"]["region"]
    assert set(region["enum"]) == REGIONS
    assert set(get_parameters(doc)["region"]["schema"]["enum"]) == REGIONS
    assert_error_body(httpx.post(f"{strict_url}/predict", json=RECORD), 422, loc=["body", "region"])


@pytest.mark.parametrize("query", ["explain=", "explain", "explain=%20"])
def test_an_empty_explain_is_refused(insurance_url: str, query: str) -> None:
    record = {**RECORD, "region": "southwest"}
    response = httpx.post(f"{insurance_url}/predict?{query}", json=record)
    assert_error_body(response, 422, loc=["query", "explain"])
    response = httpx.get(f"{insurance_url}/predict?{urlencode(record)}&{query}")
    assert_error_body(response, 422, loc=["query", "explain"])


def allowed(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


def test_options_lists_every_method_of_the_path(insurance_url: str) -> None:
    response = httpx.options(f"{insurance_url}/predict")
    assert response.status_code == 204, response.text
    assert allowed(response) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert allowed(httpx.options(f"{insurance_url}/predict/csv")) == {"POST", "OPTIONS"}
    assert allowed(httpx.options(f"{insurance_url}/health")) == {"GET", "HEAD", "OPTIONS"}
    assert_error_body(httpx.options(f"{insurance_url}/nowhere"), 404, loc=["path"])


def test_a_405_lists_every_method_of_the_path(insurance_url: str) -> None:
    response = httpx.delete(f"{insurance_url}/predict")
    assert_error_body(response, 405, loc=["path"])
    assert allowed(response) == {"GET", "HEAD", "POST", "OPTIONS"}


@pytest.mark.parametrize(
    "path",
    [
        "/health",
        "/ready",
        "/metadata",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
        "/static/tabship.css",
        "/predict?age=19&sex=female&bmi=27.9&children=0&smoker=yes&region=southwest",
    ],
)
def test_head_answers_like_get_without_a_body(insurance_url: str, path: str) -> None:
    got = httpx.get(f"{insurance_url}{path}")
    head = httpx.head(f"{insurance_url}{path}")
    assert head.status_code == got.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "content-length" in head.headers and path != "/metrics":
        assert int(head.headers["content-length"]) == len(got.content)


def test_head_on_a_post_only_route_is_a_405(insurance_url: str) -> None:
    response = httpx.head(f"{insurance_url}/predict/csv")
    assert response.status_code == 405
    assert allowed(response) == {"POST", "OPTIONS"}
