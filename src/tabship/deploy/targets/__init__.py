"""Deployment folders for docker, heroku, azure and kubernetes, generated from one model.

``render_files(target, spec)`` is pure (name -> text, golden-tested); ``deploy`` collects
the facts for the spec (versions, artifact hash, measured memory), builds the wheel, packs
the model and writes the folder through a temporary sibling renamed at the end
(``tabship.artifact.atomic_output``), so a failure never leaves half a folder.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from tabship.deploy.targets._azure import STARTUP_FILE, render_azure_readme, render_startup_sh
from tabship.deploy.targets._common import (
    MODEL_FILE,
    WHEEL_DIR,
    DeploySpec,
    build_wheel,
    measure_rss_mib,
    render_requirements,
    serving_pins,
)
from tabship.deploy.targets._docker import (
    docker_cmd,
    render_docker_readme,
    render_dockerfile,
    render_dockerignore,
)
from tabship.deploy.targets._heroku import (
    procfile_command,
    render_app_json,
    render_heroku_readme,
    render_procfile,
    render_python_version,
)
from tabship.deploy.targets._kubernetes import (
    render_deployment,
    render_hpa,
    render_kubernetes_readme,
    render_kustomization,
    render_service,
)
from tabship.deploy.targets._log import COMPOSE_FILE, deployed_log_url, log_pins, render_compose
from tabship.errors import OptionError, OutputError, OutputExistsError

__all__ = [
    "TARGETS",
    "DeploySpec",
    "write_deployment",
    "docker_cmd",
    "procfile_command",
    "render_files",
    "render_dockerfile",
]

Renderer = Callable[[DeploySpec], str]
_IMAGE_FILES: dict[str, Renderer] = {
    "Dockerfile": render_dockerfile,
    ".dockerignore": render_dockerignore,
}
TARGETS: dict[str, dict[str, Renderer]] = {
    "docker": {**_IMAGE_FILES, "README.md": render_docker_readme},
    "heroku": {
        "Procfile": render_procfile,
        ".python-version": render_python_version,
        "app.json": render_app_json,
        "README.md": render_heroku_readme,
    },
    "azure": {STARTUP_FILE: render_startup_sh, **_IMAGE_FILES, "README.md": render_azure_readme},
    "kubernetes": {
        "deployment.yaml": render_deployment,
        "service.yaml": render_service,
        "hpa.yaml": render_hpa,
        "kustomization.yaml": render_kustomization,
        **_IMAGE_FILES,
        "README.md": render_kubernetes_readme,
    },
}
_EXECUTABLE = {STARTUP_FILE}
_MEMORY_STEP_MIB = 64


def render_files(target: str, spec: DeploySpec) -> dict[str, str]:
    """Every text file of ``target``'s folder for ``spec``, by name (pure); with a log,
    docker also gets a ``compose.yaml`` running PostgreSQL beside the app."""
    files = {name: render(spec) for name, render in _renderers(target).items()}
    if target == "docker" and spec.log_url:
        files[COMPOSE_FILE] = render_compose(spec)
    return {"requirements.txt": render_requirements(spec), **files}


def write_deployment(
    model: str | Path,
    target: str,
    output: str | Path,
    *,
    force: bool = False,
    log_url: str | None = None,
) -> Path:
    """Write a self-contained deployment folder for ``model`` on ``target``; return it.

    With ``log_url`` the server logs its predictions there (``TABSHIP_LOG_URL``, set
    where the target sets variables; the password is never written to the folder) and
    the requirements add SQLAlchemy and, for PostgreSQL, its driver.

    Raises
    ------
    OptionError
        ``target`` is not one of ``TARGETS``, or ``log_url`` does not suit it.
    LogError
        ``log_url`` is not a log URL.
    ArtifactError
        ``model`` is not an intact tabship model.
    OutputExistsError, OutputError
        ``output`` is a non-empty folder (without ``force``; with it, unless it is an
        earlier deployment), a file, or not writable.
    """
    from tabship.artifact import atomic_output, load

    _renderers(target)
    shown_log_url = None if log_url is None else deployed_log_url(log_url, target)
    destination = Path(output)
    _check_destination(destination, force)
    artifact = load(model)
    # The check above allows replacing what is there (empty, or an earlier deployment).
    with atomic_output(destination, kind="folder", replace=True) as staging:
        planned = _has_scoring_plan(artifact.extra_files)
        pins = serving_pins(artifact.manifest, artifact.pipeline, planned=planned)
        pins += log_pins(shown_log_url) if shown_log_url else ()
        wheel = build_wheel(staging / WHEEL_DIR, pins)
        _pack_model(Path(model), staging / MODEL_FILE)
        spec = _spec_for(artifact.manifest, Path(model), staging / MODEL_FILE, pins, wheel)
        spec = _sized(spec, staging / MODEL_FILE) if target == "kubernetes" else spec
        spec = replace(spec, log_url=shown_log_url)
        _write_texts(staging, render_files(target, spec))
        _make_readable(staging)
    return destination


def _renderers(target: str) -> dict[str, Renderer]:
    if target not in TARGETS:
        raise OptionError("--target", f"one of {', '.join(TARGETS)}", target)
    return TARGETS[target]


def _has_scoring_plan(files: dict[str, bytes]) -> bool:
    """Whether a worker can serve from the stored plan, never building the pipeline."""
    from tabship.plan import PLAN_FILE, Plan, PlanError

    if PLAN_FILE not in files:
        return False
    try:
        Plan.from_files(files)
    except PlanError:  # a plan this version cannot run: the worker rebuilds the pipeline
        return False
    return True


def _check_destination(destination: Path, force: bool) -> None:
    if destination.exists() and not destination.is_dir():
        raise OutputError(destination, "it is a file, not a folder", hint="Choose a folder.")
    if not destination.is_dir() or not any(destination.iterdir()):
        return
    if not force:
        raise OutputExistsError(destination)
    if not (destination / MODEL_FILE).is_file():
        # --force replaces an earlier deployment, never a user's unrelated folder.
        raise OutputError(
            destination,
            f"it is not empty and holds no {MODEL_FILE}, so --force will not replace it",
            hint="Choose an empty or new folder, or remove it yourself if it is not needed.",
        )


def _pack_model(model: Path, dest: Path) -> None:
    """A packed model is copied as it is; a folder is packed (both verified on load)."""
    from tabship.artifact import pack

    if model.is_file():
        shutil.copyfile(model, dest)
    else:
        pack(model, dest)


def _spec_for(
    manifest: Mapping[str, Any],
    model: Path,
    packed: Path,
    pins: tuple[tuple[str, str], ...],
    wheel: str,
) -> DeploySpec:
    from tabship import __version__

    sha = manifest["files"]["pipeline.skops"][:12]
    name = _dns_name(model.name.removesuffix(".tabship"), sha)
    return DeploySpec(
        name=name,
        tabship_version=__version__,
        artifact_sha=sha,
        python_version=str(manifest.get("python_version") or "3.11"),
        pins=pins,
        wheel_file=wheel,
        image=f"{name}:{hashlib.sha256(packed.read_bytes()).hexdigest()[:12]}",
    )


def _sized(spec: DeploySpec, packed: Path) -> DeploySpec:
    """Pod memory from one worker's measured peak RSS: request 1.5x, limit 2x, rounded up."""
    rss = measure_rss_mib(packed)
    return replace(
        spec,
        measured_rss_mib=rss,
        memory_request_mib=_round_up(rss * 1.5),
        memory_limit_mib=_round_up(rss * 2),
    )


def _dns_name(raw: str, sha: str) -> str:
    """A name Kubernetes, Heroku and Azure accept: lower-case letters, digits, dashes."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")[:40].strip("-")
    return cleaned if cleaned and cleaned[0].isalpha() else f"tabship-{sha}"


def _round_up(mib: float) -> int:
    return int(math.ceil(mib / _MEMORY_STEP_MIB) * _MEMORY_STEP_MIB)


def _write_texts(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _make_readable(folder: Path) -> None:
    """World-readable files: the image's non-root user must read what root copied in."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        executable = path.is_dir() or path.name in _EXECUTABLE
        path.chmod(0o755 if executable else 0o644)
