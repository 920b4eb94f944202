"""The JSON shapes of ``plan.json``, one TypedDict per step, model and node.

These are what ``PlanSpec.to_json`` writes; the key order of each literal in
``tabship.plan._spec`` is the order of the file (kept byte for byte across versions).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CodesJSON",
    "CoerceJSON",
    "ColumnPartJSON",
    "ColumnStepJSON",
    "DeriveJSON",
    "FloatJSON",
    "FrameStepJSON",
    "ImputeJSON",
    "LinearJSON",
    "LogTargetJSON",
    "ModelJSON",
    "NodeJSON",
    "OneHotJSON",
    "PipelineJSON",
    "PlanJSON",
    "ScaleJSON",
    "TargetJSON",
    "TokensJSON",
    "TreesJSON",
    "VotingJSON",
]


class CoerceJSON(TypedDict):
    op: Literal["coerce"]
    fields: list[list[str]]


class DeriveJSON(TypedDict):
    op: Literal["derive"]
    expressions: list[str]


FrameStepJSON = CoerceJSON | DeriveJSON


class FloatJSON(TypedDict):
    op: Literal["float"]


class CodesJSON(TypedDict):
    op: Literal["codes"]
    tables: list[dict[str, float]]


class ImputeJSON(TypedDict):
    op: Literal["impute"]
    statistics: list[float | str]
    indicator: list[int]


class ScaleJSON(TypedDict):
    op: Literal["scale"]
    mean: list[float]
    scale: list[float]


class OneHotJSON(TypedDict):
    op: Literal["onehot"]
    blocks: list[dict[str, list[float]]]
    unknown: list[list[float]]


class TargetJSON(TypedDict):
    op: Literal["target"]
    tables: list[dict[str, list[float]]]
    missing: list[list[float] | None]
    fallback: list[float]


class TokensJSON(TypedDict):
    op: Literal["tokens"]
    pattern: str
    vocabularies: list[list[str]]


ColumnStepJSON = (
    FloatJSON | CodesJSON | ImputeJSON | ScaleJSON | OneHotJSON | TargetJSON | TokensJSON
)


class ColumnPartJSON(TypedDict):
    inputs: list[str]
    steps: list[ColumnStepJSON]


class LinearJSON(TypedDict):
    kind: Literal["linear"]
    coef: list[float] | list[list[float]]
    intercept: float | list[float]
    link: str


class TreesJSON(TypedDict):
    kind: Literal["trees"]
    link: str
    float32: NotRequired[bool]
    treelite: str
    lightgbm: NotRequired[str]
    order: NotRequired[list[int]]


class LogTargetJSON(TypedDict):
    kind: Literal["log_target"]
    inner: ModelJSON
    clip: NotRequired[list[float]]
    shift: NotRequired[float]


ModelJSON = LinearJSON | TreesJSON | LogTargetJSON


class PipelineJSON(TypedDict):
    kind: Literal["pipeline"]
    steps: list[FrameStepJSON]
    columns: list[ColumnPartJSON]
    model: ModelJSON


class VotingJSON(TypedDict):
    kind: Literal["voting"]
    weights: list[float] | None
    members: list[NodeJSON]


NodeJSON = PipelineJSON | VotingJSON


class PlanJSON(TypedDict):
    format: int
    task: str
    classes: list[str] | None
    inputs: list[str]
    root: NodeJSON
