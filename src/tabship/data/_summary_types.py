"""The shape of ``summary.json`` (written by ``summarize``), without pandas: the result
page reads it in a serving worker, which never imports pandas."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CategorySummary",
    "DatetimeSummary",
    "DriftReference",
    "DriftReferences",
    "FeatureSummary",
    "Histogram",
    "NumericSummary",
    "Summary",
    "TargetSummary",
]


class Histogram(TypedDict):
    """Bin edges (one more than the counts) and the training rows in each bin."""

    edges: list[float]
    counts: list[int]


class NumericSummary(TypedDict):
    """A number's distribution; only kind, count and missing when no value was finite."""

    kind: Literal["numeric"]
    count: int
    missing: int
    mean: NotRequired[float]
    std: NotRequired[float]
    histogram: NotRequired[Histogram]
    quantiles: NotRequired[dict[str, float]]  # "p1" .. "p99"


class CategorySummary(TypedDict):
    """Rows per canonical category (the most frequent ones), and how many had others."""

    kind: Literal["categorical"]
    count: int
    missing: int
    counts: dict[str, int]
    other: int


class DatetimeSummary(TypedDict):
    """The range of a date field, as ISO text (None when no value parsed)."""

    kind: Literal["datetime"]
    count: int
    missing: int
    minimum: str | None
    maximum: str | None


FeatureSummary = NumericSummary | CategorySummary | DatetimeSummary


class TargetSummary(TypedDict):
    """The target's name and task, and the keys of a numeric (regression) or a
    categorical (classification) summary."""

    name: str
    task: str
    kind: Literal["numeric", "categorical"]
    count: int
    missing: int
    mean: NotRequired[float]
    std: NotRequired[float]
    histogram: NotRequired[Histogram]
    quantiles: NotRequired[dict[str, float]]
    counts: NotRequired[dict[str, int]]
    other: NotRequired[int]


class DriftReference(TypedDict):
    """Training rows per drift bin of one feature (or of the prediction).

    Numeric: ``edges`` are the inner cut points (the training deciles, unique and
    ascending), so there are ``len(edges) + 1`` bins and ``categories`` is empty.
    Categorical: ``categories`` are canonical training categories (the most frequent
    ones), the last of the ``len(categories) + 1`` counts is "other or unseen", and
    ``edges`` is empty. ``missing`` counts rows without a value; they are in no bin.
    ``tabship.data.drift_bin_indices`` is the one rule that puts a value in a bin.
    """

    kind: Literal["numeric", "categorical"]
    edges: list[float]
    categories: list[str]
    counts: list[int]
    missing: int


class DriftReferences(TypedDict):
    """What drift is measured against: one reference per monitored feature and one for
    the model's predictions on its training rows. ``approximate`` is True when they were
    derived from a version 1 summary (histograms and target counts, not deciles and
    predictions)."""

    features: dict[str, DriftReference]
    prediction: NotRequired[DriftReference]
    approximate: NotRequired[bool]


class Summary(TypedDict):
    """``summary.json``: what the result page and drift checks know of the training rows.

    ``drift`` is written since artifact format version 2; ``drift_references`` derives
    an approximate one from a version 1 summary.
    """

    n_rows: int
    target: TargetSummary
    features: dict[str, FeatureSummary]
    drift: NotRequired[DriftReferences]
