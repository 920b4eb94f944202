"""The API key guards every route that predicts, the HTML form included (issue 10, item 1).

Found: ``tabship serve M --api-key K`` answered a form post to ``/`` with a prediction,
no key asked. Now a browser user signs in with the key on a small form; the server sets
an HttpOnly, SameSite=Strict cookie holding an HMAC of the key (never the key), valid
for a limited time. Everything runs against a real server over HTTP.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.serve.test_error_shape import assert_error_body

pytestmark = [pytest.mark.attack, pytest.mark.integration]

KEY = "k3y-for-the-form"
FORM = {
    "age": "19",
    "sex": "female",
    "bmi": "27.9",
    "children": "0",
    "smoker": "yes",
    "region": "southwest",
}
COOKIE = "tabship_session"


@pytest.fixture(scope="module")
def keyed(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"), "--api-key", KEY)


def sign_in(base: str, key: str = KEY) -> httpx.Response:
    return httpx.post(f"{base}/login", data={"key": key}, follow_redirects=False, timeout=30)


def session_of(response: httpx.Response) -> dict[str, str]:
    value = response.cookies.get(COOKIE)
    assert value, response.headers
    return {COOKIE: value}


def test_form_post_without_the_key_predicts_nothing(keyed: str) -> None:
    response = httpx.post(f"{keyed}/", data=FORM, timeout=30)
    assert response.status_code == 401, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="prediction"' not in response.text
    assert re.search(r'<form[^>]+action="/login"', response.text)


def test_form_page_without_the_key_is_a_sign_in_form(keyed: str) -> None:
    response = httpx.get(f"{keyed}/", timeout=30)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert re.search(r'<input[^>]+type="password"[^>]+name="key"', response.text)
    assert "API key" in response.text
    assert 'name="age"' not in response.text  # the model's form is not shown


@pytest.mark.parametrize("key", ["wrong", "", KEY + "x", KEY.upper()])
def test_a_wrong_key_gets_no_cookie(keyed: str, key: str) -> None:
    response = sign_in(keyed, key)
    assert response.status_code == 401
    assert COOKIE not in response.cookies
    assert "not the server's API key" in response.text


def test_the_right_key_sets_a_strict_httponly_cookie_without_the_key(keyed: str) -> None:
    response = sign_in(keyed)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    header = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes, header
    assert re.search(r"(?i)samesite=strict", header), header
    assert KEY not in header


def test_with_the_cookie_the_form_predicts(keyed: str) -> None:
    cookies = session_of(sign_in(keyed))
    page = httpx.get(f"{keyed}/", cookies=cookies, timeout=30)
    assert page.status_code == 200 and 'name="age"' in page.text
    result = httpx.post(f"{keyed}/", data=FORM, cookies=cookies, timeout=30)
    assert result.status_code == 200, result.text[:300]
    assert 'id="prediction"' in result.text


def test_the_sign_in_page_has_its_own_address(keyed: str) -> None:
    page = httpx.get(f"{keyed}/login", timeout=30)
    assert page.status_code == 200 and 'name="key"' in page.text
    cookies = session_of(sign_in(keyed))
    signed_in = httpx.get(f"{keyed}/login", cookies=cookies, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"


@pytest.mark.parametrize(
    "value",
    [
        KEY,
        "v1.0.0",
        "garbage",
        "v1.9999999999.00ff",
        "v1.1700000000." + "0" * 64,
        "\u00e9t\u00e9",
    ],
)
def test_a_forged_cookie_is_refused(keyed: str, value: str) -> None:
    headers = {"cookie": f"{COOKIE}={value}".encode()}  # raw UTF-8 bytes for the last
    response = httpx.post(f"{keyed}/", data=FORM, headers=headers, timeout=30)
    assert response.status_code == 401
    assert 'id="prediction"' not in response.text


def test_a_cookie_of_another_servers_key_is_refused(trained_model, live_server, keyed) -> None:
    other = live_server(trained_model("insurance"), "--api-key", "another-key")
    cookies = session_of(sign_in(other, "another-key"))
    assert httpx.post(f"{keyed}/", data=FORM, cookies=cookies, timeout=30).status_code == 401


def test_the_bearer_header_opens_the_form_too(keyed: str) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    response = httpx.post(f"{keyed}/", data=FORM, headers=headers, timeout=30)
    assert response.status_code == 200 and 'id="prediction"' in response.text


def test_signing_out_clears_the_cookie(keyed: str) -> None:
    cookies = session_of(sign_in(keyed))
    response = httpx.post(f"{keyed}/logout", cookies=cookies, follow_redirects=False)
    assert response.status_code == 303
    assert re.search(rf'{COOKIE}=(""|);', response.headers["set-cookie"])
    assert "max-age=0" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/predict", {"json": dict(FORM)}),
        ("GET", "/predict", {"params": FORM}),
        (
            "POST",
            "/predict/csv",
            {"content": b"age\n19\n", "headers": {"content-type": "text/csv"}},
        ),
    ],
)
def test_the_api_still_answers_401_in_the_error_shape(
    keyed: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = httpx.request(method, f"{keyed}{path}", timeout=30, **kwargs)
    assert_error_body(response, 401, loc=["header", "Authorization"])


def test_a_server_without_a_key_has_no_sign_in(insurance_url: str) -> None:
    base = insurance_url
    assert httpx.get(f"{base}/", timeout=30).status_code == 200
    assert httpx.post(f"{base}/", data=FORM, timeout=30).status_code == 200
    assert_error_body(sign_in(base), 404, loc=["path"])
