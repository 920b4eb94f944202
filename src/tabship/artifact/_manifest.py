"""The manifest: what an artifact holds, who wrote it, and the sha256 of every file.

The manifest is read first and checked before any other byte of the artifact is used:
its format name and version decide whether this tabship can read it at all, and its
hashes decide whether the files are the ones that were written.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import NotRequired, TypedDict, cast

from tabship.artifact._format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    READABLE_VERSIONS,
    REQUIRED_FILES,
    TRACKED_LIBRARIES,
)
from tabship.errors import ArtifactFormatError, TabshipWarning, TamperedArtifactError

__all__ = [
    "Manifest",
    "build_manifest",
    "check_file",
    "check_library_versions",
    "is_plain_name",
    "missing_file",
    "parse_manifest",
    "recorded_size",
    "sha256",
]


class Manifest(TypedDict):
    """``manifest.json``. ``parse_manifest`` checks the first three keys before anything
    else is read; the others are written by every tabship and only informative."""

    format: str
    format_version: int
    files: dict[str, str]  # file name -> sha256
    sizes: NotRequired[dict[str, int]]  # file name -> bytes; older artifacts lack it
    created: NotRequired[str]
    tabship_version: NotRequired[str]
    python_version: NotRequired[str]
    platform: NotRequired[str]
    libraries: NotRequired[dict[str, str]]  # the libraries that rebuild the pipeline


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_plain_name(name: object) -> bool:
    """Whether ``name`` is a bare file name: no folder, no ``..``, nothing hidden.

    Artifacts are flat, so any name with a separator is either a mistake or an attempt
    to make the reader touch a path outside the artifact.
    """
    return (
        isinstance(name, str)
        and name not in ("", MANIFEST)
        and not name.startswith(".")
        and not any(ch in name for ch in "/\\:\0")
        and name == name.strip()
    )


def installed_versions() -> dict[str, str]:
    """Versions of the libraries the stored pipeline depends on, as installed now."""
    found: dict[str, str] = {}
    for name in TRACKED_LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def build_manifest(files: Mapping[str, bytes]) -> Manifest:
    """The manifest for ``files`` (name -> content), stamped with today's versions."""
    from tabship import __version__

    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "tabship_version": __version__,
        "python_version": platform.python_version(),
        "platform": sys.platform,
        "libraries": installed_versions(),
        "files": {name: sha256(content) for name, content in sorted(files.items())},
        "sizes": {name: len(content) for name, content in sorted(files.items())},
    }


def parse_manifest(raw: bytes, source: object) -> Manifest:
    """Decode and check a manifest; refuse versions and shapes this tabship cannot read."""
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(source, f"{MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise _malformed(source, f"{MANIFEST} must declare format '{FORMAT_NAME}', got {got!r}")
    _check_version(manifest.get("format_version"), source)
    _check_file_list(manifest.get("files"), source)
    _check_sizes(manifest.get("sizes", {}), manifest["files"], source)
    return cast(Manifest, manifest)


def _check_version(version: object, source: object) -> None:
    if not isinstance(version, int) or isinstance(version, bool):
        raise _malformed(source, f"format_version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ArtifactFormatError(
            source,
            f"format version {version} is newer than this tabship understands ({FORMAT_VERSION})",
            hint="Upgrade tabship (pip install -U tabship) to load it.",
        )
    if version not in READABLE_VERSIONS:
        raise ArtifactFormatError(
            source,
            f"format version {version} is not one this tabship reads "
            f"({', '.join(map(str, READABLE_VERSIONS))})",
            hint="Retrain the model with this tabship.",
        )


def _check_file_list(files: object, source: object) -> None:
    if not isinstance(files, dict):
        raise _malformed(source, f"{MANIFEST} has no 'files' table of sha256 hashes")
    for name, digest in files.items():
        if not is_plain_name(name) or not isinstance(digest, str):
            raise _malformed(source, f"{MANIFEST} lists an invalid file entry {name!r}")
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise _malformed(source, f"{MANIFEST} does not list {', '.join(missing)}")


def _check_sizes(sizes: object, files: Mapping[str, str], source: object) -> None:
    """``sizes`` is optional (older artifacts lack it); when present it must be exact."""
    if not isinstance(sizes, dict):
        raise _malformed(source, f"{MANIFEST} has a 'sizes' entry that is not a table")
    for name, size in sizes.items():
        if name not in files or not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _malformed(source, f"{MANIFEST} records an invalid size for {name!r}")


def recorded_size(manifest: Manifest, name: str) -> int | None:
    """The size in bytes the manifest records for ``name``; None in older artifacts."""
    return manifest.get("sizes", {}).get(name)


def missing_file(name: str, source: object) -> TamperedArtifactError:
    return TamperedArtifactError(
        source,
        f"the file '{name}' listed in its manifest is missing",
        hint="Copy the whole model folder again, or retrain the model.",
    )


def check_file(manifest: Manifest, name: str, size: int, digest: str, source: object) -> None:
    """Check a file's size and sha256 (computed while it was read) against the manifest.

    A size that differs is reported as it is, and may be found before the file is read.
    """
    expected_size = recorded_size(manifest, name)
    size_differs = expected_size is not None and size != expected_size
    if size_differs or digest != manifest["files"][name]:
        detail = f" (it has {size:,} bytes, the manifest records {expected_size:,})"
        raise TamperedArtifactError(
            source,
            f"the file '{name}' does not match the sha256 in its manifest"
            + (detail if size_differs else "")
            + "; it was changed or damaged after the model was saved",
            hint="Copy the model again from its source, or retrain it.",
        )


def check_library_versions(manifest: Manifest, source: object) -> None:
    """Warn when the libraries that will rebuild the pipeline differ from the saved ones."""
    saved = manifest.get("libraries") or {}
    now = installed_versions()
    differ = [
        f"{name} {saved[name]} (installed: {now.get(name, 'not installed')})"
        for name in sorted(saved)
        if name in TRACKED_LIBRARIES and now.get(name) != saved[name]
    ]
    if differ:
        warnings.warn(
            f"The model '{source}' was saved with {', '.join(differ)}; its predictions "
            "may differ slightly. Install the saved versions to reproduce them exactly.",
            TabshipWarning,
            stacklevel=4,
        )


def _malformed(source: object, problem: str) -> ArtifactFormatError:
    return ArtifactFormatError(
        source, problem, hint="Use a model folder or .tabship file written by tabship."
    )
