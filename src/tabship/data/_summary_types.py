"""The shape of ``summary.json`` (written by ``summarize``), without pandas: the result
page reads it in a serving worker, which never imports pandas."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CategorySummary",
    "DatetimeSummary",
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


class Summary(TypedDict):
    """``summary.json``: what the result page and drift checks know of the training rows."""

    n_rows: int
    target: TargetSummary
    features: dict[str, FeatureSummary]
