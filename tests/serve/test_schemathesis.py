"""schemathesis against ``/openapi.json`` of a live server: no 5xx, every answer as documented.

Each operation is fuzzed with a bounded number of examples, with data that fits the
schema (positive) and, for the prediction routes that take input, data that breaks it
(negative). The checks: no server error, the status code is documented, the content type
is documented, and the body conforms to the documented schema (the canonical error body
for every 4xx).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
WITH_INPUT = [("POST", "/predict"), ("GET", "/predict"), ("POST", "/predict/csv")]
WITHOUT_INPUT = [("GET", "/health"), ("GET", "/ready"), ("GET", "/metadata"), ("GET", "/metrics")]
CASES = [(m, p, "positive") for m, p in WITH_INPUT + WITHOUT_INPUT]
CASES += [(m, p, "negative") for m, p in WITH_INPUT]


@pytest.fixture(scope="module", params=["insurance", "drug200"])
def api(request, trained_model, live_server):
    """(base URL, schemathesis schema) of a live server."""
    url = live_server(trained_model(request.param))
    return url, schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[" ".join(c) for c in CASES])
def test_schemathesis_operation(api, method, path, mode):
    url, schema = api
    operation = schema[path][method]
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE

    @given(case=operation.as_strategy(generation_mode=generation))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.call_and_validate(base_url=url, checks=CHECKS)

    fuzz()
