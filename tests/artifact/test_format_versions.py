"""Every readable format version loads, and its training summary still yields drift
references (format 2 added them to summary.json; format 1 has none)."""

from __future__ import annotations

import warnings
from pathlib import Path

from tabship import artifact
from tabship.artifact._format import READABLE_VERSIONS
from tabship.data import drift_references
from tabship.errors import TabshipWarning

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_version_up_to_the_current_one_is_readable():
    assert artifact.FORMAT_VERSION == 2
    assert READABLE_VERSIONS == (1, 2)


def test_a_v1_artifact_loads_and_gives_drift_references():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TabshipWarning)
        loaded = artifact.load(FIXTURES / "format_v1", build_pipeline=False)
    assert loaded.manifest["format_version"] == 1
    refs = drift_references(loaded.summary)
    assert refs["approximate"] is True
    assert refs["features"] == {}  # tabship 0.1.0 wrote an empty summary
    assert "prediction" not in refs


def test_a_v2_artifact_keeps_its_drift_references(save_model, tmp_path):
    ref = {"kind": "numeric", "edges": [1.0], "categories": [], "counts": [2, 3], "missing": 0}
    summary = {"n_rows": 5, "drift": {"features": {"age": ref}, "prediction": ref}}
    loaded = artifact.load(save_model(tmp_path / "m", summary=summary), build_pipeline=False)
    assert loaded.manifest["format_version"] == 2
    assert drift_references(loaded.summary) == summary["drift"]
