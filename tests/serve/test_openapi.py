"""``/openapi.json`` shows the model's real fields, types, ranges, categories and body forms.

The whole document is pinned by a snapshot per model under ``tests/serve/snapshots/``.
When a change to it is intended, regenerate with::

    TABSHIP_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/serve/test_openapi.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def openapi(trained_model, live_server):
    """Factory: ``openapi("insurance")`` -> the served document."""

    def get(name: str) -> dict[str, Any]:
        url = live_server(trained_model(name))
        response = httpx.get(f"{url}/openapi.json")
        assert response.status_code == 200, response.text
        return response.json()

    return get


@pytest.mark.parametrize("name", ["insurance", "drug200"])
def test_openapi_matches_snapshot(openapi, name):
    document = openapi(name)
    path = SNAPSHOTS / f"openapi_{name}.json"
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if os.environ.get("TABSHIP_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no snapshot yet: run with TABSHIP_UPDATE_SNAPSHOTS=1 to write {path}"
    assert json.loads(path.read_text()) == document, (
        f"/openapi.json changed; if intended, regenerate {path.name} "
        "with TABSHIP_UPDATE_SNAPSHOTS=1"
    )


def test_openapi_record_has_real_names_types_ranges_and_categories(openapi):
    schemas = openapi("insurance")["components"]["schemas"]
    record = schemas["Record"]
    assert list(record["properties"]) == ["age", "sex", "bmi", "children", "smoker", "region"]
    assert set(record["required"]) == set(record["properties"])
    age = record["properties"]["age"]
    assert age["type"] == "number"
    # Out of the training range is a warning only: the bounds declared are float32's,
    # what the validator refuses beyond (tests/attack/test_http_openapi.py).
    assert age["maximum"] > 1e38 and age["minimum"] == -age["maximum"]
    assert "18" in age["description"] and "64" in age["description"]
    region = record["properties"]["region"]
    assert "enum" not in region  # unseen categories are accepted without --strict-categories
    assert set(region["examples"]) == {"southwest", "southeast", "northwest", "northeast"}
    assert schemas["Columns"]["properties"]["age"]["type"] == "array"


def test_openapi_predict_body_accepts_three_forms_with_the_example(openapi):
    document = openapi("insurance")
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    forms = body["schema"]["oneOf"]
    assert forms[0] == {"$ref": "#/components/schemas/Record"}
    assert forms[1]["type"] == "array"
    assert forms[1]["items"] == {"$ref": "#/components/schemas/Record"}
    assert forms[2] == {"$ref": "#/components/schemas/Columns"}
    example = body["examples"]["record"]["value"]
    assert example["age"] == 19 and example["region"] == "southwest"


def test_openapi_query_parameters_and_classes(openapi):
    document = openapi("drug200")
    parameters = {p["name"]: p for p in document["paths"]["/predict"]["get"]["parameters"]}
    assert set(parameters) == {"Age", "Sex", "BP", "Cholesterol", "Na_to_K", "explain"}
    assert set(parameters["BP"]["schema"]["examples"]) == {"HIGH", "LOW", "NORMAL"}
    response = document["components"]["schemas"]["PredictResponse"]
    classes = response["properties"]["predictions"]["items"]["enum"]
    assert set(classes) == {"drugA", "drugB", "drugC", "drugX", "drugY"}
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["message", "detail"]
