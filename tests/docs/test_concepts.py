"""docs/concepts.md: its commands run (the artifact, the error shape, the log and the
monitor) on a small drug200 model."""

from __future__ import annotations

import pytest

from tests.docs._pages import ROOT, place_datasets
from tests.docs._runner import run_page

pytestmark = [pytest.mark.docs, pytest.mark.integration, pytest.mark.slow]


def test_concepts_page_runs_as_written(tmp_path):
    place_datasets(["drug200.csv"], tmp_path)
    with run_page(ROOT / "docs" / "concepts.md", tmp_path) as page:
        assert (page.workdir / "logs" / "drug.db").exists()
