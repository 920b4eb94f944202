"""``kill -9`` during batch output never leaves a partial scored file, and the next run
removes what the killed one left (issue 10, item 9).

Found: a killed ``tabship predict`` left a hidden 41 MB ``.out.csv.tmp-...`` that
nothing removed. The target was already safe (written under a temporary name, renamed
at the end); now each run holds a lock on its temporaries and the next run into the
folder removes the unlocked ones. The kill is deterministic: the test waits until the
run has written its first chunks into the temporary, then sends SIGKILL.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._cli import run_tabship
from tests.conftest import dataset_path

pytestmark = [pytest.mark.attack, pytest.mark.integration]

WAIT_SECONDS = 120.0


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("crash-inputs")
    text = gzip.decompress(dataset_path("insurance.csv").read_bytes()).decode()
    header, body = text.split("\n", 1)
    small = folder / "small.csv"
    small.write_text(header + "\n" + body)
    big = folder / "big.csv"  # 1338 rows x 150: many chunks, so the kill lands mid-run
    big.write_text(header + "\n" + body * 150)
    return small, big


def temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".scored.csv.tmp-*"))


def kill_while_writing(model: Path, source: Path, out: Path, *extra: str) -> Path:
    """Start a run, wait until its temporary holds scored rows, SIGKILL it: the leftover."""
    before = set(temporaries(out.parent))
    command = [sys.executable, "-m", "tabship", "predict", str(model), str(source),
               "-o", str(out), "--chunk-size", "2000", "-q", *extra]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + WAIT_SECONDS
    written: list[Path] = []
    while not written and run.poll() is None and time.monotonic() < deadline:
        written = [p for p in temporaries(out.parent) if p not in before and p.stat().st_size]
    assert written, f"no temporary appeared (exit {run.poll()}): {run.stderr.read()!r}"
    os.kill(run.pid, signal.SIGKILL)
    assert run.wait(timeout=30) == -signal.SIGKILL  # killed mid-run, not finished
    run.stderr.close()
    return written[0]


def test_kill_9_during_batch_output_leaves_no_partial_file(trained_model, inputs, tmp_path):
    model = trained_model("insurance")
    small, big = inputs
    out = tmp_path / "scored.csv"

    leftover = kill_while_writing(model, big, out)
    assert not out.exists()  # no target at all, never a partial one
    assert leftover.exists() and leftover.stat().st_size > 0

    done = run_tabship("predict", str(model), str(small), "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    assert not leftover.exists() and temporaries(tmp_path) == []  # the next run cleaned
    complete = out.read_bytes()
    assert complete.count(b"\n") == 1339

    leftover = kill_while_writing(model, big, out, "--force")
    assert out.read_bytes() == complete  # the previous complete file, untouched
    assert leftover.exists()

    again = run_tabship("predict", str(model), str(small), "-o", str(out), "-q", "--force")
    assert again.returncode == 0, again.stderr
    assert temporaries(tmp_path) == [] and out.read_bytes().count(b"\n") == 1339
