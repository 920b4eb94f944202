"""Reading an artifact's bytes from a folder or a packed ``.tabship`` file, safely.

Both readers hand back the manifest (already checked) and the verified content of the
files it lists, so everything above them works on bytes whose sha256 has been checked.
A packed file is read in memory, never extracted: its member names are checked first
(no absolute paths, no ``..``, no folders, no symlinks, nothing the manifest does not
list), so a crafted zip cannot make tabship touch any path. Every file is read in chunks
and hashed on the way, and no read goes past the file's bound (``_inflate.py``): the size
the manifest records, and for a packed member its deflated size times the ratio limit.
"""

from __future__ import annotations

import json
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tabship.artifact._format import FORMAT_NAME, MANIFEST, MAX_MANIFEST_BYTES, MAX_PACKED_BYTES
from tabship.artifact._inflate import Streamed, read_stream, read_zip_member
from tabship.artifact._manifest import (
    Manifest,
    check_file,
    is_plain_name,
    missing_file,
    parse_manifest,
    recorded_size,
)
from tabship.artifact._swap import restore_missing
from tabship.errors import ArtifactError, ArtifactFormatError

__all__ = ["is_packed", "looks_like_artifact", "read_artifact", "read_manifest_only"]

Files = dict[str, bytes]


def is_packed(path: Path) -> bool:
    return path.is_file() and zipfile.is_zipfile(path)


def read_manifest_only(path: str | Path) -> Manifest:
    """The checked manifest of a folder or packed file, reading nothing else."""
    path = Path(path)
    if _kind(path) == "dir":
        return parse_manifest(_read_folder_manifest(path), path)
    with _open_zip(path) as archive:
        return parse_manifest(_read_packed_manifest(archive, path), path)


def read_artifact(path: str | Path, names: Iterable[str] | None = None) -> tuple[Manifest, Files]:
    """The checked manifest and the verified content of ``names`` (default: every file).

    The returned files also hold the manifest's own bytes, under ``manifest.json``.

    ``load`` reads and verifies every listed file; ``read_schema`` asks for one name so
    that ``tabship info`` stays cheap on a large pipeline.
    """
    path = Path(path)
    if _kind(path) == "dir":
        raw_manifest = _read_folder_manifest(path)
        manifest = parse_manifest(raw_manifest, path)
        files = {n: _read_folder_file(path, n, manifest) for n in _wanted(manifest, names)}
    else:
        with _open_zip(path) as archive:
            raw_manifest = _read_packed_manifest(archive, path)
            manifest = parse_manifest(raw_manifest, path)
            _check_members_listed(archive, manifest, path)
            files = {
                n: _read_packed_file(archive, n, manifest, path) for n in _wanted(manifest, names)
            }
    files[MANIFEST] = raw_manifest
    return manifest, files


def _read_folder_manifest(folder: Path) -> bytes:
    return _read_folder_member(folder, MANIFEST, MAX_MANIFEST_BYTES).content


def _read_packed_manifest(archive: zipfile.ZipFile, path: Path) -> bytes:
    return read_zip_member(archive, MANIFEST, MAX_MANIFEST_BYTES, path, MANIFEST).content


def _read_folder_file(folder: Path, name: str, manifest: Manifest) -> bytes:
    if not (folder / name).is_file():
        raise missing_file(name, folder)
    _check_size_first(manifest, name, (folder / name).stat().st_size, folder)
    read = _read_folder_member(folder, name, _file_limit(manifest, name))
    check_file(manifest, name, len(read.content), read.digest, folder)
    return read.content


def _read_packed_file(archive: zipfile.ZipFile, name: str, manifest: Manifest, path: Path) -> bytes:
    if name not in archive.NameToInfo:
        raise missing_file(name, path)
    _check_size_first(manifest, name, archive.getinfo(name).file_size, path)
    member = f"the member '{name}'"
    read = read_zip_member(archive, name, _file_limit(manifest, name), path, member)
    check_file(manifest, name, len(read.content), read.digest, path)
    return read.content


def _check_size_first(manifest: Manifest, name: str, size: int, source: Path) -> None:
    """A file whose size is not the recorded one is refused before a byte is read."""
    if recorded_size(manifest, name) not in (None, size):
        check_file(manifest, name, size, "", source)


def _file_limit(manifest: Manifest, name: str) -> int:
    """Read at most the recorded size (one byte more tells a longer file)."""
    size = recorded_size(manifest, name)
    return MAX_PACKED_BYTES if size is None else size + 1


def _wanted(manifest: Manifest, names: Iterable[str] | None) -> list[str]:
    return list(manifest["files"]) if names is None else list(names)


def _kind(path: Path) -> str:
    if path.is_dir():
        if not (path / MANIFEST).is_file():
            raise ArtifactError(
                path,
                f"the folder has no {MANIFEST}, so it is not a tabship model",
                hint="Pass the folder written by 'tabship train' (or its .tabship file).",
            )
        return "dir"
    if is_packed(path):
        return "zip"
    if path.exists():
        raise ArtifactError(
            path,
            "it is neither a model folder nor a packed .tabship file",
            hint="Pass the folder written by 'tabship train' or a file from 'tabship pack'.",
        )
    if restore_missing(path):  # a save killed mid-replace left the old copy beside it
        return _kind(path)
    raise ArtifactError(path, "it does not exist", hint="Check the path.")


def _read_folder_member(folder: Path, name: str, limit: int) -> Streamed:
    try:
        with open(folder / name, "rb") as stream:
            return read_stream(stream, limit, f"'{name}' is larger than {limit:,} bytes", folder)
    except OSError as exc:
        raise ArtifactError(folder, f"cannot read '{name}' ({exc.strerror})") from None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArtifactFormatError(path, f"it is not a readable zip file ({exc})") from None
    try:
        _check_zip_structure(archive, path)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_zip_structure(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse member names that could point outside, links, folders, duplicates, bombs."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    for info in infos:
        if info.filename != MANIFEST and not is_plain_name(info.filename):
            raise _unsafe(path, f"the member {info.filename!r} is not a plain file name")
        if info.is_dir() or stat.S_ISLNK(info.external_attr >> 16):
            raise _unsafe(path, f"the member {info.filename!r} is a folder or a link")
    if len(set(names)) != len(names):
        raise _unsafe(path, "it holds the same member name twice")
    if MANIFEST not in names:
        raise ArtifactFormatError(path, f"the packed file has no {MANIFEST}")
    if sum(info.file_size for info in infos) > MAX_PACKED_BYTES:
        raise _unsafe(path, f"it would unpack to more than {MAX_PACKED_BYTES:,} bytes")


def _check_members_listed(archive: zipfile.ZipFile, manifest: Manifest, path: Path) -> None:
    extra = sorted(set(archive.namelist()) - set(manifest["files"]) - {MANIFEST})
    if extra:
        raise _unsafe(path, f"it holds files its manifest does not list: {', '.join(extra)}")


def _unsafe(path: Path, problem: str) -> ArtifactFormatError:
    return ArtifactFormatError(
        path, problem, hint="Only load .tabship files written by 'tabship pack'."
    )


def looks_like_artifact(path: Path) -> bool:
    """Whether ``path`` is a tabship model (folder or packed file) that force may replace.

    Only the manifest's format name is checked: a damaged or newer model is still a model,
    while a folder of someone's photos never is.
    """
    try:
        if path.is_symlink():
            return False
        if path.is_dir():
            raw = (path / MANIFEST).read_bytes()
        elif is_packed(path):
            with zipfile.ZipFile(path) as archive:
                raw = _read_packed_manifest(archive, path)
        else:
            return False
        return bool(json.loads(raw).get("format") == FORMAT_NAME)
    except (OSError, KeyError, ValueError, AttributeError, zipfile.BadZipFile, ArtifactError):
        return False
