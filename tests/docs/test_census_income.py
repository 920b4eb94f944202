"""docs/tutorials/census-income.md (UCI Adult → decision tree → Flask form → Heroku):
every block run, its form photographed."""

from __future__ import annotations

import pytest

from tests.docs._pages import run_tutorial

pytestmark = [pytest.mark.docs, pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_census_income_page_runs_as_written(browser, tmp_path):
    page = run_tutorial("census-income", ["adult.csv"], browser, tmp_path)
    assert (page.workdir / "models" / "income" / "report.html").exists()
