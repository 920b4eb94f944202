"""A CSV upload with more than one file is refused, naming the fields (issue 10, item 9).

Found: a multipart upload with two files was answered from the second one, silently. Now
it is a 422 naming every file field, so a client never gets predictions for a file it
did not mean.
"""

from __future__ import annotations

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

CSV = b"age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n"
OTHER = b"age,sex,bmi,children,smoker,region\n64,male,40,3,no,northeast\n"


def upload(insurance_url: str, files: list[tuple[str, tuple[str, bytes, str]]]) -> httpx.Response:
    return httpx.post(f"{insurance_url}/predict/csv", files=files, timeout=30)


def test_two_files_in_the_file_field_are_refused(insurance_url: str) -> None:
    files = [("file", ("a.csv", CSV, "text/csv")), ("file", ("b.csv", OTHER, "text/csv"))]
    detail = assert_error_body(upload(insurance_url, files), 422, loc=["body", "file"])
    assert detail[0]["type"] == "too_many_files"
    assert "'file'" in detail[0]["msg"] and "2" in detail[0]["msg"]


def test_a_file_beside_the_file_field_is_refused_naming_both(insurance_url: str) -> None:
    files = [("file", ("a.csv", CSV, "text/csv")), ("other", ("b.csv", OTHER, "text/csv"))]
    detail = assert_error_body(upload(insurance_url, files), 422, loc=["body", "other"])
    assert "'file'" in detail[0]["msg"] and "'other'" in detail[0]["msg"]


def test_two_files_under_other_names_are_refused(insurance_url: str) -> None:
    files = [("x", ("a.csv", CSV, "text/csv")), ("y", ("b.csv", OTHER, "text/csv"))]
    detail = assert_error_body(upload(insurance_url, files), 422)
    assert "'x'" in detail[0]["msg"] and "'y'" in detail[0]["msg"]


def test_one_file_under_another_name_still_works(insurance_url: str) -> None:
    response = upload(insurance_url, [("upload", ("a.csv", CSV, "text/csv"))])
    assert response.status_code == 200, response.text


def test_one_file_with_text_fields_beside_it_works(insurance_url: str) -> None:
    response = httpx.post(
        f"{insurance_url}/predict/csv",
        files={"file": ("a.csv", CSV, "text/csv")},
        data={"note": "hello"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.text.splitlines()[1].startswith("19,female")
