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

RUN useradd --create-home --uid {APP_UID} tabship
WORKDIR /app

# Dependencies first: this layer is reused until requirements.txt or the wheel change.
COPY requirements.txt ./
COPY {WHEEL_DIR}/ ./{WHEEL_DIR}/
RUN pip install --no-cache-dir -r requirements.txt

# The model last: a retrained model rebuilds only this layer.
COPY {MODEL_FILE} ./

USER {APP_UID}
EXPOSE {CONTAINER_PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \\
    CMD {json.dumps(["python", "-c", _HEALTH_PROBE])}
CMD {cmd}
"""


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

The image runs as a non-root user and reports its health to Docker through `/health`.
"""


def render_docker_readme(spec: DeploySpec) -> str:
    return render_readme_common(spec) + "\n" + render_docker_section(spec)
