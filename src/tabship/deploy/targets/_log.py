"""The prediction log in a deployment: ``tabship deploy ... --log-url URL``.

The server reads its log URL from the environment variable ``TABSHIP_LOG_URL`` (what
``tabship serve --log`` also reads), so no start command changes; each target says where
that variable is set: an app setting (Azure), a config var (Heroku), ``-e``/an env file
or ``compose.yaml`` (docker), a Secret (Kubernetes). A deployment folder is meant to be
committed, so the password never goes into it: the URL is written with
``${TABSHIP_LOG_PASSWORD}`` in the password's place, a shell (or Compose) variable the
commands of the README expand, and the Kubernetes Deployment refers to a Secret.
"""

from __future__ import annotations

import json
from typing import Final

from tabship.deploy.targets._common import (
    CONTAINER_PORT,
    MODEL_FILE,
    DeploySpec,
    _installed_version,
    header,
)
from tabship.errors import OptionError

__all__ = [
    "COMPOSE_FILE",
    "LOG_ENV",
    "PASSWORD_ENV",
    "deployed_log_url",
    "k8s_log_env",
    "log_pins",
    "log_secret_name",
    "render_compose",
    "render_log_section",
]

LOG_ENV: Final = "TABSHIP_LOG_URL"
PASSWORD_ENV: Final = "TABSHIP_LOG_PASSWORD"
PASSWORD_REF: Final = "${" + PASSWORD_ENV + "}"
COMPOSE_FILE: Final = "compose.yaml"
_COMPOSE_DB: Final = "tabship_log"
# Targets whose instances share no disk (or only a network share SQLite must not use).
_SQLITE_TARGETS: Final = frozenset({"docker"})

_WHAT_IS_LOGGED = """\
Every prediction is logged, one row per predicted record: its id (the `ids` of the
answer, the `id` column of a CSV upload), the time, the model's hash, the route, the
inputs as validated, the prediction, the class probabilities, any warnings and the
latency. True outcomes sent to `POST /feedback` are stored beside them, and `/monitor`
shows drift and live accuracy. **Inputs can be personal data**: add `--log-exclude FIELD`
(repeatable) to the `tabship serve` line of the start command to keep a field out (its
drift is then not computed), and `--log-retention 30d` to delete rows older than that
(the default keeps everything). Rows are written in the background, in batches; a
database that is down costs no request (`/metrics` counts the rows waiting or lost).
"""


def deployed_log_url(url: str, target: str) -> str:
    """``url`` checked, with its password replaced by ``${TABSHIP_LOG_PASSWORD}``.

    PostgreSQL serves every target; a SQLite file only a docker container (with a
    volume): Heroku, Azure and Kubernetes run instances that share no disk.
    """
    from tabship.monitor import mask_password, parse_log_url

    scheme = url.partition("://")[0].lower()
    if scheme == "sqlite":
        if target not in _SQLITE_TARGETS:
            raise OptionError(
                "--log-url",
                f"a postgresql:// URL for {target} (its instances share no disk for a SQLite file)",
                url,
            )
        if not url.startswith("sqlite:////"):
            raise OptionError(
                "--log-url", "an absolute path in the container (sqlite:////data/log.db)", url
            )
        return url
    target_url = parse_log_url(url)  # LogError, one line, for anything else
    if target_url.password:
        return mask_password(url).replace(":***@", f":{PASSWORD_REF}@", 1)
    return url


def log_pins(spec_url: str) -> tuple[tuple[str, str], ...]:
    """What a logging server needs beyond the serving set: SQLAlchemy, and the
    PostgreSQL driver for a postgresql:// log (the versions installed here)."""
    pins = [("sqlalchemy", _installed_version("sqlalchemy"))]
    if not spec_url.startswith("sqlite:"):
        pins.append(("psycopg[binary]", _installed_version("psycopg")))
    return tuple(pins)


def _has_password(spec: DeploySpec) -> bool:
    return PASSWORD_REF in (spec.log_url or "")


def _password_step(spec: DeploySpec) -> str:
    if not _has_password(spec):
        return ""
    return f"""\
read -rs {PASSWORD_ENV}                # the database password: typed, never written here
"""


def log_secret_name(spec: DeploySpec) -> str:
    """The Kubernetes Secret holding the log URL (key ``url``)."""
    return f"{spec.name}-log"


def k8s_log_env(spec: DeploySpec) -> str:
    """The Deployment's env entry: the URL from the Secret, never the URL itself."""
    if not spec.log_url:
        return ""
    return f"""\
            - name: {LOG_ENV}
              valueFrom:
                secretKeyRef:
                  name: {json.dumps(log_secret_name(spec))}
                  key: url
"""


def render_compose(spec: DeploySpec) -> str:
    """The app beside a PostgreSQL 16 with a named volume; the password comes from
    ``TABSHIP_LOG_PASSWORD`` (the shell or a ``.env`` file next to this one)."""
    password = "${" + PASSWORD_ENV + ":?set " + PASSWORD_ENV + " in .env or the environment}"
    return f"""\
{header(spec)}# The model's server and a PostgreSQL for its prediction log: docker compose up -d
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: tabship
      POSTGRES_DB: {_COMPOSE_DB}
      POSTGRES_PASSWORD: "{password}"
    volumes:
      - prediction-log:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U tabship -d {_COMPOSE_DB}"]
      interval: 5s
      timeout: 5s
      retries: 12
    restart: unless-stopped
  app:
    build: .
    image: {json.dumps(spec.image)}
    ports:
      - "8000:{CONTAINER_PORT}"
    environment:
      {LOG_ENV}: "postgresql://tabship:{password}@db:5432/{_COMPOSE_DB}"
    depends_on:
      db:
        condition: service_healthy
    restart: unless-stopped
volumes:
  prediction-log:
"""


def render_log_section(spec: DeploySpec, target: str) -> str:
    """The README's part on the log: where the URL is set on ``target``, what is logged."""
    if not spec.log_url:
        return ""
    how = _HOW[target](spec)
    return f"""
## Prediction log

The server logs every prediction to the database named by the environment variable
`{LOG_ENV}` (the URL given to `tabship deploy --log-url`, here with the password left
out). {how}
{_WHAT_IS_LOGGED}
Read it from anywhere that reaches the database (exit code 0 ok, 1 warn, 2 alert):

```sh
tabship monitor {MODEL_FILE} --log "{spec.log_url}" --since 7d
```
"""


def _heroku(spec: DeploySpec) -> str:
    return f"""Set it as a config var (`app.json` declares it, without a value):

```sh
{_password_step(spec)}heroku config:set {LOG_ENV}="{spec.log_url}"
# or a Heroku Postgres of the app: heroku addons:create heroku-postgresql:essential-0
#   heroku config:set {LOG_ENV}="$(heroku config:get DATABASE_URL)"
```
"""


def _azure(spec: DeploySpec) -> str:
    return f"""Set it as an app setting (App Service), or a secret of the container app:

```sh
{_password_step(spec)}az webapp config appsettings set --name "$APP" \\
    --resource-group "$RESOURCE_GROUP" --settings {LOG_ENV}="{spec.log_url}"
# Container Apps:
az containerapp secret set --name "$APP" --resource-group "$RESOURCE_GROUP" \\
    --secrets log-url="{spec.log_url}"
az containerapp update --name "$APP" --resource-group "$RESOURCE_GROUP" \\
    --set-env-vars {LOG_ENV}=secretref:log-url
```
"""


def _docker(spec: DeploySpec) -> str:
    sqlite = (spec.log_url or "").startswith("sqlite:")
    volume = (
        f"\n# the SQLite file lives on a volume (writable by the image's user):\n"
        f"#   docker run --rm --env-file log.env -v prediction-log:/data -p 8000:8000 {spec.image}"
        if sqlite
        else ""
    )
    return f"""Pass it with `-e` or an env file (`.dockerignore` keeps
it out of the image; keep it out of version control too):

```sh
{_password_step(spec)}echo "{LOG_ENV}={spec.log_url}" > log.env
docker run --rm --env-file log.env -p 8000:{CONTAINER_PORT} {spec.image}{volume}
```

Or run a PostgreSQL beside the app with `{COMPOSE_FILE}` (PostgreSQL 16, its data on the
named volume `prediction-log`, the app's `{LOG_ENV}` pointing at it); the password comes
from `{PASSWORD_ENV}`, in the environment or a `.env` file next to `{COMPOSE_FILE}`:

```sh
echo "{PASSWORD_ENV}=$(openssl rand -hex 16)" > .env   # not committed: .env is yours
docker compose up -d --build
curl localhost:8000/monitor.json
```
"""


def _kubernetes(spec: DeploySpec) -> str:
    secret = log_secret_name(spec)
    return f"""`deployment.yaml` takes it from the Secret `{secret}` (key
`url`), which holds the password and is never written to a file here; create it before
applying:

```sh
{_password_step(spec)}kubectl create secret generic {secret} --from-literal=url="{spec.log_url}"
kubectl rollout restart deployment/{spec.name}   # after changing the Secret
```
"""


_HOW = {"heroku": _heroku, "azure": _azure, "docker": _docker, "kubernetes": _kubernetes}
