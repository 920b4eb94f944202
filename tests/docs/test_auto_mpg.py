"""docs/tutorials/auto-mpg.md (raw UCI file → scikit-learn → Flask JSON API → Heroku):
every block run, its form photographed."""

from __future__ import annotations

import json

import pytest

from tests.docs._pages import run_tutorial

pytestmark = [pytest.mark.docs, pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_auto_mpg_page_runs_as_written(browser, tmp_path):
    page = run_tutorial("auto-mpg", ["auto-mpg.data"], browser, tmp_path)
    schema = json.loads((page.workdir / "models" / "mpg" / "schema.json").read_text())
    derived = json.dumps(schema)
    assert "acc_on_power" in derived and "acc_on_cyl" in derived
