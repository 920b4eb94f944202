"""Servers shared by the attack tests: the insurance model served as by default, and
with ``--strict-categories`` (each started once per session by ``tests/_servers.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def insurance_url(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"))


@pytest.fixture(scope="module")
def strict_url(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"), "--strict-categories")
