"""Missing-value markers over HTTP: a JSON "PS" in a number field is missing, like null."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

from tabship import runtime
from tests._servers import MODELS, dataset_file

pytestmark = pytest.mark.integration

TARGET = MODELS["college_scorecard"][0]


@pytest.fixture(scope="module")
def college(trained_model, live_server) -> tuple[str, runtime.Model]:
    path = trained_model("college_scorecard")
    return live_server(path), runtime.load(path)


def raw_records(n: int) -> list[dict[str, object]]:
    """Rows of the file as a JSON client would send them: every cell as text."""
    frame = pd.read_csv(
        dataset_file("college_scorecard"), nrows=n, dtype=str, keep_default_na=False
    )
    return frame.drop(columns=[TARGET]).to_dict(orient="records")


def test_marker_in_a_number_field_is_missing_and_reported(college):
    url, _ = college
    record = next(r for r in raw_records(200) if r["EARN_MDN_1YR"] == "PS")
    marked = httpx.post(f"{url}/predict", json=record)
    assert marked.status_code == 200, marked.text
    nulled = httpx.post(f"{url}/predict", json={**record, "EARN_MDN_1YR": None}).json()
    assert marked.json()["predictions"] == nulled["predictions"]
    assert [0, "EARN_MDN_1YR"] in marked.json()["defaulted"]
    assert marked.json()["defaulted"] == nulled["defaulted"]


def test_raw_rows_score_over_http_as_in_python(college):
    url, model = college
    records = raw_records(50)
    answer = httpx.post(f"{url}/predict", json=records)
    assert answer.status_code == 200, answer.text
    local = model.predict(records)
    assert answer.json()["predictions"] == pytest.approx(local.tolist(), rel=1e-9)
