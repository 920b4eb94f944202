"""Decompression bombs in a model are refused with bounded memory.

The reproductions: a packed model whose ``pipeline.skops`` member is 600 MB of zeros
deflated (600 KB), with the manifest left as it was, or made consistent with the bomb
(its sha256 and size), or without sizes as older artifacts are; a ``plan-0.treelite``
(and the ``plan-1.lightgbm`` beside it) that is a zlib bomb with a consistent sha256; a
``pipeline.skops`` whose own members are bombs. Each is loaded in a child process that
reports its peak memory (``VmHWM``): refusing must stay under 300 MB (it reached 1.2 GB
and 4.1 GB), and the error must name the file.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from tabship import artifact
from tests.artifact.conftest import rewrite

pytestmark = pytest.mark.attack

MiB = 1 << 20
BOMB_MIB = 600
PEAK_LIMIT_MIB = 300


class _ZerosDeflater:
    """Raw-deflates 1 MiB blocks of zeros fast: after a full flush, every block is the
    same bytes, so 600 MB deflate in well under a second instead of ten."""

    def __init__(self) -> None:
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = bytes(MiB)
        self.first = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
        self.block = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
        assert deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH) == self.block
        self.tail = deflater.flush()
        self.started = False

    def compress(self, data: bytes) -> bytes:
        assert len(data) == MiB and not any(data[::4096])
        out = self.block if self.started else self.first
        self.started = True
        return out

    def flush(self) -> bytes:
        return self.tail

    def stream(self, mib: int) -> bytes:
        return self.first + self.block * (mib - 1) + self.tail


def zip_zeros(archive: zipfile.ZipFile, name: str, mib: int) -> None:
    """A member of ``mib`` MiB of zeros, deflated (a zip's own CRC, so it reads back)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        out._compressor = _ZerosDeflater()  # type: ignore[attr-defined]
        block = bytes(MiB)
        for _ in range(mib):
            out.write(block)


def zlib_zeros(mib: int) -> bytes:
    """A zlib stream (header, deflate, adler32) of ``mib`` MiB of zeros, as plan blobs are."""
    adler = 1
    block = bytes(MiB)
    for _ in range(mib):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + _ZerosDeflater().stream(mib) + adler.to_bytes(4, "big")


@functools.cache
def zeros_sha256(mib: int) -> str:
    digest = hashlib.sha256()
    block = bytes(MiB)
    for _ in range(mib):
        digest.update(block)
    return digest.hexdigest()


def peak_of(code: str) -> tuple[str, float]:
    """Run ``code`` in a child; its printed output and its peak RSS in MiB.

    The peak is the child's own ``VmHWM``: ``ru_maxrss`` would carry the high-water mark
    of the pytest process that started it (Linux keeps it across fork and exec).
    """
    script = (
        "import re\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
        "status = open('/proc/self/status').read()\n"
        "print('PEAK', re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out, _, peak = done.stdout.rpartition("PEAK ")
    return out, int(peak) / 1024


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


def _packed_with_bomb(model: Path, out: Path, manifest_change: str) -> Path:
    manifest = json.loads((model / "manifest.json").read_text())
    if manifest_change in ("consistent", "no sizes"):
        manifest["files"]["pipeline.skops"] = zeros_sha256(BOMB_MIB)
        manifest.setdefault("sizes", {})["pipeline.skops"] = BOMB_MIB * MiB
    if manifest_change == "no sizes":
        del manifest["sizes"]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for path in sorted(model.iterdir()):
            if path.name not in ("manifest.json", "pipeline.skops"):
                archive.writestr(path.name, path.read_bytes())
        zip_zeros(archive, "pipeline.skops", BOMB_MIB)
    return out


@pytest.mark.parametrize("manifest_change", ["untouched", "consistent", "no sizes"])
def test_a_packed_pipeline_bomb_is_refused_in_bounded_memory(insurance, tmp_path, manifest_change):
    packed = _packed_with_bomb(insurance, tmp_path / "bomb.tabship", manifest_change)
    assert packed.stat().st_size < 2 * MiB
    out, peak = peak_of(f"import tabship\ntabship.load({str(packed)!r}, lean=True)")
    assert "pipeline.skops" in out, out
    assert out.startswith(("TamperedArtifactError", "ArtifactFormatError")), out
    assert peak < PEAK_LIMIT_MIB, (peak, out)


def test_a_plan_bomb_is_refused_in_bounded_memory(insurance, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(insurance, folder)
    bomb = zlib_zeros(BOMB_MIB)
    assert len(zlib.decompressobj().decompress(bomb, MiB)) == MiB  # a real zlib stream
    for blob in _plan_blobs(folder):  # whichever the plan reads (Treelite or LightGBM)
        rewrite(folder, blob, bomb)
    code = (
        "from tabship.artifact import load\n"
        "from tabship.plan import Plan\n"
        f"Plan.from_files(load({str(folder)!r}, build_pipeline=False).extra_files)"
    )
    out, peak = peak_of(code)
    assert re.match(r"PlanError plan-\d\.(treelite|lightgbm) would inflate past", out), out
    assert peak < PEAK_LIMIT_MIB, (peak, out)


def test_a_model_with_a_plan_bomb_falls_back_to_its_audited_pipeline(insurance, tmp_path):
    """As for any plan this version cannot run: the pipeline predicts, the bomb is not
    inflated (the same figures as the intact model)."""
    import tabship

    folder = tmp_path / "model"
    shutil.copytree(insurance, folder)
    bomb = zlib_zeros(BOMB_MIB)
    for blob in _plan_blobs(folder):
        rewrite(folder, blob, bomb)
    intact, bombed = tabship.load(insurance, lean=True), tabship.load(folder, lean=True)
    example = intact.schema.example
    assert bombed.predict([example]).tolist() == pytest.approx(intact.predict([example]).tolist())


def _plan_blobs(folder: Path) -> list[str]:
    names = sorted(p.name for p in folder.glob("plan-*.*"))
    assert "plan-0.treelite" in names
    return names


def _skops_with(members: dict[str, bytes], bomb_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        zip_zeros(archive, bomb_name, BOMB_MIB)
    return buffer.getvalue()


@pytest.mark.parametrize("bomb_name", ["schema.json", "139682651493232.npy"])
def test_a_bomb_inside_the_skops_file_is_refused_in_bounded_memory(insurance, tmp_path, bomb_name):
    folder = tmp_path / "model"
    shutil.copytree(insurance, folder)
    inner = zipfile.ZipFile(folder / "pipeline.skops")
    members = {n: inner.read(n) for n in inner.namelist() if n != bomb_name}
    rewrite(folder, "pipeline.skops", _skops_with(members, bomb_name))
    for load in ("tabship.load({p}, lean=True)", "tabship.load({p})"):
        out, peak = peak_of("import tabship\n" + load.format(p=repr(str(folder))))
        assert out.startswith("ArtifactFormatError"), out
        assert "pipeline.skops" in out and "would inflate" in out, out
        assert peak < PEAK_LIMIT_MIB, (peak, out)


@pytest.mark.parametrize(
    ("blob", "says"),
    [
        (b"not zlib at all", r"plan-\d\.\w+ is not a deflated model file"),
        (zlib.compress(b"x" * 10_000)[:-20], r"plan-\d\.\w+ is cut short"),
    ],
    ids=["garbage", "truncated"],
)
def test_a_damaged_plan_blob_is_a_plan_error_naming_it(insurance, blob, says):
    from tabship.plan import Plan, PlanError

    files = artifact.load(insurance, build_pipeline=False).extra_files
    damaged = dict.fromkeys(_plan_blobs(insurance), blob)
    with pytest.raises(PlanError, match=says):
        Plan.from_files({**files, **damaged})
