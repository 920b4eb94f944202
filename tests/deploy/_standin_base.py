"""A local stand-in for ``python:3.11-slim``, for building deployment images offline.

No container registry is reachable on the test machines, so the base image a generated
Dockerfile names is made here from Debian packages: ``debootstrap`` a minimal bookworm
with Python, give it ``python`` and ``pip`` on the PATH as the official image has, and
``podman import`` it under the official name. pip inside the builds must reach the package
index this machine uses, so the machine's certificate bundle and pip settings go into the
stand-in (never into the generated Dockerfile).

The result is cached on the machine: the image stays in the container storage, tagged with
a key of its recipe, and the root file system's tarball stays in ``CACHE_DIR`` (so a wiped
storage only costs an import). A change to the recipe or to the pip settings makes a new key.
"""

from __future__ import annotations

import configparser
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE_DIR = Path(os.environ.get("TABSHIP_TEST_BASE_CACHE", "/var/cache/tabship-test-base"))
STORAGE = ["--storage-driver", "vfs"]
SUITE = "bookworm"  # Debian 12: Python 3.11, as python:3.11-slim
PYTHON_MINOR = "3.11"
PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
MIRROR = os.environ.get("TABSHIP_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CA_IN_IMAGE = "/etc/ssl/certs/host-ca-bundle.crt"
# Settings of the machine's pip carried into the stand-in; local (file://) indexes are not.
_PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout")
_IMAGE_CONFIG = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
]


def image_name(python_minor: str = PYTHON_MINOR) -> str:
    return f"docker.io/library/python:{python_minor}-slim"


def tools_missing() -> list[str]:
    """What this machine lacks to build images (root and three Debian packages)."""
    missing = [tool for tool in ("buildah", "podman", "debootstrap") if not shutil.which(tool)]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def ensure_base(python_minor: str = PYTHON_MINOR) -> str:
    """The stand-in base under the official name, made (or re-imported) only when needed."""
    if python_minor != PYTHON_MINOR:
        raise RuntimeError(f"the stand-in base has Python {PYTHON_MINOR}, not {python_minor}")
    pip_conf = _pip_conf()
    ca_bundle = _ca_bundle()
    key = _recipe_key(pip_conf, ca_bundle)
    keyed = f"localhost/tabship-test-base:{key}"
    if not _image_exists(keyed):
        tarball = CACHE_DIR / f"{key}.tar"
        if not tarball.is_file():
            _make_tarball(tarball, pip_conf, ca_bundle)
        _podman("import", *_changes(), str(tarball), keyed)
    _podman("tag", keyed, image_name(python_minor))
    return image_name(python_minor)


def _recipe_key(pip_conf: str, ca_bundle: bytes) -> str:
    recipe = {
        "suite": SUITE,
        "packages": PACKAGES,
        "mirror": MIRROR,
        "customise": inspect.getsource(_customise),
        "config": _IMAGE_CONFIG,
        "pip_conf": pip_conf,
        "ca": hashlib.sha256(ca_bundle).hexdigest(),
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _make_tarball(tarball: Path, pip_conf: str, ca_bundle: bytes) -> None:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR))
    try:
        rootfs = work / "rootfs"
        _run(
            ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(rootfs)]
            + [MIRROR],
            timeout=900,
        )
        _customise(rootfs, pip_conf, ca_bundle)
        partial = work / "rootfs.tar"
        _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."])
        os.replace(partial, tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _customise(rootfs: Path, pip_conf: str, ca_bundle: bytes) -> None:
    """What python:3.X-slim offers a Dockerfile: python and pip on the PATH, pip allowed
    to install as root; plus this machine's route to the package index."""
    for marker in (rootfs / "usr/lib").glob("python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    local_bin = rootfs / "usr/local/bin"
    local_bin.mkdir(parents=True, exist_ok=True)
    (local_bin / "python").symlink_to("/usr/bin/python3")
    (local_bin / "pip").symlink_to("/usr/bin/pip3")
    (rootfs / CA_IN_IMAGE.lstrip("/")).write_bytes(ca_bundle)
    (rootfs / "etc/pip.conf").write_text(pip_conf, encoding="utf-8")
    for junk in ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man"):
        for path in (rootfs / junk).glob("*"):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _pip_conf() -> str:
    """The machine's pip settings that reach an index over the network, as a pip.conf."""
    settings = {"cert": CA_IN_IMAGE}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    )
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        key = name.rpartition(".")[2]
        if key in _PIP_KEYS:
            settings[key.replace("default-", "")] = value.strip().strip("'\"")
    for key in _PIP_KEYS:
        value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
        if value:
            settings[key.replace("default-", "")] = value
    for key in ("index-url", "extra-index-url"):
        urls = [u for u in settings.get(key, "").split() if not u.startswith("file:")]
        settings.pop(key, None)
        if urls:
            settings[key] = " ".join(urls)
    parser = configparser.ConfigParser()
    parser["global"] = dict(sorted(settings.items()))
    lines = [f"{k} = {v}" for k, v in parser["global"].items()]
    return "[global]\n" + "\n".join(lines) + "\n"


def _ca_bundle() -> bytes:
    """The certificate bundle this machine's pip trusts (it may hold a proxy's CA)."""
    for variable in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(variable)
        if path and Path(path).is_file():
            return Path(path).read_bytes()
    return Path("/etc/ssl/certs/ca-certificates.crt").read_bytes()


def _changes() -> list[str]:
    return [arg for change in _IMAGE_CONFIG for arg in ("--change", change)]


def _image_exists(name: str) -> bool:
    done = subprocess.run(["podman", *STORAGE, "image", "exists", name], check=False)
    return done.returncode == 0


def _podman(*args: str) -> None:
    _run(["podman", *STORAGE, *args], timeout=600)


def _run(argv: list[str], timeout: float = 600) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{done.stdout[-3000:]}{done.stderr}")
