"""Bounded reading: no file of a model is inflated or read past what it may hold.

A model's files arrive deflated twice over: a packed ``.tabship`` file is a zip, and
``pipeline.skops`` inside it is a zip too (the scoring plan's model files are zlib
streams, inflated by ``tabship.plan``). A crafted member of 600 KB can inflate to 600 MB
of zeros, so every inflation here is bounded *before* it happens, from sizes the reader
knows: the size the manifest records for the file (when it records one), and at most
``MAX_INFLATE_RATIO`` times the deflated size, which no file tabship writes comes near
(its zips hold JSON and already-deflated data, 1x to 13x measured) beyond a floor of
``INFLATE_FLOOR``. Files are hashed while they stream, so a bomb is refused after reading
at most its bound, never after inflating it whole.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import IO

from tabship.artifact._format import INFLATE_FLOOR, MAX_INFLATE_RATIO, MAX_PACKED_BYTES
from tabship.errors import ArtifactFormatError

__all__ = ["Streamed", "check_zip_sizes", "inflation_limit", "read_stream", "read_zip_member"]

_CHUNK = 1 << 20


def inflation_limit(deflated_size: int) -> int:
    """The most bytes ``deflated_size`` bytes of deflated data may inflate to."""
    return max(INFLATE_FLOOR, deflated_size * MAX_INFLATE_RATIO)


class Streamed:
    """A file's content read in chunks, with its sha256 computed on the way."""

    def __init__(self, content: bytes, digest: str) -> None:
        self.content = content
        self.digest = digest


def read_stream(stream: IO[bytes], limit: int, too_large: str, source: object) -> Streamed:
    """Every byte of ``stream``, refused with ``too_large`` once more than ``limit`` came."""
    hasher = hashlib.sha256()
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(min(_CHUNK, limit - total + 1)):
        total += len(chunk)
        if total > limit:
            raise _bomb(source, too_large)
        hasher.update(chunk)
        chunks.append(chunk)
    return Streamed(b"".join(chunks), hasher.hexdigest())


def read_zip_member(
    archive: zipfile.ZipFile, name: str, limit: int, source: object, what: str
) -> Streamed:
    """Member ``name`` of ``archive``, inflated only if it fits in ``limit`` bytes."""
    info = archive.getinfo(name)
    bound = min(limit, inflation_limit(info.compress_size))
    too_large = f"{what} would inflate to more than {bound:,} bytes"
    if info.file_size > bound:
        raise _bomb(
            source, f"{what} would inflate to {info.file_size:,} bytes, more than {bound:,}"
        )
    try:
        with archive.open(info) as stream:
            return read_stream(stream, bound, too_large, source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if isinstance(exc, ArtifactFormatError):
            raise
        raise ArtifactFormatError(source, f"{what} cannot be read ({exc})") from None


def check_zip_sizes(data: bytes, source: object, what: str, kind: str = "zip") -> None:
    """Refuse a zip held in ``data`` whose members would inflate past their bound in all.

    zipfile never inflates a member past the size its directory declares, so checking
    the declared sizes bounds what any later reader of ``data`` (skops) can inflate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArtifactFormatError(source, f"{what} is not a readable {kind} file ({exc})") from None
    bound = min(MAX_PACKED_BYTES, inflation_limit(len(data)))
    declared = sum(info.file_size for info in infos)
    if declared > bound:
        raise _bomb(source, f"{what} would inflate to {declared:,} bytes, more than {bound:,}")


def _bomb(source: object, problem: str) -> ArtifactFormatError:
    return ArtifactFormatError(
        source,
        f"{problem} (a damaged file or a decompression bomb)",
        hint="Only load models written by tabship; copy it again from its source.",
    )
