"""A crafted ``.tabship`` file cannot make tabship touch a path outside it.

Each file is a real packed model plus one hostile member (zip slip with ``..``, an
absolute path, a backslash path, a symlink to a system file, a symlink to a folder with a
member written through it), which the attacker also lists in the manifest with its true
sha256 and size, so that only the name and kind of the member can give it away. Every
entry a user has refuses it with one clear error: ``tabship.load``, ``unpack``,
``tabship info`` and ``tabship serve``; and no file appears anywhere.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest

import tabship
from tabship import artifact
from tabship.errors import ArtifactFormatError
from tests._cli import error_lines, run_tabship

pytestmark = pytest.mark.attack

Member = tuple[str | zipfile.ZipInfo, bytes]


def link(name: str, target: str) -> Member:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def hostile_members(escape: Path) -> dict[str, list[Member]]:
    """Each case's added members; ``escape`` is where a successful attack would write."""
    return {
        "zip slip": [("../" * 12 + str(escape).lstrip("/"), b"pwned")],
        "parent": [("../escape.txt", b"pwned")],
        "absolute": [(str(escape), b"pwned")],
        "backslash": [("..\\..\\escape.txt", b"pwned")],
        "symlink to a file": [link("passwd", "/etc/passwd")],
        "write through a symlink": [link("out", str(escape.parent)), ("out/escape.txt", b"p")],
    }


CASES = sorted(hostile_members(Path("/x")))


def member_name(member: str | zipfile.ZipInfo) -> str:
    return member.filename if isinstance(member, zipfile.ZipInfo) else member


def crafted_file(model: Path, added: list[Member], out: Path) -> Path:
    """``model`` packed with ``added`` members that its manifest lists with true hashes."""
    manifest = json.loads((model / "manifest.json").read_text())
    files = set(manifest["files"])
    for member, content in added:
        name = member_name(member)
        manifest["files"][name] = hashlib.sha256(content).hexdigest()
        if "sizes" in manifest:
            manifest["sizes"][name] = len(content)
    members: list[Member] = [("manifest.json", json.dumps(manifest).encode())]
    members += [(p.name, p.read_bytes()) for p in sorted(model.iterdir()) if p.name in files]
    path = out / "model.tabship"
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members + added:
            archive.writestr(member, content)
    return path


def every_file(*roots: Path) -> set[Path]:
    return {p for root in roots for p in root.rglob("*")}


@pytest.fixture(scope="module")
def model(trained_model) -> Path:
    return trained_model("insurance")


@pytest.fixture
def attack(model: Path, tmp_path: Path, request: pytest.FixtureRequest):
    """(the crafted file, its case); afterwards, no new file anywhere under tmp_path."""
    escape = tmp_path / "outside" / "escape.txt"
    escape.parent.mkdir()
    packed = crafted_file(model, hostile_members(escape)[request.param], tmp_path)
    before = every_file(tmp_path)
    yield packed
    assert every_file(tmp_path) == before
    assert not escape.exists()


@pytest.mark.parametrize("attack", CASES, indirect=True)
def test_load_and_unpack_refuse_it(attack: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactFormatError, match="plain file name|folder or a link|manifest"):
        tabship.load(attack)
    with pytest.raises(ArtifactFormatError, match="plain file name|folder or a link|manifest"):
        artifact.unpack(attack, tmp_path / "outside" / "model")


@pytest.mark.integration
@pytest.mark.parametrize("attack", CASES, indirect=True)
@pytest.mark.parametrize("command", ["info", "serve"])
def test_the_command_line_refuses_it_in_one_line(attack: Path, command: str) -> None:
    args = ["--port", "0"] if command == "serve" else []
    result = run_tabship(command, str(attack), *args, timeout=120)
    assert result.returncode == 3, result.stderr
    [line] = error_lines(result)
    assert str(attack) in line and "Only load .tabship files" in line, line


def test_the_control_file_with_nothing_added_loads(model: Path, tmp_path: Path) -> None:
    """The crafting itself is sound: with no hostile member, the file loads."""
    packed = crafted_file(model, [], tmp_path)
    assert tabship.load(packed).schema.target.name == "charges"
