"""A real headless Chromium fills the drug200 form as a person would and reads the result.

Playwright drives Debian's ``/usr/bin/chromium`` (never a downloaded browser). The
screenshots land in each test's ``tmp_path``: the result page at desktop width and the
form at phone width (390 px), which is also checked for a single column and no sideways
scrolling. One run has JavaScript switched off to show the pages need none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

# The tutorial's acceptance cases (drugY / drugC / drugA), as a user would pick them.
CASES = [
    ({"Age": "60", "Sex": "F", "BP": "LOW", "Cholesterol": "HIGH", "Na to K": "20"}, "drugY"),
    ({"Age": "47", "Sex": "M", "BP": "LOW", "Cholesterol": "HIGH", "Na to K": "10.1"}, "drugC"),
    ({"Age": "30", "Sex": "F", "BP": "HIGH", "Cholesterol": "NORMAL", "Na to K": "9"}, "drugA"),
]
SELECTS = ("Sex", "BP", "Cholesterol")


@pytest.fixture(scope="module")
def drug(trained_model, live_server) -> str:
    return live_server(trained_model("drug200"))


def fill_and_submit(page: Any, values: dict[str, str]) -> None:
    """Pick the dropdowns by their visible label and type the numbers, then press Predict."""
    for label, value in values.items():
        control = page.get_by_label(label, exact=False).first
        if label in SELECTS:
            control.select_option(label=value)
        else:
            control.fill(value)
    page.get_by_role("button", name="Predict Drug").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize(("values", "expected"), CASES, ids=[c[1] for c in CASES])
def test_user_fills_the_form_and_sees_prediction_and_plot(
    browser: Any, drug: str, tmp_path: Path, values: dict[str, str], expected: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{drug}/")
    assert page.title().startswith("Predict Drug")
    fill_and_submit(page, values)
    assert page.locator("#prediction").inner_text().strip() == expected
    assert page.locator("#distribution svg").is_visible()
    assert page.locator("#probabilities svg").is_visible()
    assert page.locator("#contributions svg rect").count() >= 5
    shot = tmp_path / f"result-{expected}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # the form on the result page is filled with what the model read
    assert page.locator("select[name=BP]").input_value() == values["BP"]
    page.close()


def test_form_fits_a_phone_in_one_column(browser: Any, drug: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{drug}/")
    boxes = [page.locator(f"[name={name}]").bounding_box() for name in ("Age", "Sex", "BP")]
    assert len({round(b["x"]) for b in boxes}) == 1  # stacked, not side by side
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot = tmp_path / "form-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    page.close()


def test_form_works_with_javascript_off(browser: Any, drug: str, tmp_path: Path) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 800}
    )
    page = context.new_page()
    page.goto(f"{drug}/")
    assert page.locator("input[type=range]").count() == 0  # the optional script did not run
    fill_and_submit(page, CASES[0][0])
    assert page.locator("#prediction").inner_text().strip() == "drugY"
    assert page.locator("#distribution svg").is_visible()
    page.screenshot(path=str(tmp_path / "result-no-js.png"), full_page=True)
    context.close()


def test_with_an_api_key_the_user_signs_in_once_then_predicts(
    browser: Any, trained_model: Any, live_server: Any, tmp_path: Path
) -> None:
    """Wrong key: the message and no cookie; right key: the form, and it predicts; the
    cookie is invisible to scripts and never holds the key; Sign out asks again."""
    key = "browser-k3y"
    base = live_server(trained_model("drug200"), "--api-key", key)
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/")
    assert page.title().startswith("Sign in")
    page.get_by_label("API key").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert "not the server's API key" in page.locator("#error-summary").inner_text()
    assert context.cookies() == []
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and key not in cookie["value"]
    assert page.evaluate("document.cookie") == ""
    fill_and_submit(page, CASES[0][0])
    assert page.locator("#prediction").inner_text().strip() == "drugY"
    page.screenshot(path=str(tmp_path / "signed-in-result.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    assert page.title().startswith("Sign in") and context.cookies() == []
    context.close()
