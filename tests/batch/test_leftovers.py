"""A killed run's temporaries are removed by the next run; nothing else is (issue 10, item 9)."""

from __future__ import annotations

import fcntl
import os

import pytest

from tabship.batch import score_file
from tabship.batch._leftovers import remove_leftovers
from tabship.data import read_table
from tests.conftest import dataset_path


def test_only_unlocked_temporaries_of_the_outputs_are_removed(tmp_path):
    out = tmp_path / "scored.csv"
    dead = tmp_path / ".scored.csv.tmp-0123abcd"
    dead_errors = tmp_path / ".scored.errors.csv.tmp-89abcdef"
    alive = tmp_path / ".scored.csv.tmp-fedcba98"
    kept = [
        alive,
        tmp_path / ".scored.csv.tmp-notours1",  # not atomic_output's eight hex digits
        tmp_path / ".other.csv.tmp-0123abcd",  # another output's
        tmp_path / "scored.csv.tmp-0123abcd",  # not hidden
    ]
    for path in [dead, dead_errors, *kept]:
        path.write_text("partial")
    folder = tmp_path / ".scored.csv.tmp-00000000"  # a folder is never ours to remove
    folder.mkdir()
    fd = os.open(alive, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live run writing it holds this lock
    try:
        removed = remove_leftovers(out, tmp_path / "scored.errors.csv")
    finally:
        os.close(fd)
    assert sorted(removed) == sorted([dead, dead_errors])
    assert not dead.exists() and not dead_errors.exists()
    assert all(path.exists() for path in [*kept, folder])


@pytest.mark.slow  # adult_model trains for 6 s
def test_score_file_removes_a_dead_runs_temporary_and_holds_its_own(adult_model, tmp_path):
    source = tmp_path / "in.csv"
    read_table(dataset_path("adult.csv")).head(50).to_csv(source, index=False)
    leftover = tmp_path / ".out.csv.tmp-0badc0de"
    leftover.write_bytes(b"age,workclass\n39,State")  # what a kill -9 leaves
    seen: list[bool] = []

    def probe(rows: int) -> None:  # while the run writes, its own temporary is locked
        own = [p for p in tmp_path.glob(".out.csv.tmp-*") if p != leftover]
        seen.append(bool(own) and not remove_leftovers(tmp_path / "out.csv"))

    score_file(adult_model, source, tmp_path / "out.csv", chunk_size=20, progress=probe)
    assert not leftover.exists()
    assert seen and all(seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
