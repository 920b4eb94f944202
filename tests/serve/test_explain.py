"""Explanations agree everywhere: ``POST /predict?explain=true``, the result page, the
notebook form (local and remote) and ``Model.score`` give the same numbers, which add
up to the prediction (the predicted class's probability) minus ``expected_value``."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tabship import runtime
from tabship.views import contribution_svg

pytestmark = pytest.mark.integration

RECORDS = {
    "insurance": {"age": 30, "sex": "male", "bmi": 25.5, "children": 0, "smoker": "no",
                  "region": "northeast"},
    "drug200": {"Age": 61, "Sex": "M", "BP": "LOW", "Cholesterol": "NORMAL", "Na_to_K": 9.5},
}  # fmt: skip


@pytest.fixture(scope="module")
def served(trained_model, live_server):
    """Factory: ``served("insurance")`` -> (base URL, the same model loaded here)."""

    def get(name: str) -> tuple[str, runtime.Model]:
        path = trained_model(name)
        return live_server(path), runtime.load(path)

    return get


def contributions_figure(page: str) -> str:
    found = re.search(r'<figure class="chart-figure" id="contributions">(.*?)</figure>', page, re.S)
    assert found, "the result page has no contributions chart"
    return found.group(1).strip()


@pytest.mark.parametrize("name", list(RECORDS))
def test_api_page_and_python_give_the_same_contributions(served, name):
    url, model = served(name)
    record = RECORDS[name]
    local = model.score(record, explain=True)
    answer = httpx.post(f"{url}/predict", params={"explain": "true"}, json=record)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expected_value"] == local.expected_value
    assert body["explanations"] == local.explanations
    predicted = body["predictions"][0]
    total = sum(c["contribution"] for c in body["explanations"][0])
    if body["probabilities"] is None:
        gap = predicted - body["expected_value"]
    else:
        gap = body["probabilities"][0][predicted] - body["expected_value"][predicted]
    assert total == pytest.approx(gap, rel=1e-6, abs=1e-9)
    unit = "pp" if body["probabilities"] else ""
    drawn = str(contribution_svg(local.explanations[0], unit=unit))
    page = httpx.post(f"{url}/", data={k: str(v) for k, v in record.items()}, timeout=60).text
    assert contributions_figure(page) == drawn
    assert "average prediction over training rows" in html.unescape(page)


def test_notebook_form_draws_the_same_contributions(served):
    pytest.importorskip("ipywidgets")
    from tabship.notebook import form

    url, model = served("insurance")
    record = RECORDS["insurance"]
    drawn = str(contribution_svg(model.score(record, explain=True).explanations[0]))
    for built in (form(model), form(url)):
        for name, value in record.items():
            built.inputs[name].value = value
        built.predict()
        assert drawn in built.result.value


def test_too_many_records_to_explain_is_a_422(served):
    url, _ = served("insurance")
    records = [RECORDS["insurance"]] * 101
    answer = httpx.post(f"{url}/predict", params={"explain": "true"}, json=records)
    assert answer.status_code == 422, answer.text
    assert "at most 100 records" in answer.json()["detail"][0]["msg"]
    assert httpx.post(f"{url}/predict", json=records).status_code == 200
