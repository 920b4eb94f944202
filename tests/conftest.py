"""Shared fixtures: the bundled real datasets, and small models fitted once per session."""

from __future__ import annotations

import atexit
import functools
import gzip
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

DATASETS = Path(__file__).parent / "datasets"

# Compiled LightGBM models (tabship.plan.cache_folder) go to a folder of this run, which
# the servers and commands the tests start inherit, not to the user's cache.
if "TABSHIP_CACHE_DIR" not in os.environ:
    os.environ["TABSHIP_CACHE_DIR"] = tempfile.mkdtemp(prefix="tabship-test-cache-")
    atexit.register(shutil.rmtree, os.environ["TABSHIP_CACHE_DIR"], ignore_errors=True)

# httpx's module functions (httpx.get, httpx.post, ...) give up after 5 s, and on this
# shared 2-core machine a first CSV upload (pandas' import) or an explained record took
# longer under load: a test failed on time, not on behaviour. Calls the tests make
# without a timeout wait for the answer instead; the 10-minute pytest-timeout still
# stops a hung test. Clients the tests build, and tabship's own, keep their timeouts.
TEST_HTTP_TIMEOUT_S = 300.0


def _waiting_for_the_answer(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TEST_HTTP_TIMEOUT_S)
        return function(*args, **kwargs)

    return call


for _name in ("request", "stream", "get", "options", "head", "post", "put", "patch", "delete"):
    setattr(httpx, _name, _waiting_for_the_answer(getattr(httpx, _name)))


def dataset_path(name: str) -> Path:
    """The gzipped copy of a reference dataset shipped with the tests."""
    path = DATASETS / f"{name}.gz"
    assert path.exists(), f"missing test dataset {path}"
    return path


@pytest.fixture(scope="session")
def datasets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plain (un-gzipped) copies of every reference dataset, for CLI-style tests."""
    out = tmp_path_factory.mktemp("datasets")
    for gz in DATASETS.glob("*.gz"):
        with gzip.open(gz, "rb") as src, open(out / gz.name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    return out


@pytest.fixture(scope="session")
def insurance_run(tmp_path_factory: pytest.TempPathFactory):
    """A small insurance model trained once per session (a few seconds of budget)."""
    import tabship

    run = tabship.train(dataset_path("insurance.csv"), target="charges", time_budget=8)
    path = run.save(tmp_path_factory.mktemp("models") / "charges")
    return run, path


# Real servers and the models they serve, for every test folder (serve, client, cli, deploy).
from tests._browser import browser  # noqa: E402, F401
from tests._servers import live_server, trained_model  # noqa: E402, F401
