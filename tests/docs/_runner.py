"""Run a docs page as a reader would: every ``sh`` and ``python`` block, in order, in one
scratch folder, with Sybil (https://sybil.readthedocs.io) reading the Markdown.

What a page may hold, by the fence's info string:

- ``sh``: a shell script run by ``bash -e -o pipefail`` in the scratch folder, with the
  test's ``tabship`` first on ``PATH``; it must exit 0 (``sh exit=N``: it must exit N).
- ``sh server``: a command that runs until stopped (``tabship serve ...``, a Procfile's
  command). It is started in the background and waited for until ``/ready`` answers at
  its port; every server of a page is stopped when the page ends.
- ``python``: run in this process, in one namespace shared by the page's blocks.
- ``output``: what the block before printed; every line of it (but ``...``) must be
  found in that output, in order.
- ``text``, ``json``, ``html``, ``markdown``: shown, never run. ``bash``, ``console``,
  ``shell`` and the like are refused: a command on a page is a command the tests run.

Pages are written for a reader on port 8000 (8001, ... for a second server). The runner
maps each documented port to a free one and rewrites ``127.0.0.1:P``, ``localhost:P``,
``--port P`` and ``PORT=P`` in every block, so pages never collide with each other or
with a server the reader (or another test) already runs.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

from tests._servers import free_port, wait_ready

RUN = {"sh", "python", "output"}
SHOWN = {"text", "json", "html", "markdown", "csv", "yaml"}
PORT_PATTERNS = [
    re.compile(r"(?<=127\.0\.0\.1:)(\d{4,5})\b"),
    re.compile(r"(?<=localhost:)(\d{4,5})\b"),
    re.compile(r"(?<=--port )(\d{4,5})\b"),
    re.compile(r"(?<=\bPORT=)(\d{4,5})\b"),
]
BLOCK_SECONDS = 300.0


@dataclass
class PageRun:
    """The state of one page being run: its folder, ports, servers and last output."""

    path: Path
    workdir: Path
    ports: dict[int, int] = field(default_factory=dict)
    servers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    last_output: str = ""

    def url(self, documented_port: int = 8000) -> str:
        """The real base URL of the server the page started on ``documented_port``."""
        assert documented_port in self.servers, f"the page started no server on {documented_port}"
        return f"http://127.0.0.1:{self.ports[documented_port]}"

    def substitute(self, text: str) -> str:
        """The block's text with every documented port replaced by this run's free port."""
        for pattern in PORT_PATTERNS:
            text = pattern.sub(lambda m: str(self._port(int(m.group(1)))), text)
        return text

    def _port(self, documented: int) -> int:
        if documented not in self.ports:
            self.ports[documented] = free_port()
        return self.ports[documented]

    def env(self) -> dict[str, str]:
        """The reader's environment: this venv's ``tabship`` first, no stray settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TABSHIP_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["COLUMNS"] = "100"
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return env

    def where(self, example: Example) -> str:
        return f"{self.path.name}, line {example.line}"

    def stop_servers(self) -> None:
        for process in self.servers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.servers.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# -- evaluators: one per kind of block ------------------------------------------------------


def _run(example: Example) -> PageRun:
    return example.namespace["__page__"]


def run_shell(example: Example) -> None:
    page = _run(example)
    started = time.monotonic()
    options, source = example.parsed
    expected = int(options.get("exit", "0"))
    script = page.substitute(source)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=page.workdir,
        env=page.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BLOCK_SECONDS,
    )
    page.last_output = result.stdout
    seconds = time.monotonic() - started
    print(f"--- {page.where(example)} ({seconds:.1f} s)\n$ {script}{result.stdout}")
    assert result.returncode == expected, (
        f"{page.where(example)}: exit {result.returncode}, expected {expected}\n"
        f"{script}\n{result.stdout}"
    )


def start_server(example: Example) -> None:
    page = _run(example)
    _, source = example.parsed
    ports = [int(m.group(1)) for p in PORT_PATTERNS[2:] for m in p.finditer(source)]
    assert len(set(ports)) == 1, f"{page.where(example)}: a server block names one port"
    script = page.substitute(source)
    log = page.workdir / f".server-{ports[0]}.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=page.workdir,
            env=page.env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: the server and its workers
        )
    page.servers[ports[0]] = process
    wait_ready(page.url(ports[0]), process, log)


def run_python(example: Example) -> None:
    page = _run(example)
    _, source = example.parsed
    code = compile("\n" * example.line + page.substitute(source), str(page.path), "exec")
    cwd = os.getcwd()
    os.chdir(page.workdir)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # as in a reader's session, not the tests' "error"
            exec(code, example.namespace)
    finally:
        os.chdir(cwd)


def check_output(example: Example) -> None:
    page = _run(example)
    _, source = example.parsed
    position = 0
    for line in source.splitlines():
        wanted = line.strip()
        if not wanted or wanted == "...":
            continue
        found = page.last_output.find(wanted, position)
        assert found >= 0, (
            f"{page.where(example)}: {wanted!r} not in the output (after what matched):\n"
            f"{page.last_output}"
        )
        position = found + len(wanted)


# -- parsing -----------------------------------------------------------------------------


class FenceParser:
    """Every fenced block of a page: the ones to run get their evaluator, the ones only
    shown are left alone, and any other language fails the page (it would go untested)."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(
            language=r"[^\n]*", mapping={"language": "info", "source": "source"}
        )

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.lexer(document):
            language, *words = str(region.lexemes["info"]).split()
            if language in SHOWN:
                continue
            line = document.text.count("\n", 0, region.start) + 1
            if language not in RUN:
                raise ValueError(f"{document.path}, line {line}: a ```{language} block is not run")
            options = dict(w.partition("=")[::2] for w in words)
            region.parsed = (options, str(region.lexemes["source"]))
            region.evaluator = _evaluator(language, options)
            yield region


def _evaluator(language: str, options: dict[str, str]) -> Any:
    if language == "python":
        return run_python
    if language == "output":
        return check_output
    return start_server if "server" in options else run_shell


@contextmanager
def run_page(path: Path, workdir: Path) -> Iterator[PageRun]:
    """Run every block of the page at ``path`` in ``workdir``; the page's servers keep
    running inside the ``with`` (for screenshots) and are stopped when it ends."""
    document = Document.parse(str(path), FenceParser())
    page = PageRun(path=path, workdir=workdir)
    document.namespace["__page__"] = page
    try:
        for example in document.examples():
            example.evaluate()
        yield page
    finally:
        page.stop_servers()
        _forget(document.namespace)


def _forget(namespace: dict[str, Any]) -> None:
    """Drop what the page's Python made, as a reader's session ends. A client it left
    open (a notebook form keeps one for its life) is reported, not turned into an error."""
    namespace.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("default", ResourceWarning)
        gc.collect()


def screenshot_form(browser: Any, url: str, shot: Path, result: Path | None = None) -> None:
    """The page's form at ``url``, as a 1000-pixel-wide browser shows it, saved as PNG;
    with ``result``, the form is then submitted as it stands and the result page saved."""
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    try:
        page.goto(url)
        page.wait_for_selector("form")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        if result is not None:
            page.click("button[type=submit]")
            page.wait_for_selector("#prediction")
            page.screenshot(path=str(result), full_page=True)
    finally:
        page.close()
