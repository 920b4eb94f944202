"""Sizes in the manifest, and the bounds every read of a model keeps.

The decompression bombs themselves (600 MB members, peak memory) are in
``tests/attack/test_artifact_bombs.py``; these are the small, fast cases.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tabship import artifact
from tabship.errors import ArtifactFormatError, TamperedArtifactError
from tests.artifact.conftest import edit_manifest


def test_save_records_every_file_size(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["sizes"] == {
        name: (model_dir / name).stat().st_size for name in manifest["files"]
    }
    assert manifest["format_version"] == 2  # an optional key: no format bump


def test_a_file_of_another_size_is_refused_before_it_is_read(model_dir):
    report = model_dir / "report.html"
    report.write_bytes(report.read_bytes() + b"<!-- more -->")
    with pytest.raises(
        TamperedArtifactError, match=r"'report\.html' does not match the sha256.*records"
    ):
        artifact.load(model_dir)


def test_a_model_without_sizes_still_loads(model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    del manifest["sizes"]
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    assert artifact.load(model_dir).schema.target.name == "charges"


@pytest.mark.parametrize(
    "sizes",
    [[1, 2], {"report.html": -1}, {"report.html": True}, {"report.html": "12"}, {"x.bin": 1}],
    ids=["list", "negative", "bool", "text", "unlisted"],
)
def test_malformed_sizes_are_refused(model_dir, sizes):
    edit_manifest(model_dir, sizes=sizes)
    with pytest.raises(ArtifactFormatError, match="sizes|invalid size"):
        artifact.load(model_dir)


def _repacked(packed, tmp_path, replace: dict[str, bytes]):
    """The packed model with some members replaced, the manifest untouched."""
    out = tmp_path / "edited.tabship"
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for name in source.namelist():
            dest.writestr(name, replace.get(name, source.read(name)))
    return out


def test_a_packed_member_of_another_size_is_refused(model_dir, tmp_path):
    packed = artifact.pack(model_dir, tmp_path / "m.tabship")
    edited = _repacked(packed, tmp_path, {"report.html": b"x" * 100_000})
    with pytest.raises(TamperedArtifactError, match=r"'report\.html'.*100,000 bytes"):
        artifact.load(edited)


def test_a_huge_manifest_is_refused(tmp_path):
    packed = tmp_path / "m.tabship"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b" " * (16 * 2**20 + 1))
    with pytest.raises(ArtifactFormatError, match="manifest.json would inflate to 16,777,217"):
        artifact.load(packed)


def test_the_inflation_limit_has_a_floor_and_a_ratio():
    floor = artifact.inflation_limit(0)
    assert floor == artifact.inflation_limit(1000) == 64 * 2**20
    assert artifact.inflation_limit(10 * 2**20) == 500 * 2**20


def test_a_skops_file_whose_members_declare_too_much_is_refused(model_dir):
    from tests.artifact.conftest import rewrite

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b"{" + b" " * (65 * 2**20) + b"}")
    rewrite(model_dir, "pipeline.skops", buffer.getvalue())
    with pytest.raises(ArtifactFormatError, match=r"pipeline\.skops would inflate to 6"):
        artifact.load(model_dir, build_pipeline=False)
