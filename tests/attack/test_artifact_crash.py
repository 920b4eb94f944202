"""kill -9 at the rename boundary of a forced save never leaves the target without a model.

The reproduction: replacing a model folder took two renames (old away, new in), and a kill
between them left no model at the target, only hidden ``.W.old-*`` and ``.W.tmp-*``
folders. A child process replaces the model (``artifact.unpack(..., force=True)``, the
same ``write_directory`` as ``save(force=True)``) and pauses exactly at the boundary
(``TABSHIP_TEST_PAUSE_AT_SWAP``: it writes a marker file, then waits); the test waits for
the marker and sends SIGKILL. With the exchange (``renameat2``) the target holds a
complete model at every instant; with the two-rename scheme (forced by
``TABSHIP_TEST_SWAP=renames``, as on platforms without it) the next load or save puts
the old copy back. Either way the next save and load work and leave nothing hidden.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tabship import artifact
from tabship.errors import ArtifactError

pytestmark = pytest.mark.attack

OLD, NEW = "<html>old model</html>", "<html>new model</html>"


def _with_report(source: Path, folder: Path, report: str) -> Path:
    shutil.copytree(source, folder)
    (folder / "report.html").write_text(report)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["report.html"] = hashlib.sha256(report.encode()).hexdigest()
    manifest["sizes"]["report.html"] = len(report.encode())
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def scene(trained_model, tmp_path) -> tuple[Path, Path]:
    """``work/model`` (the old model) and a packed new model to replace it with."""
    source = trained_model("insurance")
    target = _with_report(source, tmp_path / "work" / "model", OLD)
    new = _with_report(source, tmp_path / "new", NEW)
    return target, artifact.pack(new, tmp_path / "new.tabship")


def _replace_and_pause(target: Path, packed: Path, marker: Path, scheme: str):
    env = {**os.environ, "TABSHIP_TEST_PAUSE_AT_SWAP": str(marker)}
    if scheme == "renames":
        env["TABSHIP_TEST_SWAP"] = "renames"
    code = (
        "from tabship import artifact\n"
        f"artifact.unpack({str(packed)!r}, {str(target)!r}, force=True)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, "the save ended without reaching the swap"
        assert time.monotonic() < deadline, "the save never reached the swap"
        time.sleep(0.05)
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _report(target: Path) -> str:
    return artifact.load(target, build_pipeline=False).report_html


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _killed_at_the_swap(scene: tuple[Path, Path], marker: Path, scheme: str) -> Path:
    target, packed = scene
    _kill(_replace_and_pause(target, packed, marker, scheme))
    return target


def _the_next_forced_save_leaves_nothing_hidden(target: Path, packed: Path) -> None:
    artifact.unpack(packed, target, force=True)
    assert _report(target) == NEW
    assert _hidden(target.parent) == []


def test_with_the_exchange_the_target_is_complete_at_the_kill(scene, tmp_path):
    target = _killed_at_the_swap(scene, tmp_path / "marker", "exchange")
    assert _report(target) == NEW  # swapped in one step: complete, and the new one
    [leftover] = _hidden(target.parent)
    assert leftover.startswith(".model.tmp-")  # the old copy, which no one holds now
    _the_next_forced_save_leaves_nothing_hidden(*scene)


def test_with_two_renames_the_next_load_puts_the_old_model_back(scene, tmp_path):
    target = _killed_at_the_swap(scene, tmp_path / "marker", "renames")
    assert not target.exists()  # the state the issue found...
    assert _report(target) == OLD  # ...and the next load recovers from it
    _the_next_forced_save_leaves_nothing_hidden(*scene)


def test_with_two_renames_the_next_save_puts_it_back_first(scene, tmp_path):
    target = _killed_at_the_swap(scene, tmp_path / "marker", "renames")
    with pytest.raises(FileExistsError):  # the old model is back, so this refuses
        artifact.unpack(scene[1], target)
    assert _report(target) == OLD
    _the_next_forced_save_leaves_nothing_hidden(*scene)


def test_a_swap_in_progress_is_not_taken_for_a_leftover(scene, tmp_path):
    """While the saving process lives (paused between its renames), its old copy and its
    temporary are its own: another process neither puts them back nor deletes them."""
    target, packed = scene
    process = _replace_and_pause(target, packed, tmp_path / "marker", "renames")
    try:
        with pytest.raises(ArtifactError, match="does not exist"):
            artifact.load(target)
        assert len(_hidden(target.parent)) == 2  # .model.old-*, .model.tmp-*
    finally:
        _kill(process)
    assert _report(target) == OLD
