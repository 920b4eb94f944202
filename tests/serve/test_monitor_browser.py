"""A real headless Chromium opens ``/monitor`` of a server with a log, with JavaScript on
and off: the drifted features are listed with their charts, the live metrics are shown
once feedback came. Screenshots land in the test's ``tmp_path``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from tests._servers import dataset_file

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def monitored(trained_model, live_server, tmp_path_factory) -> str:
    """A server whose log holds 150 shifted records (older, all smokers) with feedback."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-log') / 'log.db'}"
    server = live_server(trained_model("insurance"), "--log", url)
    data = pd.read_csv(dataset_file("insurance")).sample(n=150, random_state=1)
    shifted = data.assign(age=(data["age"] + 25).clip(upper=64), smoker="yes")
    answer = httpx.post(
        f"{server}/predict", json=shifted.drop(columns=["charges"]).to_dict("records"), timeout=60
    ).json()
    items = [
        {"id": i, "actual": float(a)} for i, a in zip(answer["ids"], data["charges"], strict=True)
    ]
    assert httpx.post(f"{server}/feedback", json=items, timeout=60).status_code == 200
    return server


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_the_monitor_page_shows_drift_and_live_metrics(
    browser: Any, monitored: str, tmp_path: Path, javascript: bool
) -> None:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    response = page.goto(f"{monitored}/monitor")
    assert response is not None and response.status == 200
    text = page.locator("body").inner_text()
    for name in ("age", "smoker", "region"):
        assert name in text
    assert page.locator("svg").count() >= 4
    assert page.locator("svg").first.is_visible()
    assert "alert" in text.lower()  # age and smoker are shifted far from training
    assert "r2" in text.lower() or "R²" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shot = tmp_path / f"monitor-{'js' if javascript else 'nojs'}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    context.close()
