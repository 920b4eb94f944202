"""The notebook form served by a real Voila, driven in a real headless Chromium.

Voila runs a notebook whose only cell is ``tabship.notebook.form(MODEL)`` in a kernel
and renders its widgets in the page, as a dashboard user sees them. The browser may only
talk to 127.0.0.1 (Voila's default template links icon fonts on a CDN; they are refused
and nothing depends on them). The user picks the dropdowns, types the numbers, presses
Predict and must read the model's own answer, with the plot, under the form.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("voila")
pytest.importorskip("ipykernel")

import nbformat  # noqa: E402

import tabship  # noqa: E402
from tests._servers import free_port  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

RECORD = {"Age": 47, "Sex": "M", "BP": "LOW", "Cholesterol": "HIGH", "Na_to_K": 10.1}
STARTUP_SECONDS = 90.0


@pytest.fixture(scope="module")
def voila_form(trained_model, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A Voila server for a notebook that shows the drug200 form; (URL, model folder)."""
    model_dir = trained_model("drug200")
    work = tmp_path_factory.mktemp("voila")
    notebook = nbformat.v4.new_notebook()
    code = f"import tabship.notebook\ntabship.notebook.form({str(model_dir)!r})"
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(notebook, work / "form.ipynb")
    port = free_port()
    log = work / "voila.log"
    command = [sys.executable, "-m", "voila", "form.ipynb", "--no-browser",
               f"--port={port}", "--Voila.ip=127.0.0.1"]  # fmt: skip
    env = {"JUPYTER_RUNTIME_DIR": str(work / "runtime"), "JUPYTER_DATA_DIR": str(work / "data")}
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command, cwd=work, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(port, process, log)
        yield url, model_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until Voila listens (a page request would start a kernel each time)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"voila exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"voila not up after {STARTUP_SECONDS}s:\n{log.read_text()}")


def _loopback_only(route: Any) -> None:
    if route.request.url.startswith("http://127.0.0.1"):
        route.continue_()
    else:
        route.abort()


def test_voila_renders_the_form_and_answers_like_the_model(browser, voila_form, tmp_path):
    url, model_dir = voila_form
    expected = str(tabship.load(model_dir).predict(RECORD)[0])
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.route("**/*", _loopback_only)
    page.goto(url, timeout=STARTUP_SECONDS * 1000)
    button = page.get_by_role("button", name="Predict")
    button.wait_for(timeout=STARTUP_SECONDS * 1000)
    for name, value in RECORD.items():
        widget = page.locator(".widget-inline-hbox", has=page.locator(f"label:text-is('{name}')"))
        if isinstance(value, str):
            widget.locator("select").select_option(label=value)
        else:
            field = widget.locator("input")
            field.fill(str(value))
            field.press("Enter")
    button.click()
    shown = page.locator(".prediction")
    shown.wait_for(timeout=30_000)
    page.wait_for_function(
        "expected => document.querySelector('.prediction').textContent.trim() === expected",
        arg=expected,
        timeout=30_000,
    )
    assert page.locator("svg").count() >= 1  # the where-it-sits plot and the bars
    page.screenshot(path=str(tmp_path / "voila-form.png"), full_page=True)
