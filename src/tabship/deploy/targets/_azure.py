"""Azure: App Service for Linux with a startup file, or Container Apps from the Dockerfile."""

from __future__ import annotations

import shlex

from tabship.deploy.targets._common import (
    DeploySpec,
    header,
    render_readme_common,
    serve_command,
)
from tabship.deploy.targets._docker import render_docker_section
from tabship.deploy.targets._log import render_log_section

__all__ = ["render_azure_readme", "render_startup_sh", "startup_command"]

STARTUP_FILE = "startup.sh"


def startup_command() -> str:
    """App Service passes the port in PORT (8000 when it does not)."""
    return serve_command('"${PORT:-8000}"', ' --workers "${WEB_CONCURRENCY:-2}"')


def render_startup_sh(spec: DeploySpec) -> str:
    return f"#!/bin/sh\n{header(spec)}set -e\n{startup_command()}\n"


def render_azure_readme(spec: DeploySpec) -> str:
    name = shlex.quote(spec.name)
    runtime = shlex.quote(f"PYTHON:{spec.python_minor}")
    group = shlex.quote(f"{spec.name}-rg")
    return (
        render_readme_common(spec)
        + f"""
## Azure App Service for Linux

From this folder (App Service installs `requirements.txt` while it builds the app; the
app name must be unique across Azure, so change it if it is taken):

```sh
APP={name}
RESOURCE_GROUP={group}
LOCATION=westeurope
az group create --name "$RESOURCE_GROUP" --location "$LOCATION"
az webapp up --name "$APP" --resource-group "$RESOURCE_GROUP" --location "$LOCATION" \\
    --runtime {runtime} --sku B1
az webapp config set --name "$APP" --resource-group "$RESOURCE_GROUP" \\
    --startup-file {STARTUP_FILE}
az webapp config appsettings set --name "$APP" --resource-group "$RESOURCE_GROUP" \\
    --settings WEB_CONCURRENCY=2
curl "https://$APP.azurewebsites.net/health"
```

`{STARTUP_FILE}` starts the server on the port App Service gives in `PORT`, with
`WEB_CONCURRENCY` worker processes.

## Azure Container Apps

The `Dockerfile` here builds the image; Container Apps builds and runs it:

```sh
az containerapp up --name "$APP" --resource-group "$RESOURCE_GROUP" --location "$LOCATION" \\
    --source . --ingress external --target-port 8000
```

"""
        + render_docker_section(spec)
        + render_log_section(spec, "azure")
    )
