"""The container image: a Dockerfile and .dockerignore, shared by docker, azure, kubernetes."""

from __future__ import annotations

import json

from tabship.deploy.targets._common import (
    CONTAINER_PORT,
    MODEL_FILE,
    WHEEL_DIR,
    DeploySpec,
    header,
    render_readme_common,
    serve_command,
)
from tabship.deploy.targets._log import render_log_section

__all__ = ["APP_UID", "render_docker_readme", "render_dockerfile", "render_dockerignore"]

# A fixed numeric user, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
APP_UID = 10001
_HEALTH_PROBE = (
    "import os, urllib.request; urllib.request.urlopen("
    "'http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=4)"
)


def docker_cmd() -> str:
    """The container's start command: PORT honoured, WEB_CONCURRENCY sets the workers."""
    workers = ' ${WEB_CONCURRENCY:+--workers "$WEB_CONCURRENCY"}'
    return serve_command(f'"${{PORT:-{CONTAINER_PORT}}}"', workers)


def render_dockerfile(spec: DeploySpec) -> str:
    """Dependencies are installed before the model is copied: retraining rebuilds one layer."""
    cmd = json.dumps(["sh", "-c", docker_cmd()])
    return f"""\
{header(spec)}FROM python:{spec.python_minor}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid {APP_UID} tabship \\
    && useradd --create-home --uid {APP_UID} --gid {APP_UID} tabship
WORKDIR /app

# Dependencies first: this layer is reused until requirements.txt or the wheel change.
# The libraries' own test suites (about 120 MB in numpy, scipy and pandas) are never run
# here, so they go in the same layer.{_scipy_comment(spec)}
COPY requirements.txt ./
COPY {WHEEL_DIR}/ ./{WHEEL_DIR}/
RUN pip install --no-cache-dir -r requirements.txt \\{_scipy_removal(spec)}
    && find "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \\
        -depth -type d -name tests -exec rm -rf {{}} +

# The model last: a retrained model rebuilds only this layer.
COPY {MODEL_FILE} ./

USER {APP_UID}
EXPOSE {CONTAINER_PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\
    CMD {json.dumps(["python", "-c", _HEALTH_PROBE])}
CMD {cmd}
"""


def _scipy_comment(spec: DeploySpec) -> str:
    if not spec.serves_from_plan:
        return ""
    return (
        "\n# SciPy (111 MB) is removed in the same layer: only Treelite's Python wrapper"
        "\n# requires it, and a scoring plan calls Treelite's C library without that wrapper."
    )


def _scipy_removal(spec: DeploySpec) -> str:
    return "\n    && pip uninstall --yes --quiet scipy \\" if spec.serves_from_plan else ""


def render_dockerignore(spec: DeploySpec) -> str:
    """Only what the image needs goes into the build context."""
    return f"""\
{header(spec)}*
!requirements.txt
!{WHEEL_DIR}/
!{MODEL_FILE}
"""


def render_docker_section(spec: DeploySpec) -> str:
    return f"""\
## Docker

```sh
docker build -t {spec.image} .
docker run --rm -p 8000:{CONTAINER_PORT} {spec.image}
# another port, and a fixed number of worker processes:
docker run --rm -e PORT=9000 -e WEB_CONCURRENCY=2 -p 9000:9000 {spec.image}
```

The image runs as a non-root user (uid {APP_UID}) and reports its health to Docker through
`/health`. It writes nothing outside `/tmp`, so it also runs with a read-only root file
system (`docker run --read-only --tmpfs /tmp ...`).

## Podman or buildah (no Docker daemon)

```sh
podman build --format docker -t {spec.image} .    # or: buildah bud --format docker -t ...
podman run --rm -p 8000:{CONTAINER_PORT} {spec.image}
podman run --rm --read-only --tmpfs /tmp -e WEB_CONCURRENCY=2 -p 8000:{CONTAINER_PORT} {spec.image}
```

`--format docker` keeps the `HEALTHCHECK` (the OCI image format has no place for it).

{_image_contents(spec)}"""


def _image_contents(spec: DeploySpec) -> str:
    """What the image installs and why, so its size holds no surprise."""
    if spec.serves_from_plan:
        return """\
The image installs the serving set only (`requirements.txt`): the model is served from its
scoring plan with numpy and Treelite (which imports SciPy), FastAPI and uvicorn, and
pandas, which only the CSV upload route (`POST /predict/csv`) loads; scikit-learn and the
training stack are not installed. The libraries' own test folders are removed.
"""
    return """\
The model has no scoring plan, so each worker rebuilds its scikit-learn pipeline: the image
installs scikit-learn, skops and pyarrow besides the serving set (`requirements.txt`).
Retraining with this tabship version usually adds the plan and a much smaller image.
"""


def render_docker_readme(spec: DeploySpec) -> str:
    return (
        render_readme_common(spec)
        + "\n"
        + render_docker_section(spec)
        + render_log_section(spec, "docker")
    )
