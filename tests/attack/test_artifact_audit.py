"""A model whose pipeline holds an untrusted type is refused by every load, plan or not.

The reproduction: a real trained model (with its scoring plan) whose ``pipeline.skops``
is replaced by a pipeline calling ``functools.partial(os.system, ...)``, its sha256 and
size updated in the manifest as a deliberate attacker would. ``tabship serve`` used to
skip the type audit when a plan existed and answered predictions. Every door must
refuse it before answering anything, naming the file and the type, and nothing of it
may run (a sentinel file proves it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import tabship
from tabship import artifact
from tabship.errors import UntrustedTypeError
from tests._cli import error_lines, run_tabship
from tests._servers import free_port, serve_env

pytestmark = pytest.mark.attack

REFUSAL = r"pipeline\.skops.*outside tabship's trusted list: 'posix\.system'"


@pytest.fixture(scope="module")
def poisoned(trained_model, tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the insurance model (plan included) with a hostile pipeline.skops."""
    import skops.io
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    out = tmp_path_factory.mktemp("poisoned")
    sentinel = out / "owned"
    folder = out / "model"
    shutil.copytree(trained_model("insurance"), folder)
    assert (folder / "plan.json").is_file()
    payload = functools.partial(os.system, f"touch {sentinel}")
    content = skops.io.dumps(make_pipeline(FunctionTransformer(payload)))
    (folder / "pipeline.skops").write_bytes(content)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["pipeline.skops"] = hashlib.sha256(content).hexdigest()
    if "sizes" in manifest:
        manifest["sizes"]["pipeline.skops"] = len(content)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder, sentinel


@pytest.mark.parametrize(
    "load",
    [
        tabship.load,
        functools.partial(tabship.load, lean=True),
        functools.partial(artifact.load, build_pipeline=False),
        artifact.verify,
    ],
    ids=["tabship.load", "lean", "artifact.load-lazy", "verify"],
)
def test_python_loads_refuse_it(poisoned, load):
    folder, sentinel = poisoned
    with pytest.raises(UntrustedTypeError, match=REFUSAL):
        load(folder)
    assert not sentinel.exists()


def test_the_notebook_form_refuses_it(poisoned):
    from tabship.notebook import form

    folder, sentinel = poisoned
    with pytest.raises(UntrustedTypeError, match=REFUSAL):
        form(folder)
    assert not sentinel.exists()


def test_the_packed_model_is_refused_too(poisoned, tmp_path):
    folder, sentinel = poisoned
    packed = tmp_path / "m.tabship"
    shutil.make_archive(str(packed.with_suffix("")), "zip", folder)
    packed.with_suffix(".zip").rename(packed)
    with pytest.raises(UntrustedTypeError, match=REFUSAL):
        tabship.load(packed, lean=True)
    assert not sentinel.exists()


@pytest.mark.parametrize(
    "command",
    [("predict", "{model}", "{data}", "-o", "{out}"), ("info", "{model}")],
    ids=["predict", "info"],
)
def test_the_command_line_refuses_it(poisoned, tmp_path, command):
    folder, sentinel = poisoned
    data = tmp_path / "one.csv"
    data.write_text("age,sex,bmi,children,smoker,region\n19,female,27.9,0,yes,southwest\n")
    args = [a.format(model=folder, data=data, out=tmp_path / "out.csv") for a in command]
    result = run_tabship(*args)
    assert result.returncode == 3, result.stderr
    [line] = error_lines(result)
    assert "pipeline.skops" in line and "'posix.system'" in line
    assert not (tmp_path / "out.csv").exists()
    assert not sentinel.exists()


@pytest.mark.integration
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_it_before_answering(poisoned, workers, tmp_path):
    """The server must exit with the error; it must never answer on its port."""
    folder, sentinel = poisoned
    port = free_port()
    command = [sys.executable, "-m", "tabship", "serve", str(folder)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", workers]
    log = tmp_path / "serve.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=serve_env())
    try:
        answered = _wait_for_exit_or_answer(process, f"http://127.0.0.1:{port}/health")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    assert not answered, text
    assert process.returncode == 3, text
    assert "pipeline.skops" in text and "'posix.system'" in text and "Traceback" not in text
    assert not sentinel.exists()


def _wait_for_exit_or_answer(process: subprocess.Popen[bytes], url: str) -> bool:
    """True as soon as ``url`` answers, False once the process exits (60 s at most)."""
    for _ in range(600):
        try:
            process.wait(timeout=0.1)
            return False
        except subprocess.TimeoutExpired:
            pass
        try:
            httpx.get(url, timeout=0.5)
            return True
        except httpx.TransportError:
            continue
    return False
