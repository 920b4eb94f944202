"""A CSV upload holding a NUL byte anywhere, not only in its first 64 KB, is refused as
binary (pandas would silently drop the byte and score a table the user never wrote)."""

from __future__ import annotations

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

ROW = b"19,female,27.9,0,yes,southwest\n"


@pytest.mark.parametrize("rows_before", [0, 5_000])  # 5,000 rows: about 155 KB
def test_a_nul_byte_anywhere_in_an_upload_is_a_422_naming_its_line(
    insurance_url: str, rows_before: int
) -> None:
    body = b"age,sex,bmi,children,smoker,region\n" + ROW * rows_before
    body += b"33,male,22.7,0,no,north\x00west\n"
    assert len(body) < 65_536 or body.index(b"\x00") > 65_536
    response = httpx.post(
        f"{insurance_url}/predict/csv", files={"file": ("x.csv", body, "text/csv")}
    )
    assert_error_body(response, 422, ["body"])
    assert f"line {rows_before + 2}" in response.json()["message"]
