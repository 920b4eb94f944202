"""docs/tutorials/drug.md (drug200 → Flask GET API → Azure, ipywidgets client): every
block run, its form photographed."""

from __future__ import annotations

import pytest

from tests.docs._pages import run_tutorial

pytestmark = [pytest.mark.docs, pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_drug_page_runs_as_written(browser, tmp_path):
    page = run_tutorial("drug", ["drug200.csv"], browser, tmp_path)
    assert (page.workdir / "deploy" / "azure" / "startup.sh").exists()
