"""One ``.tabship`` file holding a model folder: to copy, upload or attach it whole.

The packed file is a plain zip of the folder's files, flat, with fixed timestamps and
permissions so that packing the same model twice gives the same bytes. Only verified
files go in, and unpacking reads through the same checks as loading (no paths outside the
target, no links, nothing the manifest does not list).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tabship.artifact._atomic import write_directory, write_file
from tabship.artifact._format import MANIFEST
from tabship.artifact._source import looks_like_artifact, read_artifact

__all__ = ["pack", "unpack"]

# Zip cannot store times before 1980; a fixed time keeps packed files reproducible.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def pack(src_dir: str | Path, dest_file: str | Path, *, force: bool = False) -> Path:
    """Pack a model folder into one ``.tabship`` file, atomically, and return its path.

    Every file is verified against the manifest first, so a damaged folder is never
    shipped. ``force`` replaces an existing packed model, never any other file.

    Raises
    ------
    ArtifactError, TamperedArtifactError, ArtifactFormatError
        ``src_dir`` is not an intact model.
    OutputExistsError, OutputError
        ``dest_file`` exists (without ``force``) or cannot be written.
    """
    _, files = read_artifact(src_dir)
    target = Path(dest_file)
    return write_file(target, _zip_bytes(files), force=force, replaceable=looks_like_artifact)


def unpack(file: str | Path, dest_dir: str | Path, *, force: bool = False) -> Path:
    """Unpack a ``.tabship`` file into the model folder ``dest_dir``, atomically.

    The members are checked and verified in memory before anything is written, so a
    crafted file cannot write outside ``dest_dir``.
    """
    _, files = read_artifact(file)
    target = Path(dest_dir)
    return write_directory(target, files, force=force, replaceable=looks_like_artifact)


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    names = [MANIFEST, *sorted(n for n in files if n != MANIFEST)]
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()
