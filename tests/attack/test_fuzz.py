"""A bounded fuzz run: schemathesis against ``/openapi.json`` of two live servers.

Every operation the document declares is called with data that fits its schema
(positive) and, where it takes input, data that breaks it (negative): over 1,000 calls
per model, counted. The checks: no server error, every status code and content type
documented, and every body conforming to its documented schema (the canonical error
body for every 4xx). The drug200 server keeps a prediction log, so /feedback and the
monitor routes are fuzzed too; the insurance server has none and answers them 404.

Examples are random on every run (no Hypothesis database): a failure prints the case
to reproduce it with ``curl``.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, openapi
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.attack, pytest.mark.integration, pytest.mark.slow]

MODELS = ["insurance", "drug200"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# (method, path, mode) -> examples asked of Hypothesis. Operations without parameters
# have one distinct call, so they get one.
BUDGET = {
    ("POST", "/predict", POSITIVE): 320,
    ("POST", "/predict", NEGATIVE): 220,
    ("GET", "/predict", POSITIVE): 170,
    ("GET", "/predict", NEGATIVE): 120,
    ("POST", "/predict/csv", POSITIVE): 110,
    ("POST", "/predict/csv", NEGATIVE): 90,
    ("POST", "/feedback", POSITIVE): 40,
    ("POST", "/feedback", NEGATIVE): 40,
    ("GET", "/monitor.json", POSITIVE): 20,
    ("GET", "/monitor.json", NEGATIVE): 20,
    ("GET", "/monitor", POSITIVE): 10,
    ("GET", "/monitor", NEGATIVE): 10,
    ("GET", "/health", POSITIVE): 1,
    ("GET", "/ready", POSITIVE): 1,
    ("GET", "/metadata", POSITIVE): 1,
    ("GET", "/metrics", POSITIVE): 1,
}
# Disagreements between the document and the server: such operations are fuzzed for
# server errors and undocumented status codes only, while a deterministic test pins each.
# The two this run found are fixed (the tests below): /monitor's JSON errors were declared
# as text/html, /feedback's 422 as FeedbackAnswer only.
KNOWN: dict[tuple[str, str], str] = {}
MIN_CALLS_PER_MODEL = 1000
# Hypothesis may end an operation early when it runs out of new examples; each
# operation must still reach this share of its budget.
MIN_SHARE = 0.9
assert MIN_SHARE * sum(BUDGET.values()) >= MIN_CALLS_PER_MODEL
CASES = sorted(BUDGET, key=lambda k: (k[1], k[0], k[2].value))


def case_id(case: tuple[str, str, GenerationMode]) -> str:
    method, path, mode = case
    return f"{method} {path} {mode.value}"


@pytest.fixture(scope="module")
def log_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The drug200 server's options: a prediction log in a fresh SQLite file."""
    return ["--log", f"sqlite:///{tmp_path_factory.mktemp('fuzz-log') / 'log.db'}"]


def started(model: str, trained_model, live_server, log_args: list[str]) -> tuple[str, Any]:
    """(base URL, schemathesis schema) of the live server of ``model``."""
    url = live_server(trained_model(model), *(log_args if model == "drug200" else []))
    return url, openapi.from_url(f"{url}/openapi.json")


@pytest.fixture(scope="module", params=MODELS)
def api(request, trained_model, live_server, log_args) -> tuple[str, Any]:
    return started(request.param, trained_model, live_server, log_args)


@pytest.fixture(scope="module")
def logged_api(trained_model, live_server, log_args) -> tuple[str, Any]:
    return started("drug200", trained_model, live_server, log_args)


def test_the_budget_covers_every_documented_operation(api) -> None:
    _, schema = api
    documented = {
        (op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())
    }
    assert documented == {(method, path) for method, path, _ in BUDGET}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_fuzz_operation(api, case: tuple[str, str, GenerationMode]) -> None:
    url, schema = api
    method, path, mode = case
    operation = schema[path][method]
    checks = CHECKS[:2] if (method, path) in KNOWN else CHECKS
    calls = 0

    @given(generated=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=BUDGET[case],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(generated) -> None:
        nonlocal calls
        calls += 1
        generated.call_and_validate(base_url=url, checks=checks)

    fuzz()
    assert calls >= MIN_SHARE * BUDGET[case], f"{calls} calls of {BUDGET[case]}"


@pytest.mark.parametrize("query", [{"last": "x"}, {"alert": "0.0"}])
def test_the_monitor_pages_errors_conform(logged_api, query: dict[str, str]) -> None:
    url, schema = logged_api
    case = schema["/monitor"]["GET"].Case(query=query)
    case.call_and_validate(base_url=url, checks=CHECKS)


def test_feedback_that_is_not_json_conforms(logged_api) -> None:
    url, schema = logged_api
    case = schema["/feedback"]["POST"].Case(body=[], media_type="application/json")
    headers = {"Content-Type": "application/json"}
    response = requests.post(f"{url}/feedback", data=b"{", headers=headers, timeout=60)
    assert response.status_code == 422
    case.validate_response(response, checks=CHECKS)
