"""Heroku: a Procfile web process on $PORT, the Python version, and app.json."""

from __future__ import annotations

import json

from tabship.deploy.targets._common import (
    DeploySpec,
    header,
    render_readme_common,
    serve_command,
)
from tabship.deploy.targets._log import LOG_ENV, render_log_section

__all__ = ["procfile_command", "render_app_json", "render_heroku_readme", "render_procfile"]


def procfile_command() -> str:
    """Heroku sets PORT and WEB_CONCURRENCY (by dyno size); the router needs 0.0.0.0."""
    return serve_command("$PORT", " --workers ${WEB_CONCURRENCY:-2}").removeprefix("exec ")


def render_procfile(spec: DeploySpec) -> str:
    return f"{header(spec)}web: {procfile_command()}\n"


def render_python_version(spec: DeploySpec) -> str:
    """Heroku reads a bare major.minor; a comment line would not be understood."""
    return f"{spec.python_minor}\n"


def render_app_json(spec: DeploySpec) -> str:
    """JSON has no comments: the generated-by line goes in the description."""
    app = {
        "name": spec.name,
        "description": header(spec, comment="").strip(),
        "buildpacks": [{"url": "heroku/python"}],
        "env": {
            "WEB_CONCURRENCY": {"description": "Server worker processes", "value": "2"},
            **_log_env(spec),
        },
        "formation": {"web": {"quantity": 1, "size": "basic"}},
    }
    return json.dumps(app, indent=2) + "\n"


def _log_env(spec: DeploySpec) -> dict[str, dict[str, object]]:
    """The log URL is asked for at setup, never given a value here (it holds a password)."""
    if not spec.log_url:
        return {}
    what = "Prediction log: postgresql://user:password@host:port/db (heroku config:set)"
    return {LOG_ENV: {"description": what, "required": True}}


def render_heroku_readme(spec: DeploySpec) -> str:
    return (
        render_readme_common(spec)
        + f"""
## Heroku

```sh
git init && git add . && git commit -m "{spec.name} model"
heroku create {spec.name}
git push heroku HEAD:main
heroku open /health
```

Heroku installs `requirements.txt` on Python {spec.python_minor} (`.python-version`) and
starts the `web` process of the `Procfile` on the port it gives in `$PORT`. Set the worker
processes with `heroku config:set WEB_CONCURRENCY=3`; add dynos with `heroku ps:scale web=2`.
"""
        + render_log_section(spec, "heroku")
    )
