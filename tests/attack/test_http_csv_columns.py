"""Column names in a CSV upload follow training's header rule, and only the model's
columns are cleaned: a wide upload's other columns go back exactly as sent."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

HEADER = ["age", "sex", "bmi", "children", "smoker", "region"]
ROWS = [
    ["19", "female", "27.9", "0", "yes", "southwest"],
    ["33", "male", "22.7", "0", "no", "northwest"],
]


def upload(url: str, header: list[str], rows: list[list[str]]) -> httpx.Response:
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    files = {"file": ("x.csv", text.getvalue().encode(), "text/csv")}
    return httpx.post(f"{url}/predict/csv", files=files)


def scored(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_wide_upload_scores_the_same_and_returns_its_other_columns_as_sent(insurance_url):
    extra = [f"x{i}" for i in range(2_000)]
    cells = ["NULL", "=1+1", "007 "] * 700
    wide = scored(upload(insurance_url, HEADER + extra, [r + cells[:2_000] for r in ROWS]))
    plain = scored(upload(insurance_url, HEADER, ROWS))
    assert [r["prediction"] for r in wide] == [r["prediction"] for r in plain]
    assert wide[0]["x0"] == "NULL" and wide[0]["x2"] == "007 "  # not cleaned
    assert wide[0]["x1"] == "'=1+1"  # only escaped as a formula


def test_a_blank_column_name_is_column_n_as_in_training(insurance_url):
    rows = scored(upload(insurance_url, [*HEADER, " "], [r + ["note"] for r in ROWS]))
    assert rows[0]["column_7"] == "note"
    assert not any(name.startswith("Unnamed") for name in rows[0])


def test_a_repeated_column_name_is_a_422_naming_it(insurance_url):
    response = upload(insurance_url, [*HEADER, "age"], [r + ["20"] for r in ROWS])
    assert_error_body(response, 422, ["body"])
    assert "'age'" in response.json()["message"]
