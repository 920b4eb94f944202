"""docs/tutorials/college-earnings.md (College Scorecard → Voila and Flask → Saturn
Cloud): every block run, its form photographed."""

from __future__ import annotations

import pytest

from tests.docs._pages import run_tutorial

pytestmark = [pytest.mark.docs, pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_college_earnings_page_runs_as_written(browser, tmp_path):
    page = run_tutorial(
        "college-earnings", ["college_scorecard.csv"], browser, tmp_path, result=True
    )
    assert (page.workdir / "deploy" / "docker" / "Dockerfile").exists()
