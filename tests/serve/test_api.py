"""Every route of ``tabship serve`` over real HTTP, for models of four reference datasets."""

from __future__ import annotations

import io
import math
import re
from typing import Any

import httpx
import pandas as pd
import pytest

from tests._servers import MODELS, dataset_file
from tests.serve.test_error_shape import API_KEY

pytestmark = pytest.mark.integration

NAMES = list(MODELS)


@pytest.fixture(scope="module")
def server(trained_model, live_server):
    """Factory: ``server("drug200")`` -> (base URL, /metadata of its model)."""
    cache: dict[str, tuple[str, dict[str, Any]]] = {}

    def get(name: str) -> tuple[str, dict[str, Any]]:
        if name not in cache:
            url = live_server(trained_model(name))
            cache[name] = (url, httpx.get(f"{url}/metadata").json())
        return cache[name]

    return get


def dataset_rows(name: str, n: int, na_values: list[str] = ()) -> list[dict[str, Any]]:
    """``n`` real rows of the dataset, without the target; missing cells left out.

    ``na_values`` are the model's missing-value markers (college_scorecard writes "PS"
    for a privacy-suppressed number): a JSON client leaves such values out.
    """
    target = MODELS[name][0]
    frame = pd.read_csv(
        dataset_file(name), skipinitialspace=True, nrows=n, na_values=list(na_values)
    )
    rows = frame.drop(columns=[target]).astype(object).to_dict(orient="records")
    return [{k: v for k, v in row.items() if not _is_missing(v)} for row in rows]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def assert_predictions(body: dict[str, Any], meta: dict[str, Any], n: int) -> None:
    assert len(body["predictions"]) == n, body
    if meta["task"] == "regression":
        assert all(isinstance(p, float) for p in body["predictions"]), body
        assert body["probabilities"] is None
        return
    assert set(body["predictions"]) <= set(meta["classes"]), body
    assert len(body["probabilities"]) == n
    for row, predicted in zip(body["probabilities"], body["predictions"], strict=True):
        assert set(row) == set(meta["classes"])
        assert sum(row.values()) == pytest.approx(1.0)
        assert max(row, key=row.get) == predicted


@pytest.mark.parametrize("name", NAMES)
def test_predict_one_record(server, name):
    url, meta = server(name)
    response = httpx.post(f"{url}/predict", json=meta["schema"]["example"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert_predictions(body, meta, 1)
    assert {"warnings", "defaulted", "unknown_fields"} <= set(body)


@pytest.mark.parametrize("name", NAMES)
def test_predict_forms_agree(server, name):
    """A record gives the same prediction as a list, as columns and as a query string."""
    url, meta = server(name)
    records = dataset_rows(name, 3, meta["schema"]["na_values"])
    as_list = httpx.post(f"{url}/predict", json=records).json()
    assert_predictions(as_list, meta, 3)
    alone = [httpx.post(f"{url}/predict", json=r).json()["predictions"][0] for r in records]
    assert alone == as_list["predictions"]
    shared = set.intersection(*(set(r) for r in records))
    columns = {k: [r[k] for r in records] for k in shared}
    common = [{k: r[k] for k in shared} for r in records]
    assert (
        httpx.post(f"{url}/predict", json=columns).json()["predictions"]
        == httpx.post(f"{url}/predict", json=common).json()["predictions"]
    )
    query = httpx.get(f"{url}/predict", params={k: str(v) for k, v in records[0].items()})
    assert query.status_code == 200, query.text
    assert query.json()["predictions"][0] == alone[0]  # str(float) round-trips exactly


@pytest.mark.parametrize("name", ["insurance", "drug200"])
def test_predict_explain(server, name):
    url, meta = server(name)
    response = httpx.post(
        f"{url}/predict", params={"explain": "true"}, json=[meta["schema"]["example"]] * 2
    )
    assert response.status_code == 200, response.text
    explanations = response.json()["explanations"]
    assert len(explanations) == 2
    features = {f["name"] for f in meta["schema"]["fields"]}
    assert {item["feature"] for item in explanations[0]} <= features
    assert all(isinstance(item["contribution"], float) for item in explanations[0])


def test_predict_without_explain_has_no_explanations(server):
    url, meta = server("insurance")
    body = httpx.post(f"{url}/predict", json=meta["schema"]["example"]).json()
    assert body.get("explanations") is None


def test_predict_categories_as_users_type_them(server):
    """Case and surrounding spaces do not matter: "high" is "HIGH", " f " is "F"."""
    url, _ = server("drug200")
    record = {"Age": 47, "Sex": "M", "BP": "LOW", "Cholesterol": "HIGH", "Na_to_K": 10.1}
    typed = {**record, "Sex": " m ", "BP": "low", "Cholesterol": "High"}
    exact = httpx.post(f"{url}/predict", json=record).json()
    loose = httpx.post(f"{url}/predict", json=typed).json()
    assert loose["predictions"] == exact["predictions"]
    assert loose["probabilities"] == exact["probabilities"]


def test_predict_numbers_as_text(server):
    url, meta = server("insurance")
    example = meta["schema"]["example"]
    as_text = {k: str(v) for k, v in example.items()}
    assert (
        httpx.post(f"{url}/predict", json=as_text).json()["predictions"]
        == httpx.post(f"{url}/predict", json=example).json()["predictions"]
    )


def test_predict_out_of_range_is_accepted_with_a_warning(server):
    url, meta = server("insurance")
    response = httpx.post(f"{url}/predict", json={**meta["schema"]["example"], "age": 140})
    assert response.status_code == 200, response.text
    warnings = response.json()["warnings"]
    assert any("age" in item["loc"] for item in warnings), warnings


def test_predict_unknown_field_is_reported(server):
    url, meta = server("insurance")
    response = httpx.post(f"{url}/predict", json={**meta["schema"]["example"], "planet": "Mars"})
    assert response.status_code == 200, response.text
    assert response.json()["unknown_fields"] == ["planet"]


def test_predict_unknown_category_is_accepted_with_a_warning(server):
    url, meta = server("insurance")
    response = httpx.post(f"{url}/predict", json={**meta["schema"]["example"], "region": "moon"})
    assert response.status_code == 200, response.text
    assert any(item["type"] == "unknown_category" for item in response.json()["warnings"])


def test_predict_missing_optional_field_is_defaulted(server):
    url, meta = server("college_scorecard")
    optional = [f["name"] for f in meta["schema"]["fields"] if not f["required"]]
    assert optional, "college_scorecard has fields with missing values"
    record = {k: v for k, v in meta["schema"]["example"].items() if k not in optional}
    response = httpx.post(f"{url}/predict", json=record)
    assert response.status_code == 200, response.text
    assert response.json()["defaulted"], response.json()


def read_csv_answer(response: httpx.Response) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("name", NAMES)
def test_predict_csv_upload(server, name):
    url, meta = server(name)
    frame = pd.read_csv(dataset_file(name), nrows=40, dtype=str, keep_default_na=False)
    files = {"file": ("rows.csv", frame.to_csv(index=False).encode(), "text/csv")}
    out = read_csv_answer(httpx.post(f"{url}/predict/csv", files=files))
    assert len(out) == 40
    assert list(out.columns[: frame.shape[1]]) == list(frame.columns)
    assert (out["error"] == "").all(), out["error"].unique()
    if meta["classes"]:
        assert set(out["prediction"]) <= set(meta["classes"])
        assert {f"probability_{c}" for c in meta["classes"]} <= set(out.columns)
    else:
        assert out["prediction"].astype(float).notna().all()


def test_predict_csv_bad_rows_are_reported_not_fatal(server):
    url, _ = server("drug200")
    text = (
        "Age,Sex,BP,Cholesterol,Na_to_K\n"
        "23,F,HIGH,HIGH,25.355\n"
        "old,F,HIGH,HIGH,25.355\n"
        "47,m,low,high,10.1\n"
        "61,F,SKY,HIGH,\n"
    )
    response = httpx.post(f"{url}/predict/csv", content=text, headers={"content-type": "text/csv"})
    out = read_csv_answer(response)
    assert list(out["error"] != "") == [False, True, False, True]
    assert "'Age'" in out["error"][1]
    assert out["prediction"][1] == "" and out["prediction"][0] != ""
    assert "scored.csv" in response.headers["content-disposition"]


def test_predict_csv_large_file_streams_in_chunks(server):
    """More rows than one scoring chunk: one header, every row back, in order."""
    url, _ = server("insurance")
    rows = dataset_rows("insurance", 50)
    frame = pd.DataFrame(rows * 500)  # 25,000 rows > 10,000 per chunk
    frame["row_id"] = range(len(frame))
    response = httpx.post(
        f"{url}/predict/csv",
        content=frame.to_csv(index=False),
        headers={"content-type": "text/csv"},
        timeout=60,
    )
    out = read_csv_answer(response)
    assert len(out) == len(frame)
    assert out["row_id"].astype(int).tolist() == list(range(len(frame)))
    assert (out["prediction"] != "").all()
    assert response.headers.get("transfer-encoding") == "chunked"


def test_predict_csv_other_separator_on_request(server):
    url, _ = server("insurance")
    text = "age;sex;bmi;children;smoker;region\n19;female;27.9;0;yes;southwest\n"
    response = httpx.post(
        f"{url}/predict/csv",
        params={"sep": ";"},
        content=text,
        headers={"content-type": "text/csv"},
    )
    assert len(read_csv_answer(response)) == 1


def test_health_ready_metadata(server):
    url, meta = server("drug200")
    assert httpx.get(f"{url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{url}/ready").json() == {"status": "ready"}
    assert meta["task"] == "multiclass"
    assert meta["target"] == "Drug"
    assert {f["name"] for f in meta["schema"]["fields"]} == {
        "Age",
        "Sex",
        "BP",
        "Cholesterol",
        "Na_to_K",
    }
    assert meta["metrics"]
    assert meta["summary"]["target"]["name"] == "Drug"  # what remote forms draw
    assert meta["model_load_seconds"] > 0
    assert meta["manifest"]
    assert meta["omp_num_threads"] == "1"  # one thread per worker, set by tabship serve


def test_docs_page(server):
    url, _ = server("insurance")
    response = httpx.get(f"{url}/docs")
    assert response.status_code == 200, response.text
    assert "swagger" in response.text.lower()
    # No CDN: every asset the page loads is served by the app itself.
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    assert "https://" not in response.text and "http://" not in response.text
    for asset in assets:
        assert httpx.get(f"{url}{asset}").status_code == 200, asset


def test_metrics_count_requests_and_predictions(server):
    url, meta = server("drug200")
    httpx.post(f"{url}/predict", json=[meta["schema"]["example"]] * 3)
    httpx.get(f"{url}/nowhere/at/all")
    text = httpx.get(f"{url}/metrics").text
    assert re.search(
        r'tabship_http_requests_total\{method="POST",route="/predict",status="200"\} \d', text
    )
    assert 'route="unmatched",status="404"' in text
    assert "nowhere" not in text
    assert re.search(
        r'tabship_predictions_total\{predicted_class="drug\w+",task="multiclass"\}', text
    )
    assert re.search(r"tabship_model_load_seconds [0-9.e-]+", text)
    assert "tabship_http_request_duration_seconds_bucket" in text


def test_api_key_lets_the_right_caller_in(trained_model, live_server):
    url = live_server(
        trained_model("insurance"),
        *("--api-key", API_KEY, "--max-body-mb", "0.01", "--max-records", "5"),
        *("--cors", "https://example.org"),
    )
    example = httpx.get(f"{url}/metadata").json()["schema"]["example"]
    auth = {"Authorization": f"Bearer {API_KEY}"}
    assert httpx.post(f"{url}/predict", json=example, headers=auth).status_code == 200
    assert httpx.get(f"{url}/predict", params=example, headers=auth).status_code == 200
    for open_route in ("/health", "/ready", "/metadata", "/metrics", "/openapi.json"):
        assert httpx.get(f"{url}{open_route}").status_code == 200, open_route
    security = httpx.get(f"{url}/openapi.json").json()["paths"]["/predict"]["post"]["security"]
    assert security == [{"bearer": []}]


def test_cors_only_for_the_given_origin(trained_model, live_server, server):
    url = live_server(
        trained_model("insurance"),
        *("--api-key", API_KEY, "--max-body-mb", "0.01", "--max-records", "5"),
        *("--cors", "https://example.org"),
    )
    preflight = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = httpx.options(f"{url}/predict", headers=preflight)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == "https://example.org"
    # POST /predict answers past FastAPI's router (serve/_direct.py), still inside CORS.
    example = httpx.get(f"{url}/metadata").json()["schema"]["example"]
    headers = {"Origin": "https://example.org", "Authorization": f"Bearer {API_KEY}"}
    answer = httpx.post(f"{url}/predict", json=example, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "https://example.org"
    other = httpx.get(f"{url}/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    plain_url, _ = server("insurance")
    plain = httpx.get(f"{plain_url}/health", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.slow
def test_two_workers_share_metrics(trained_model, live_server):
    """With --workers 2 any worker's /metrics counts the requests of both."""
    url = live_server(trained_model("insurance"), "--workers", "2")
    example = httpx.get(f"{url}/metadata").json()["schema"]["example"]
    for _ in range(20):  # new connections, spread over the workers by the kernel
        assert httpx.post(f"{url}/predict", json=example).status_code == 200
    text = httpx.get(f"{url}/metrics").text
    match = re.search(
        r'tabship_predictions_total\{predicted_class="",task="regression"\} (\S+)', text
    )
    assert match and float(match.group(1)) == 20.0, text
