"""``tabship deploy --log-url``: each target sets TABSHIP_LOG_URL its own way, the password
never lands in the folder, compose.yaml runs PostgreSQL beside the app, and the Kubernetes
Deployment takes the URL from a Secret.

Regenerate the golden files with ``TABSHIP_REGENERATE_GOLDEN=1 pytest tests/deploy``.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tabship.deploy import TARGETS, write_deployment
from tabship.deploy.targets import render_files
from tabship.errors import LogError, OptionError
from tests._cli import error_lines, run_tabship
from tests.deploy.test_targets import REGENERATE, SPEC, charges_model_path

EXPECTED = Path(__file__).parent / "expected"
PASSWORD = "s3cret-Pw"
URL = f"postgresql://tabship:{PASSWORD}@db.internal:5432/logs"
SHOWN = "postgresql://tabship:${TABSHIP_LOG_PASSWORD}@db.internal:5432/logs"


def logged_spec(target: str, url: str = URL):
    from tabship.deploy.targets._log import deployed_log_url

    return replace(SPEC, log_url=deployed_log_url(url, target))


@pytest.fixture(scope="module")
def charges_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return charges_model_path(tmp_path_factory)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_rendered_files_with_a_log_match_the_golden_files(target):
    """Only the files the log changes are kept as golden files; the others are the
    same as without a log."""
    plain = render_files(target, SPEC)
    rendered = {
        name: text
        for name, text in render_files(target, logged_spec(target)).items()
        if plain.get(name) != text
    }
    folder = EXPECTED / f"{target}-log"
    if REGENERATE:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        [(folder / name).write_text(text, encoding="utf-8") for name, text in rendered.items()]
    assert rendered == {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_the_password_is_never_written_and_the_readme_says_what_is_logged(target):
    files = render_files(target, logged_spec(target))
    assert not any(PASSWORD in text for text in files.values())
    readme = files["README.md"]
    assert "## Prediction log" in readme and "TABSHIP_LOG_URL" in readme
    assert SHOWN in readme and "read -rs TABSHIP_LOG_PASSWORD" in readme
    for stored in ("the inputs", "the prediction", "class probabilities", "latency"):
        assert stored in readme.replace("\n", " ")
    assert "--log-exclude" in readme and "personal data" in readme
    # without a log, nothing of it
    plain = render_files(target, SPEC)
    assert "TABSHIP_LOG_URL" not in "".join(plain.values()) and "compose.yaml" not in plain


def test_heroku_asks_for_the_url_at_setup_and_gives_the_config_command():
    files = render_files("heroku", logged_spec("heroku"))
    env = json.loads(files["app.json"])["env"]
    assert env["TABSHIP_LOG_URL"]["required"] is True and "value" not in env["TABSHIP_LOG_URL"]
    assert f'heroku config:set TABSHIP_LOG_URL="{SHOWN}"' in files["README.md"]


def test_azure_sets_an_app_setting():
    readme = render_files("azure", logged_spec("azure"))["README.md"]
    assert "az webapp config appsettings set" in readme
    assert f'--settings TABSHIP_LOG_URL="{SHOWN}"' in readme
    assert "TABSHIP_LOG_URL=secretref:log-url" in readme


def test_docker_compose_runs_postgresql_16_on_a_named_volume_without_a_password():
    files = render_files("docker", logged_spec("docker"))
    compose = yaml.safe_load(files["compose.yaml"])
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert db["image"] == "postgres:16"
    volume, mount = db["volumes"][0].split(":")
    assert volume in compose["volumes"] and mount == "/var/lib/postgresql/data"
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${TABSHIP_LOG_PASSWORD:?")
    url = app["environment"]["TABSHIP_LOG_URL"]
    assert url.startswith("postgresql://tabship:${TABSHIP_LOG_PASSWORD:?")
    assert url.endswith("@db:5432/" + db["environment"]["POSTGRES_DB"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["build"] == "." and app["image"] == SPEC.image
    readme = files["README.md"]
    assert "--env-file log.env" in readme and "docker compose up" in readme


def test_kubernetes_takes_the_url_from_a_secret_and_stays_valid():
    import kubernetes_validate

    files = render_files("kubernetes", logged_spec("kubernetes"))
    deployment = yaml.safe_load(files["deployment.yaml"])
    kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    log = next(e for e in env if e["name"] == "TABSHIP_LOG_URL")
    assert log == {
        "name": "TABSHIP_LOG_URL",
        "valueFrom": {"secretKeyRef": {"name": "charges-log", "key": "url"}},
    }
    assert (
        f'kubectl create secret generic charges-log --from-literal=url="{SHOWN}"'
        in (files["README.md"])
    )


def test_a_url_without_a_password_is_shown_as_given():
    spec = logged_spec("kubernetes", "postgresql://tabship@db:5432/logs")
    readme = render_files("kubernetes", spec)["README.md"]
    assert '--from-literal=url="postgresql://tabship@db:5432/logs"' in readme
    assert "read -rs" not in readme


@pytest.mark.parametrize("target", ["heroku", "azure", "kubernetes"])
def test_a_sqlite_log_is_refused_where_instances_share_no_disk(target):
    from tabship.deploy.targets._log import deployed_log_url

    with pytest.raises(OptionError, match="postgresql://"):
        deployed_log_url("sqlite:////data/log.db", target)


def test_docker_takes_a_sqlite_file_at_an_absolute_path_only():
    from tabship.deploy.targets._log import deployed_log_url

    assert deployed_log_url("sqlite:////data/log.db", "docker") == "sqlite:////data/log.db"
    with pytest.raises(OptionError, match="absolute"):
        deployed_log_url("sqlite:///log.db", "docker")
    with pytest.raises(LogError, match="not supported"):
        deployed_log_url("mysql://u:p@h/db", "docker")


@pytest.mark.slow  # charges_model trains for 5 s
def test_the_written_folder_needs_the_driver_and_holds_no_password(charges_model, tmp_path):
    out = write_deployment(charges_model, "docker", tmp_path / "docker", log_url=URL)
    names = {p.name for p in out.iterdir()}
    assert "compose.yaml" in names
    requirements = (out / "requirements.txt").read_text()
    assert "\nsqlalchemy==" in requirements and "\npsycopg[binary]==" in requirements
    wheel = next((out / "wheels").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith("METADATA"))
        assert "Requires-Dist: psycopg[binary]==" in archive.read(metadata).decode()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix not in (".whl", ".tabship"):
            assert PASSWORD not in path.read_text(encoding="utf-8"), path


@pytest.mark.slow  # charges_model trains for 5 s
def test_the_cli_refuses_a_bad_log_url_in_one_line_before_writing(charges_model, tmp_path):
    out = tmp_path / "k8s"
    result = run_tabship(
        "deploy", str(charges_model), "--target", "kubernetes", "-o", str(out),
        "--log-url", f"mysql://u:{PASSWORD}@h/db",
    )  # fmt: skip
    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1 and "'mysql' is not supported" in lines[0]
    assert PASSWORD not in result.stderr and not out.exists()
