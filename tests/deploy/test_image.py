"""The container image, built and started for real (``pytest -m image``).

For the insurance and drug200 models: ``tabship deploy`` writes the docker, azure and
kubernetes folders (one Dockerfile between them, so one build), buildah builds the image
against a local stand-in ``python:3.11-slim`` (``tests/deploy/_standin_base.py``), and each
target's own start command runs inside the image's file system as the image's user, on
the host's network: the Dockerfile's CMD read from the image config, Azure's
``startup.sh``, the Kubernetes manifest's environment and user. Each must answer
``/health`` quickly, pass ``tabship smoke``, pass the image's own HEALTHCHECK, stay small
and stop cleanly on SIGTERM. Faults: a changed model file, no ``PORT``, no write access.

Needs root, ``buildah``, ``podman`` and ``debootstrap`` (``.ci/run`` installs them); the
measurements are printed as a table at the end of the module and kept in
``/var/cache/tabship-test-base/image-report.md``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests._servers import free_port
from tests.deploy import _standin_base as base

pytestmark = [pytest.mark.image, pytest.mark.slow]

MODELS = ("insurance", "drug200")
IMAGE_TARGETS = ("docker", "azure", "kubernetes")
BUILDAH = ["buildah", *base.STORAGE]
# buildah's own report of a command's exit, around what the container printed
BUILDAH_OWN = re.compile(r"^(subprocess exited (with status|on) \w+|Error: exit status \d+)$")
START_LIMIT_S = 2.0  # first 200 from /health, counted from the container's start
WORKER_RSS_LIMIT_MIB = 100
# The goal: 150 MB over the base. 256 MB before SciPy (111 MB, imported only by Treelite's
# Python wrapper) left the image of a model with a scoring plan; 143 MB since.
TABSHIP_LAYERS_LIMIT_MB = 150
MB = 1_000_000
REPORT = base.CACHE_DIR / "image-report.md"  # the last run's table, kept on the machine
MIB = 1024 * 1024


# --- building ---------------------------------------------------------------------------


@dataclass
class Built:
    """One model's deployment folders and the image built from them."""

    name: str
    model: Path
    folders: dict[str, Path]
    image: str
    container: str  # one working container of the image: every start below runs in it
    root: Path  # its file system, as buildah mounted it
    config: dict
    image_mb: float
    tabship_layers_mb: float
    build_seconds: float
    rows: list[dict] = field(default_factory=list)


@pytest.fixture(scope="module")
def base_image() -> str:
    missing = base.tools_missing()
    if missing:
        pytest.skip(f"building images needs {', '.join(missing)} (see .ci/run)")
    minor = ".".join(map(str, sys.version_info[:2]))
    if minor != base.PYTHON_MINOR:
        pytest.skip(f"the stand-in base has Python {base.PYTHON_MINOR}; tests run {minor}")
    return base.ensure_base(minor)


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> Iterator[list[dict]]:
    """Rows of measurements, printed and written to ``REPORT`` when the module is done."""
    rows: list[dict] = []
    yield rows
    if not rows:
        return
    text = _table(rows)
    REPORT.write_text(text, encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nimage measurements (also in {REPORT}):")
            for line in text.splitlines():
                reporter.write_line(line)


@pytest.fixture(scope="module")
def built(base_image: str, trained_model, tmp_path_factory) -> Iterator[Callable[[str], Built]]:
    """Factory: ``built("insurance")`` -> its folders and image, built once per module."""
    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            out = tmp_path_factory.mktemp(f"image-{name}")
            cache[name] = _build(name, trained_model(name), out)
        return cache[name]

    yield get
    for item in cache.values():
        subprocess.run([*BUILDAH, "rm", item.container], capture_output=True, check=False)
        subprocess.run([*BUILDAH, "rmi", "--force", item.image], capture_output=True, check=False)


def _build(name: str, model_dir: Path, out: Path) -> Built:
    folders = {target: out / target for target in IMAGE_TARGETS}
    for target, folder in folders.items():
        _tabship("deploy", str(model_dir), "--target", target, "--output", str(folder))
    docker = folders["docker"]
    for target in ("azure", "kubernetes"):  # the same image serves all three
        for shared in ("Dockerfile", ".dockerignore", "requirements.txt", "model.tabship"):
            assert (folders[target] / shared).read_bytes() == (docker / shared).read_bytes()
    image = f"localhost/tabship-image-test-{name}:{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    _check(
        [*BUILDAH, "bud", "--isolation", "chroot", "--format", "docker", "--pull=never"]
        + ["-t", image, str(docker)],
        timeout=1200,
    )
    build_seconds = time.monotonic() - started
    inspected = json.loads(_check([*BUILDAH, "inspect", "--type", "image", image]))
    image_mb, layers_mb = _sizes(image)
    container = _check([*BUILDAH, "from", "--pull-never", image]).strip()
    return Built(
        name=name,
        model=model_dir,
        folders=folders,
        image=image,
        container=container,
        root=Path(_check([*BUILDAH, "mount", container]).strip()),
        config=inspected["Docker"]["config"],
        image_mb=image_mb,
        tabship_layers_mb=layers_mb,
        build_seconds=build_seconds,
    )


def _sizes(image: str) -> tuple[float, float]:
    """The image's size and the size of the layers over the base, in MB."""
    history = json.loads(_check(["podman", *base.STORAGE, "history", "--format", "json", image]))
    base_layers = json.loads(
        _check(["podman", *base.STORAGE, "history", "--format", "json", base.image_name()])
    )
    total = sum(layer["size"] for layer in history)
    ours = sum(layer["size"] for layer in history[: len(history) - len(base_layers)])
    return total / MB, ours / MB


# --- running ------------------------------------------------------------------------------


class Running:
    """A command running inside the image's working container, on the host's network.

    ``buildah run --isolation chroot`` uses no PID namespace, so the server's processes are
    visible here: the test signals and measures them directly.
    """

    def __init__(
        self,
        item: Built,
        argv: list[str],
        *,
        user: str,
        env: dict[str, str],
        log: Path,
        volumes: tuple[str, ...] = (),
    ) -> None:
        self.log = log
        self.container = item.container
        self.root = item.root
        self.user = user
        self.started = time.monotonic()
        self.started_wall = time.time()
        command = [*BUILDAH, "run", "--isolation", "chroot", "--user", user]
        for key, value in env.items():
            command += ["--env", f"{key}={value}"]
        for volume in volumes:
            command += ["--volume", volume]
        with open(log, "wb") as sink:
            self.process = subprocess.Popen(
                [*command, self.container, "--", *argv],
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for(self, url: str, limit: float = 90.0) -> float:
        """Seconds from the container's start to the first 200 from ``url``."""
        deadline = self.started + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        pytest.fail(f"no 200 from {url} after {limit}s:\n{self.output()}")

    def says(self, line: str, limit: float = 90.0) -> bool:
        """Whether the server prints ``line`` before it exits (within ``limit`` s)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if line in self.output():
                return True
            if self.process.poll() is not None:
                return line in self.output()
            time.sleep(0.05)
        pytest.fail(f"neither {line!r} nor an exit after {limit}s:\n{self.output()}")

    def exec(self, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        """Another command in the same container, as its user (as HEALTHCHECK runs)."""
        command = [*BUILDAH, "run", "--isolation", "chroot", "--user", self.user]
        for key, value in env.items():
            command += ["--env", f"{key}={value}"]
        return subprocess.run(
            [*command, self.container, "--", *argv], capture_output=True, text=True, timeout=60
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def server_pid(self) -> int:
        """The process the start command exec'd: ``tabship serve``."""
        for pid in _descendants(self.process.pid):
            argv = _cmdline(pid)
            if "python" in argv[0] and argv[1:2] and argv[1].endswith("/tabship"):
                return pid
        pytest.fail(f"no tabship serve process:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        """uvicorn's server processes (the parent itself when there is one worker)."""
        return [int(p) for p in re.findall(r"Started server process \[(\d+)\]", self.output())]

    def stop_cleanly(self, timeout: float = 30.0) -> None:
        """SIGTERM to the server, as a container runtime sends it: a graceful shutdown.

        With several workers the parent exits 0. A single uvicorn process re-raises the
        signal once it has shut down, so it ends by SIGTERM (exit code 143 under Docker);
        buildah reports that as "exited on terminated". Both are clean.
        """
        os.kill(self.server_pid(), signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        out = self.output()
        assert "Finished server process" in out and "Traceback" not in out, out
        assert code == 0 or "subprocess exited on terminated" in out, out

    def written_outside_tmp(self) -> list[str]:
        """Files of the container created or changed since it started, /tmp aside."""
        changed = []
        skip = {"proc", "sys", "dev", "run", "tmp"}
        for top in self.root.iterdir():
            if top.name in skip:
                continue
            for folder, dirs, files in os.walk(top):
                for entry in [*dirs, *files]:
                    path = Path(folder) / entry
                    try:
                        if path.lstat().st_ctime > self.started_wall:
                            changed.append("/" + str(path.relative_to(self.root)))
                    except FileNotFoundError:
                        pass
        return changed

    def close(self) -> None:
        if self.process.poll() is None:
            for pid in reversed(_descendants(self.process.pid)):
                _kill(pid)
            _kill(self.process.pid)
            self.process.wait(timeout=30)


@pytest.fixture
def run(tmp_path) -> Iterator[Callable[..., Running]]:
    """Factory for ``Running`` containers, all removed after the test."""
    started: list[Running] = []

    def start(item: Built, argv: list[str], **kwargs) -> Running:
        log = tmp_path / f"container-{len(started)}.log"
        started.append(Running(item, argv, log=log, **kwargs))
        return started[-1]

    yield start
    for item in started:
        item.close()


def worker_rss_mib(running: Running) -> float:
    """The largest peak RSS (VmHWM) of the server's worker processes, in MiB."""
    peaks = []
    for pid in running.worker_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024)
    assert peaks, running.output()
    return max(peaks)


def smoke(url: str, model: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tabship", "smoke", url, "--model", str(model)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def csv_upload(url: str, model: Path) -> None:
    """The CSV route works in the image (it needs pandas, which the image holds)."""
    import tabship

    example = tabship.load(model).schema.example
    header = ",".join(example)
    row = ",".join("" if v is None else str(v) for v in example.values())
    answer = httpx.post(
        f"{url}/predict/csv",
        content=f"{header}\n{row}\n{row}\n",
        headers={"content-type": "text/csv"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert "prediction" in answer.text.splitlines()[0]


def serve_and_measure(server: Running, url: str, item: Built) -> tuple[float, float]:
    """``tabship smoke`` then a CSV upload; the workers' peak RSS after each (MiB)."""
    smoke(url, item.model)
    rss = worker_rss_mib(server)  # serving JSON, as the smoke test asked
    csv_upload(url, item.model)
    return rss, worker_rss_mib(server)  # pandas loaded by the CSV upload


def stop_and_report(server: Running, report: list[dict], row: dict) -> None:
    """SIGTERM, a clean exit, the row in the report, then the start and memory goals."""
    server.stop_cleanly()
    report.append(row)
    assert row["worker RSS MiB"] < WORKER_RSS_LIMIT_MIB, row
    assert_started_in_time(row["first 200 s"])


def healthcheck(running: Running, config: dict, port: int) -> subprocess.CompletedProcess:
    """The image's own HEALTHCHECK command, run inside the container."""
    test = config["Healthcheck"]["Test"]
    argv = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
    return running.exec(argv, {"PORT": str(port)})


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_docker_image_is_small_serves_and_stops_cleanly(name, built, run, report):
    item = built(name)
    config = item.config
    assert config["User"] == "10001" and config["WorkingDir"] == "/app"
    assert item.tabship_layers_mb < TABSHIP_LAYERS_LIMIT_MB, item
    port = free_port()
    server = run(
        item,
        config["Cmd"],
        user=config["User"],
        env={"PORT": str(port), "WEB_CONCURRENCY": "2"},
    )
    url = f"http://127.0.0.1:{port}"
    first_200 = server.wait_for(f"{url}/health")
    rss, rss_csv = serve_and_measure(server, url, item)
    assert len(server.worker_pids()) == 2, server.output()
    assert healthcheck(server, config, port).returncode == 0
    assert healthcheck(server, config, free_port()).returncode != 0  # the check can fail
    # readOnlyRootFilesystem: the server writes nothing outside /tmp (and /app is not ours)
    assert server.written_outside_tmp() == []
    assert server.exec(["sh", "-c", "test -w /app"], {}).returncode != 0
    stop_and_report(server, report, _row(item, "docker", first_200, rss, rss_csv))


@pytest.mark.parametrize("name", MODELS)
def test_kubernetes_pod_settings_match_the_image(name, built, run, report):
    """The manifest's user, environment and probes, run on the image; the measured start
    and memory fit the probes' delays and the memory request.

    The manifest's PORT is the containerPort, a port of the pod's own network namespace.
    Here the container shares the host's network, so the same environment runs with a
    free port in PORT instead: the pod's fixed 8000 met other servers on the machine
    (two test runs at once reached this test together), and the default port has a test
    of its own below."""
    item = built(name)
    deployment = yaml.safe_load((item.folders["kubernetes"] / "deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert str(pod["securityContext"]["runAsUser"]) == item.config["User"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["PORT"]) == container["ports"][0]["containerPort"]
    port = free_port()
    server = run(item, item.config["Cmd"], user=item.config["User"], env={**env, "PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    first_200 = server.wait_for(url + container["readinessProbe"]["httpGet"]["path"])
    assert httpx.get(url + container["livenessProbe"]["httpGet"]["path"]).status_code == 200
    rss, rss_csv = serve_and_measure(server, url, item)
    request_mib = int(container["resources"]["requests"]["memory"].removesuffix("Mi"))
    assert rss_csv < request_mib  # every route fits the pod's request
    assert first_200 < container["livenessProbe"]["initialDelaySeconds"]
    stop_and_report(server, report, _row(item, "kubernetes", first_200, rss, rss_csv))


@pytest.mark.parametrize("name", MODELS)
def test_azure_startup_file_serves_on_the_image(name, built, run, report):
    """App Service runs ``startup.sh`` from the app's folder, with PORT and WEB_CONCURRENCY."""
    item = built(name)
    port = free_port()
    server = run(
        item,
        ["sh", "-c", "cd /srv/azure && exec ./startup.sh"],
        user=item.config["User"],
        env={"PORT": str(port), "WEB_CONCURRENCY": "2"},
        volumes=(f"{item.folders['azure']}:/srv/azure:ro",),
    )
    url = f"http://127.0.0.1:{port}"
    first_200 = server.wait_for(f"{url}/health")
    rss, rss_csv = serve_and_measure(server, url, item)
    stop_and_report(server, report, _row(item, "azure", first_200, rss, rss_csv))


def test_a_changed_model_file_stops_the_container_with_one_clear_line(built, run, tmp_path):
    """The model file as COPY put it, changed afterwards: the hash check refuses it."""
    item = built("insurance")
    tampered = tmp_path / "model.tabship"
    _change_member(item.folders["docker"] / "model.tabship", tampered, "plan.json")
    server = run(
        item,
        item.config["Cmd"],
        user=item.config["User"],
        env={"PORT": str(free_port())},
        volumes=(f"{tampered}:/app/model.tabship:ro",),
    )
    assert server.process.wait(timeout=90) != 0
    lines = [line for line in server.output().splitlines() if line.strip()]
    container_lines = [line for line in lines if not BUILDAH_OWN.match(line)]
    assert len(container_lines) == 1, lines
    lines = container_lines
    assert "plan.json" in lines[0] and "does not match the sha256" in lines[0]


def test_without_port_the_server_listens_on_the_default_port(built, run):
    """Port 8000 is the machine's: a server of another process that takes it between the
    check and the bind skips the test, once this server has said so in one line."""
    item = built("insurance")
    if not _port_free(8000):
        pytest.skip("port 8000 is taken on this machine")
    server = run(item, item.config["Cmd"], user=item.config["User"], env={})
    if not server.says("Uvicorn running on http://0.0.0.0:8000"):  # printed once bound
        assert "already in use" in server.output().lower(), server.output()
        pytest.skip("port 8000 was taken by another process while the server started")
    server.wait_for("http://127.0.0.1:8000/health")
    server.stop_cleanly()


# --- helpers --------------------------------------------------------------------------------


def assert_started_in_time(first_200: float) -> None:
    """The 2 s start is a claim about the image, not about a machine running other work:
    it is asserted when the load average is under the core count, reported always."""
    if os.getloadavg()[0] < (os.cpu_count() or 1):
        assert first_200 < START_LIMIT_S, first_200


def _row(item: Built, target: str, first_200: float, rss: float, rss_csv: float) -> dict:
    return {
        "model": item.name,
        "target": target,
        "image MB": round(item.image_mb),
        "tabship layers MB": round(item.tabship_layers_mb),
        "first 200 s": round(first_200, 2),
        "worker RSS MiB": round(rss),
        "after a CSV upload": round(rss_csv),
        "load avg": round(os.getloadavg()[0], 1),
        "build s": round(item.build_seconds),
    }


def _table(rows: list[dict]) -> str:
    names = list(rows[0])
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(str(row[n]) for n in names) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _change_member(packed: Path, out: Path, member: str) -> None:
    """A copy of a packed model with one byte added to ``member`` (a valid zip still)."""
    with zipfile.ZipFile(packed) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data + b" " if info.filename == member else data)
    out.chmod(0o644)


def _tabship(*args: str) -> None:
    _check([sys.executable, "-m", "tabship", *args], timeout=600)


def _check(argv: list[str], timeout: float = 300) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(argv[:4])}:\n{done.stdout[-4000:]}{done.stderr}"
    return done.stdout


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], list(children.get(pid, []))
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return [""]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True
