"""One tutorial page run end to end: its data in a scratch folder, every block run in
order (``tests/docs/_runner.py``), then the form it serves photographed by a real
headless Chromium (``tests/_browser.py``) while its server still runs.

The screenshot is taken on every run; it replaces the one stored next to the page
(``docs/tutorials/img/NAME-form.png``) only when that is missing or when
``TABSHIP_DOCS_SCREENSHOTS=update`` is set, so a test run leaves the tree as it was
(the form shows the model's test metric, which differs a little between runs).
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path
from typing import Any

from tests.docs._runner import PageRun, run_page, screenshot_form

ROOT = Path(__file__).parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"
DATASETS = ROOT / "tests" / "datasets"


def place_datasets(names: list[str], workdir: Path) -> None:
    """Plain copies of the reference datasets the page reads, as a reader has them."""
    for name in names:
        with gzip.open(DATASETS / f"{name}.gz", "rb") as src, open(workdir / name, "wb") as dst:
            shutil.copyfileobj(src, dst)


def run_tutorial(
    name: str, datasets: list[str], browser: Any, tmp_path: Path, *, result: bool = False
) -> PageRun:
    """Run ``docs/tutorials/NAME.md`` in ``tmp_path/work`` and photograph its form (and,
    with ``result``, the result page of the form's example record)."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    place_datasets(datasets, workdir)
    shots = [f"{name}-form.png", *([f"{name}-result.png"] if result else [])]
    with run_page(TUTORIALS / f"{name}.md", workdir) as page:
        screenshot_form(browser, page.url(8000), *(tmp_path / shot for shot in shots))
    for shot in shots:
        keep(tmp_path / shot, TUTORIALS / "img" / shot)
    return page


def keep(shot: Path, stored: Path) -> None:
    """Store a screenshot next to the page when it has none yet, or when asked to."""
    assert shot.stat().st_size > 10_000, f"the screenshot {shot.name} is (nearly) empty"
    if not stored.exists() or os.environ.get("TABSHIP_DOCS_SCREENSHOTS") == "update":
        shutil.copyfile(shot, stored)
