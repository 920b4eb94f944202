"""Getting the raw bytes of a table: a local file or an http(s) URL, gunzipped, checked.

Everything is read into memory first so that one code path can look at the bytes
(compressed? Parquet? an image renamed .csv?) before any parser sees them, and so that
a failed decode can be retried with another encoding without reading the file twice.
"""

from __future__ import annotations

import gzip
import os
import urllib.error
import urllib.request
import warnings
import zlib
from pathlib import Path

from tabship.errors import DataFileError, TabshipWarning

__all__ = ["URL_TIMEOUT", "decode_text", "fetch_bytes", "is_parquet", "is_url"]

URL_TIMEOUT = 30.0
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
# Leading bytes of formats people save with a .csv name by mistake.
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (an .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document",
    b"SQLite format 3": "an SQLite database",
}


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def fetch_bytes(source: str | Path, *, timeout: float = URL_TIMEOUT) -> bytes:
    """The content of ``source``, decompressed when it is gzip."""
    raw = _download(str(source), timeout) if is_url(str(source)) else _read_file(Path(source))
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, source)
    return raw


def is_parquet(raw: bytes) -> bool:
    return raw[:4] == b"PAR1"


def decode_text(raw: bytes, source: object) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else cp1252, else latin-1 with a warning."""
    _refuse_binary(raw, source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACK_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        warnings.warn(
            f"'{source}' is not valid UTF-8; read it as {encoding}. "
            "Save it as UTF-8 to be sure every character is right.",
            TabshipWarning,
            stacklevel=3,
        )
        return text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise DataFileError(
            path, "no such file", hint=f"Check the path (the current folder is '{os.getcwd()}')."
        )
    if path.is_dir():
        raise DataFileError(path, "it is a folder, not a file", hint="Give the path of a file.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataFileError(path, exc.strerror or str(exc)) from None


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "tabship"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        reason = f"the server answered HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = f"cannot download it ({exc.reason})"
    except (TimeoutError, OSError) as exc:
        reason = f"cannot download it ({exc})"
    raise DataFileError(url, reason, hint="Check the URL and your network connection.")


def _gunzip(raw: bytes, source: object) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(source, f"it is a damaged gzip file ({exc})") from None


def _refuse_binary(raw: bytes, source: object) -> None:
    """Refuse images, archives and other binary content with a message naming what it is."""
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            raise DataFileError(
                source,
                f"it is not a text table (it looks like {kind})",
                hint="Export the data as CSV or Parquet.",
            )
    # The whole file: a NUL past the first block is as binary as one in it, and pandas
    # would drop it silently (memchr over bytes in memory: about a millisecond per MB).
    position = raw.find(b"\x00")
    if position >= 0:
        line = raw.count(b"\n", 0, position) + 1
        raise DataFileError(
            source,
            f"it is not a text table (it holds a binary NUL byte at line {line}, byte {position})",
            hint="Export the data as CSV or Parquet; UTF-16 files must be saved as UTF-8.",
        )
