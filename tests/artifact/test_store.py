"""save/load: round trip, atomic writes, force semantics, and every refusal on load."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from tabship import artifact
from tabship.errors import (
    ArtifactError,
    ArtifactFormatError,
    OptionError,
    OutputError,
    OutputExistsError,
    TabshipWarning,
    TamperedArtifactError,
)
from tests.artifact.conftest import edit_manifest, entries, rewrite


def test_save_load_round_trip_predicts_identically(model_dir, ridge_pipeline, insurance_xy):
    X, _ = insurance_xy
    loaded = artifact.load(model_dir)
    np.testing.assert_array_equal(loaded.pipeline.predict(X), ridge_pipeline.predict(X))
    assert loaded.schema.names == list(X.columns)
    assert loaded.metrics["holdout"] == {"r2": 0.75}
    assert loaded.summary == {"target": {"bins": [0, 1], "counts": [3]}}
    assert loaded.report_html == "<html><body>report</body></html>"
    assert loaded.path == model_dir
    assert "charges" in repr(loaded) and "regression" in repr(loaded)


def test_save_writes_manifest_with_versions_and_hashes(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["format"] == "tabship-model"
    assert manifest["format_version"] == artifact.FORMAT_VERSION == 2
    assert manifest["created"].endswith("+00:00")
    assert {"numpy", "pandas", "scikit-learn", "skops"} <= set(manifest["libraries"])
    expected = {"pipeline.skops", "schema.json", "metrics.json", "summary.json", "report.html"}
    assert set(manifest["files"]) == expected
    assert entries(model_dir) == sorted([*expected, "manifest.json"])


def test_save_writes_strict_json(tmp_path, save_model):
    metrics = {"r2": np.float64(0.5), "folds": np.arange(3), "std": float("nan"), "t": (1, 2)}
    path = save_model(tmp_path / "m", metrics=metrics)
    text = (path / "metrics.json").read_text()
    assert json.loads(text) == {"r2": 0.5, "folds": [0, 1, 2], "std": None, "t": [1, 2]}
    assert "NaN" not in text


def test_save_keeps_extra_files(tmp_path, save_model):
    path = save_model(tmp_path / "m", extra_files={"notes.txt": "héllo", "plot.png": b"\x89PNG"})
    loaded = artifact.load(path)
    assert loaded.extra_files == {"notes.txt": "héllo".encode(), "plot.png": b"\x89PNG"}


@pytest.mark.parametrize("name", ["../up.txt", "sub/x.txt", ".hidden", "schema.json", ""])
def test_save_refuses_extra_file_names_that_are_not_plain(tmp_path, save_model, name):
    with pytest.raises(OptionError, match="extra_files"):
        save_model(tmp_path / "m", extra_files={name: b"x"})
    assert not (tmp_path / "m").exists()


def test_save_refuses_existing_target_without_force(model_dir, save_model):
    before = (model_dir / "manifest.json").read_bytes()
    with pytest.raises(OutputExistsError, match="already exists.*--force"):
        save_model(model_dir, report_html="new")
    assert (model_dir / "manifest.json").read_bytes() == before
    assert entries(model_dir.parent) == ["charges"]


def test_save_with_force_replaces_a_model_and_leaves_nothing_behind(model_dir, save_model):
    save_model(model_dir, report_html="second", force=True)
    assert artifact.load(model_dir).report_html == "second"
    assert entries(model_dir.parent) == ["charges"]


def test_save_with_force_never_replaces_a_folder_that_is_not_a_model(tmp_path, save_model):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(OutputError, match="not a tabship model"):
        save_model(folder, force=True)
    assert entries(folder) == ["cat.jpg"]
    assert entries(tmp_path) == ["photos"]


def test_save_with_force_never_replaces_a_file(tmp_path, save_model):
    target = tmp_path / "model"
    target.write_text("not a model")
    with pytest.raises(OutputError, match="not a tabship model"):
        save_model(target, force=True)
    assert target.read_text() == "not a model"


def test_save_refuses_a_parent_that_cannot_be_a_folder(tmp_path, save_model):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot be created or written"):
        save_model(tmp_path / "file" / "model")


def test_save_creates_missing_parent_folders(tmp_path, save_model):
    path = save_model(tmp_path / "models" / "deep" / "charges")
    assert artifact.load(path).schema.target.name == "charges"


def _generator_pipeline():
    # skops refuses generators; the error comes from inside serialisation.
    return make_pipeline(FunctionTransformer(kw_args={"g": (i for i in range(3))}))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"pipeline": _generator_pipeline()}, "cannot be stored safely with skops"),
        ({"pipeline": make_pipeline(FunctionTransformer(os.system))}, "refuses to load.*system"),
        ({"metrics": {"when": object()}}, "metrics.json cannot be written as JSON"),
        ({"summary": {"x": {1, 2}}}, "summary.json cannot be written as JSON"),
        # Fails midway, inside the temporary folder: the name is too long for the disk.
        ({"extra_files": {"x" * 300: b"1"}}, "writing it failed"),
    ],
)
def test_failed_save_with_force_keeps_the_previous_model(
    model_dir, save_model, ridge_pipeline, insurance_xy, overrides, match
):
    with pytest.raises(OutputError, match=match):
        save_model(model_dir, force=True, **overrides)
    X, _ = insurance_xy
    loaded = artifact.load(model_dir)
    np.testing.assert_array_equal(loaded.pipeline.predict(X), ridge_pipeline.predict(X))
    assert entries(model_dir.parent) == ["charges"]


def test_load_missing_path(tmp_path):
    with pytest.raises(ArtifactError, match="'.*nowhere'.*does not exist"):
        artifact.load(tmp_path / "nowhere")


def test_load_folder_without_manifest(tmp_path):
    with pytest.raises(ArtifactError, match="no manifest.json.*not a tabship model"):
        artifact.load(tmp_path)


def test_load_plain_file(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ArtifactError, match="neither a model folder nor a packed"):
        artifact.load(tmp_path / "data.csv")


def test_load_detects_edited_schema(model_dir):
    path = model_dir / "schema.json"
    path.write_text(path.read_text().replace('"charges"', '"price"'))
    with pytest.raises(TamperedArtifactError, match="'schema.json' does not match the sha256"):
        artifact.load(model_dir)


def test_load_detects_one_changed_byte_in_the_pipeline(model_dir):
    data = bytearray((model_dir / "pipeline.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_dir / "pipeline.skops").write_bytes(bytes(data))
    with pytest.raises(TamperedArtifactError, match="'pipeline.skops' does not match"):
        artifact.load(model_dir)


def test_load_detects_a_missing_file(model_dir):
    (model_dir / "summary.json").unlink()
    with pytest.raises(TamperedArtifactError, match="'summary.json' listed in its manifest is"):
        artifact.load(model_dir)


def test_load_refuses_a_newer_format_version(model_dir):
    edit_manifest(model_dir, format_version=99)
    with pytest.raises(
        ArtifactFormatError,
        match=r"format version 99 is newer than this tabship understands \(2\).*[Uu]pgrade",
    ):
        artifact.load(model_dir)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"format_version": 0}, "format version 0 is not one this tabship reads"),
        ({"format_version": "1"}, "format_version must be an integer"),
        ({"format": "something-else"}, "must declare format 'tabship-model'"),
        ({"files": ["pipeline.skops"]}, "no 'files' table"),
        ({"files": {"../../etc/passwd": "00"}}, "invalid file entry '../../etc/passwd'"),
        ({"files": {"pipeline.skops": "00"}}, "does not list schema.json"),
    ],
)
def test_load_refuses_malformed_manifests(model_dir, changes, match):
    edit_manifest(model_dir, **changes)
    with pytest.raises(ArtifactFormatError, match=match):
        artifact.load(model_dir)


def test_load_refuses_a_manifest_that_is_not_json(model_dir):
    (model_dir / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactFormatError, match="manifest.json is not valid JSON"):
        artifact.read_manifest(model_dir)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("schema.json", b"[1, 2", "schema.json is not valid JSON"),
        ("schema.json", b'{"fields": []}', "schema.json does not describe a schema"),
        ("metrics.json", b"\xff\xfe", "metrics.json is not valid JSON"),
        ("report.html", b"\xff\xfe", "report.html is not UTF-8 text"),
        ("pipeline.skops", b"PK\x05\x06" + bytes(18), "pipeline.skops is not a readable skops"),
        ("pipeline.skops", b"not a zip", "pipeline.skops is not a readable skops"),
    ],
)
def test_load_refuses_malformed_files_with_valid_hashes(model_dir, name, content, match):
    rewrite(model_dir, name, content)
    with pytest.raises(ArtifactFormatError, match=match):
        artifact.load(model_dir)


def test_load_warns_when_library_versions_differ(model_dir, ridge_pipeline, insurance_xy):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    edit_manifest(model_dir, libraries={**manifest["libraries"], "scikit-learn": "0.0.1"})
    with pytest.warns(TabshipWarning, match=r"scikit-learn 0\.0\.1 \(installed: \d"):
        loaded = artifact.load(model_dir)
    X, _ = insurance_xy
    np.testing.assert_array_equal(loaded.pipeline.predict(X), ridge_pipeline.predict(X))


def test_read_manifest_and_schema_do_not_need_the_pipeline(model_dir):
    (model_dir / "pipeline.skops").write_bytes(b"broken")
    assert artifact.read_manifest(model_dir)["format_version"] == 2
    assert artifact.read_schema(model_dir).target.name == "charges"
    with pytest.raises(TamperedArtifactError, match="pipeline.skops"):
        artifact.load(model_dir)


def test_read_schema_still_verifies_the_schema(model_dir):
    (model_dir / "schema.json").write_text("{}")
    with pytest.raises(TamperedArtifactError, match="schema.json"):
        artifact.read_schema(model_dir)


FIXTURES = Path(__file__).parent / "fixtures"


def test_load_format_v1_fixture(insurance_xy):
    """A model written by tabship 0.1.0 (format 1) stays loadable by every later tabship.

    Never regenerate ``fixtures/format_v1``; when the format changes, add a new fixture.
    Library versions differ over time, so their warnings are expected here.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TabshipWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
        loaded = artifact.load(FIXTURES / "format_v1")
    X, _ = insurance_xy
    expected = json.loads((FIXTURES / "format_v1_predictions.json").read_text())
    np.testing.assert_allclose(loaded.pipeline.predict(X.head(5)), expected, rtol=1e-9)
    assert loaded.manifest["format_version"] == 1


def test_save_returns_the_path(tmp_path: Path, save_model: Callable[..., Path]):
    assert save_model(str(tmp_path / "m")) == tmp_path / "m"
