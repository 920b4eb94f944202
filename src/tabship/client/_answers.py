"""The JSON bodies a tabship server answers with, as the client hands them back.

They are typed here so that a caller (and the notebook form) reads known keys instead
of a ``dict[str, Any]``; the server writes them (``Scored.to_json`` for ``/predict``,
``serve/routes/health.py`` for the rest). Turning a ``/predict`` answer back into a
result is ``tabship.runtime.Scored.from_json``.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from tabship.data import Summary
from tabship.errors import ErrorItem

__all__ = ["MetadataAnswer", "PredictAnswer", "StatusAnswer"]


class StatusAnswer(TypedDict):
    """``/health`` (``"ok"``) and ``/ready`` (``"ready"``)."""

    status: str


class PredictAnswer(TypedDict):
    """``/predict``: one prediction per record, in order, and what was noticed on the way.

    ``probabilities`` is None for a regression model; ``explanations`` is there when it
    was asked for (``explain=True``), one list of ``{"feature", "value",
    "contribution"}`` per record, with ``expected_value`` (the mean prediction over the
    model's background training rows: a number, or one per class) that each record's
    contributions add up to its prediction (its predicted class's probability) from.
    ``ids`` names each scored record (32 hex digits, in order): the id ``POST /feedback``
    takes with the true outcome (an older server may not send it).
    """

    predictions: list[Any]  # a float per record (regression) or a class label
    ids: NotRequired[list[str]]  # one per prediction, in order
    probabilities: list[dict[str, float]] | None
    warnings: list[ErrorItem]
    defaulted: list[list[int | str]]  # [record index, field] pairs
    unknown_fields: list[str]
    expected_value: NotRequired[float | dict[str, float]]
    explanations: NotRequired[list[list[dict[str, Any]]]]
    errors: NotRequired[list[ErrorItem]]


class MetadataAnswer(TypedDict):
    """``/metadata``: the served model's schema, test metrics and training summary
    (``Schema.from_dict`` reads ``schema`` back), versions and load time."""

    task: str
    target: str
    classes: list[str] | None
    schema: dict[str, Any]
    metrics: dict[str, Any]
    summary: Summary
    manifest: dict[str, Any]
    model_load_seconds: float
    python_version: str
    omp_num_threads: str | None
