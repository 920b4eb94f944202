"""pack/unpack: one verified file, reproducible, atomic, and safe against crafted zips."""

from __future__ import annotations

import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tabship import artifact
from tabship.errors import (
    ArtifactError,
    ArtifactFormatError,
    OutputError,
    OutputExistsError,
    TamperedArtifactError,
)
from tests.artifact.conftest import entries


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def model_members(model_dir: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(model_dir.iterdir())]


def write_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on duplicate names
        with zipfile.ZipFile(path, "w") as archive:
            for name, content in members:
                archive.writestr(name, content)
    return path


def test_pack_load_round_trip_predicts_identically(model_dir, ridge_pipeline, insurance_xy):
    packed = artifact.pack(model_dir, model_dir.with_suffix(".tabship"))
    assert packed == model_dir.with_suffix(".tabship")
    loaded = artifact.load(packed)
    X, _ = insurance_xy
    np.testing.assert_array_equal(loaded.pipeline.predict(X), ridge_pipeline.predict(X))
    assert loaded.path == packed
    assert artifact.read_schema(packed).target.name == "charges"
    assert artifact.read_manifest(packed) == artifact.read_manifest(model_dir)


def test_pack_is_reproducible(model_dir, tmp_path):
    first = artifact.pack(model_dir, tmp_path / "a.tabship").read_bytes()
    second = artifact.pack(model_dir, tmp_path / "b.tabship").read_bytes()
    assert first == second


def test_unpack_restores_the_folder_byte_for_byte(model_dir, tmp_path):
    packed = artifact.pack(model_dir, tmp_path / "m.tabship")
    out = artifact.unpack(packed, tmp_path / "out" / "charges")
    assert model_members(out) == model_members(model_dir)
    assert artifact.load(out).schema.target.name == "charges"


def test_pack_refuses_an_existing_file_without_force(model_dir, tmp_path):
    dest = artifact.pack(model_dir, tmp_path / "m.tabship")
    with pytest.raises(OutputExistsError, match="already exists"):
        artifact.pack(model_dir, dest)


def test_pack_with_force_replaces_a_packed_model(model_dir, save_model, tmp_path):
    dest = artifact.pack(model_dir, tmp_path / "m.tabship")
    other = save_model(tmp_path / "other", report_html="other")
    artifact.pack(other, dest, force=True)
    assert artifact.load(dest).report_html == "other"
    assert entries(tmp_path) == ["charges", "m.tabship", "other"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_pack_with_force_never_replaces_anything_else(model_dir, tmp_path, kind):
    dest = tmp_path / "precious"
    if kind == "file":
        dest.write_text("my thesis")
    else:
        dest.mkdir()
    with pytest.raises(OutputError, match="not a tabship model, so force will not replace it"):
        artifact.pack(model_dir, dest, force=True)
    assert dest.exists()
    assert entries(tmp_path) == ["charges", "precious"]


def test_pack_refuses_a_damaged_folder_and_writes_nothing(model_dir, tmp_path):
    (model_dir / "metrics.json").write_text("{}")
    with pytest.raises(TamperedArtifactError, match="'metrics.json' does not match"):
        artifact.pack(model_dir, tmp_path / "m.tabship")
    assert entries(tmp_path) == ["charges"]


def test_load_detects_a_tampered_member(model_dir, tmp_path):
    members = [(n, b"{}" if n == "summary.json" else c) for n, c in model_members(model_dir)]
    packed = write_zip(tmp_path / "m.tabship", members)
    with pytest.raises(TamperedArtifactError, match="'summary.json' does not match"):
        artifact.load(packed)


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


CRAFTED = {
    "parent": ([("../evil.txt", b"x")], "'../evil.txt' is not a plain file name"),
    "absolute": ([("/tmp/evil.txt", b"x")], "'/tmp/evil.txt' is not a plain file name"),
    "nested": ([("sub/../../evil.txt", b"x")], "is not a plain file name"),
    "backslash": ([("..\\evil.txt", b"x")], "is not a plain file name"),
    "folder": ([("sub/", b"")], "'sub/' is not a plain file name"),
    "symlink": ([(_symlink("evil"), b"/etc/passwd")], "'evil' is a folder or a link"),
    "duplicate": ([("schema.json", b"{}")], "same member name twice"),
    "unlisted": ([("extra.txt", b"x")], "files its manifest does not list: extra.txt"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_zip_is_refused_and_writes_nothing(case, model_dir, tmp_path):
    added, match = CRAFTED[case]
    packed = write_zip(tmp_path / "evil.tabship", [*model_members(model_dir), *added])
    before = tree(tmp_path)
    with pytest.raises(ArtifactFormatError, match=match):
        artifact.load(packed)
    with pytest.raises(ArtifactFormatError, match=match):
        artifact.unpack(packed, tmp_path / "out")
    assert tree(tmp_path) == before


def test_zip_without_manifest_is_refused(tmp_path):
    packed = write_zip(tmp_path / "data.tabship", [("data.csv", b"a,b\n1,2\n")])
    with pytest.raises(ArtifactFormatError, match="has no manifest.json"):
        artifact.load(packed)


def test_zip_bomb_is_refused_before_reading(model_dir, tmp_path):
    """Central-directory sizes claim ~4 GiB per member: refused without inflating any."""
    packed = write_zip(tmp_path / "bomb.tabship", model_members(model_dir))
    data = bytearray(packed.read_bytes())
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        data[start + 24 : start + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        start += 4
    packed.write_bytes(bytes(data))
    with pytest.raises(ArtifactFormatError, match="would unpack to more than"):
        artifact.load(packed)


def test_load_refuses_a_file_that_is_not_a_zip(tmp_path):
    (tmp_path / "m.tabship").write_bytes(b"definitely not a zip")
    with pytest.raises(ArtifactError, match="neither a model folder nor a packed .tabship"):
        artifact.load(tmp_path / "m.tabship")
