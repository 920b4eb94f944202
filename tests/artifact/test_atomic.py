"""atomic_output: the new version appears whole or not at all; the old one survives failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tabship.artifact import atomic_output
from tabship.errors import OutputError, OutputExistsError


class Boom(Exception):
    pass


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_file_appears_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "out.csv"
    with atomic_output(target) as temp:
        assert temp.parent == tmp_path and temp.name.startswith(".out.csv.tmp-")
        temp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    assert entries(tmp_path) == ["out.csv"]


def test_success_replaces_the_previous_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with atomic_output(target, replace=True) as temp:
        temp.write_text("new")
    assert target.read_text() == "new"
    assert entries(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_failure_leaves_the_previous_target_intact(tmp_path, kind):
    target = tmp_path / "out"
    if kind == "file":
        target.write_text("old")
    else:
        target.mkdir()
        (target / "part-0.csv").write_text("old")
    with pytest.raises(Boom), atomic_output(target, kind=kind, replace=True) as temp:
        (temp / "part-0.csv" if kind == "folder" else temp).write_text("half")
        raise Boom
    assert entries(tmp_path) == ["out"]  # no temporary left behind
    kept = target / "part-0.csv" if kind == "folder" else target
    assert kept.read_text() == "old"


def test_success_replaces_the_previous_folder_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.json").write_text("old")
    with atomic_output(target, kind="folder", replace=True) as staging:
        assert staging.is_dir() and not list(staging.iterdir())
        (staging / "manifest.json").write_text("new")
    assert entries(target) == ["manifest.json"]
    assert entries(tmp_path) == ["model"]  # the old copy was deleted


def test_an_existing_target_is_refused_unless_replace(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    with pytest.raises(OutputExistsError, match="already exists"):
        with atomic_output(target):
            pytest.fail("the block must not run")
    assert target.read_text() == "keep me"
    assert entries(tmp_path) == ["out.csv"]


def test_a_file_the_block_removed_is_not_committed(tmp_path):
    target = tmp_path / "out.errors.csv"
    target.write_text("from an earlier run")
    with atomic_output(target, replace=True) as temp:
        temp.unlink()
    assert target.read_text() == "from an earlier run"
    assert entries(tmp_path) == ["out.errors.csv"]


def test_missing_parent_folders_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "model"
    with atomic_output(target, kind="folder") as staging:
        (staging / "x").write_text("1")
    assert (target / "x").read_text() == "1"


def test_a_parent_that_cannot_be_a_folder_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot be created or written"):
        with atomic_output(tmp_path / "file" / "out.csv"):
            pytest.fail("the block must not run")


def test_a_failed_rename_is_an_output_error_and_cleans_up(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "inside").write_text("x")  # a file cannot replace a non-empty folder
    with pytest.raises(OutputError, match="writing it failed"):
        with atomic_output(target, replace=True) as temp:
            temp.write_text("new")
    assert entries(tmp_path) == ["out"] and entries(target) == ["inside"]


def test_a_temporary_folder_is_private_unless_asked(tmp_path):
    with atomic_output(tmp_path / "private", kind="folder") as staging:
        assert stat.S_IMODE(staging.stat().st_mode) == 0o700
    umask = os.umask(0)
    os.umask(umask)
    with atomic_output(tmp_path / "shared", kind="folder", mode=0o777) as staging:
        assert stat.S_IMODE(staging.stat().st_mode) == 0o777 & ~umask
