"""The check a deploy needs right after it goes live, done for the user: ``smoke_test``.

Tutorials end with a hand-typed ``curl`` against the new service. This runs the same
checks every time — liveness, readiness, metadata, one real prediction of the schema's
example record — and, when the local model is given, proves the service serves *that*
model: the same target and fields, and the same answer to the same record. Every call
uses a bounded timeout, so a dead or hung service gives a verdict instead of a hang.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabship.errors import RemoteError, TabshipError

__all__ = ["SmokeCheck", "SmokeReport", "smoke_test"]

TOLERANCE = 1e-6


@dataclass
class SmokeCheck:
    """One line of the verdict."""

    name: str
    ok: bool
    detail: str


@dataclass
class SmokeReport:
    """Every check run against ``url``; ``ok`` only when all of them hold."""

    url: str
    checks: list[SmokeCheck] = field(default_factory=list)
    reachable: bool = True

    @property
    def ok(self) -> bool:
        return self.reachable and bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(SmokeCheck(name, ok, detail))
        return ok


def smoke_test(
    url: str,
    *,
    model: str | Path | None = None,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> SmokeReport:
    """Check the service at ``url`` (and that it serves ``model`` when one is given).

    Never raises for what the service does wrong: each problem is a failed check in the
    report. A local ``model`` that cannot be loaded raises its ``ArtifactError``, since
    that is the user's input, not the service's fault.
    """
    from tabship.client import Client

    local = _load_local(model)
    report = SmokeReport(url=url)
    with Client(url, api_key=api_key, timeout=timeout) as client:
        try:
            client.health()
        except RemoteError as err:
            report.reachable = err.status is not None
            report.add("health", False, err.problem)
            return report
        report.add("health", True, "GET /health answered ok")
        _call(report, "ready", client.ready, "GET /ready answered ready")
        meta = _call(report, "metadata", client.metadata, "GET /metadata answered")
        if meta is None:
            return report
        served = _served_schema(report, meta)
        if served is None:
            return report
        answer = _call(
            report,
            "predict",
            lambda: client.score([served.example]),
            "POST /predict answered the schema's example record",
        )
        if local is not None:
            _compare_schema(report, local.schema, served)
            if answer is not None:
                _compare_prediction(report, local, served.example, answer)
    return report


def _load_local(model: str | Path | None) -> Any:
    if model is None:
        return None
    from tabship.runtime import load

    return load(model)


def _call(report: SmokeReport, name: str, call: Any, detail: str) -> Any:
    """Run one request; its failure becomes a failed check, never an exception."""
    try:
        body = call()
    except TabshipError as err:
        report.add(name, False, str(getattr(err, "problem", err)))
        return None
    report.add(name, True, detail)
    return body


def _served_schema(report: SmokeReport, meta: dict[str, Any]) -> Any:
    from tabship.data import Schema

    try:
        schema = Schema.from_dict(meta["schema"])
    except (KeyError, TypeError, ValueError) as err:
        report.add("schema", False, f"/metadata holds no readable schema ({err})")
        return None
    if not schema.example:
        report.add("schema", False, "the served schema has no example record")
        return None
    return schema


def _compare_schema(report: SmokeReport, local: Any, served: Any) -> None:
    problems = []
    if local.target.name != served.target.name:
        problems.append(f"target '{served.target.name}', expected '{local.target.name}'")
    if local.task != served.task:
        problems.append(f"task {served.task}, expected {local.task}")
    local_names = [f.name for f in local.feature_fields]
    served_names = [f.name for f in served.feature_fields]
    missing = [n for n in local_names if n not in served_names]
    extra = [n for n in served_names if n not in local_names]
    if missing:
        problems.append("lacks fields " + ", ".join(missing))
    if extra:
        problems.append("has other fields " + ", ".join(extra))
    if problems:
        report.add("same schema", False, "the service " + "; ".join(problems))
    else:
        report.add("same schema", True, f"target '{local.target.name}', {len(local_names)} fields")


def _compare_prediction(report: SmokeReport, local: Any, record: dict, answer: dict) -> None:
    """The served answer to the example must equal the local model's, within 1e-6."""
    try:
        mine = local.score([record])
    except TabshipError as err:
        report.add("same prediction", False, f"the local model refuses the example: {err}")
        return
    theirs = (answer.get("predictions") or [None])[0]
    expected = mine.predictions[0]
    if mine.probabilities is None:
        ok = _close(theirs, expected)
        detail = f"served {theirs!r}, local {expected!r}"
    else:
        served_proba = (answer.get("probabilities") or [{}])[0]
        local_proba = mine.probabilities[0]
        worst = _largest_gap(served_proba, local_proba)
        ok = str(theirs) == str(expected) and worst <= TOLERANCE
        detail = f"served {theirs!r}, local {expected!r}; largest probability gap {worst:.2g}"
    report.add("same prediction", ok, detail)


def _close(theirs: Any, expected: Any) -> bool:
    try:
        return math.isclose(float(theirs), float(expected), rel_tol=TOLERANCE, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


def _largest_gap(served: dict[str, float], local: dict[str, float]) -> float:
    if set(map(str, served)) != set(map(str, local)):
        return math.inf
    return max((abs(float(served[c]) - float(local[c])) for c in local), default=0.0)
