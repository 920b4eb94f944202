"""The scoring plan as data: one frozen dataclass per model and node, and the whole plan
(the steps' dataclasses are in ``tabship.plan._spec_steps``).

A plan is a tree: the root is a pipeline node (frame steps, then column parts that
build the float matrix, then a model) or a voting node averaging its members. Nothing
in it names code to import or call; each class reads itself from ``plan.json`` values
(``from_json``, checking every type) and writes itself back (``to_json``) in the same
key order, so a file round-trips byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from tabship.plan import _format as read
from tabship.plan._format import PLAN_FILE, PLAN_FORMAT, Json, PlanError, Reader
from tabship.plan._json import (
    LinearJSON,
    LogTargetJSON,
    PipelineJSON,
    PlanJSON,
    TreesJSON,
    VotingJSON,
)
from tabship.plan._spec_steps import ColumnPart, FrameStep, frame_step

__all__ = [
    "LINKS",
    "LinearModel",
    "Link",
    "LogTargetModel",
    "PipelineNode",
    "PlanModel",
    "PlanNode",
    "PlanSpec",
    "TreesModel",
    "VotingNode",
]

# How raw model scores become outputs: ``none`` (already outputs), ``identity``,
# ``sigmoid`` (binary: two probability columns) or ``softmax``.
Link = Literal["none", "identity", "sigmoid", "softmax"]
LINKS: tuple[Link, ...] = ("none", "identity", "sigmoid", "softmax")


# --- models: float matrix -> outputs ------------------------------------------------------


@dataclass(frozen=True)
class LinearModel:
    """``link(X @ coef.T + intercept)``; ``coef`` is one row for a regressor."""

    coef: list[float] | list[list[float]]
    intercept: float | list[float]
    link: Link
    kind: ClassVar[str] = "linear"

    def to_json(self) -> LinearJSON:
        return {"kind": "linear", "coef": self.coef, "intercept": self.intercept, "link": self.link}

    @classmethod
    def from_json(cls, data: Json) -> LinearModel:
        raw = read.items(data["coef"], "coefficients")
        coef: list[float] | list[list[float]] = (
            read.rows(raw, "coefficients")
            if raw and isinstance(raw[0], list)
            else read.floats(raw, "coefficients")
        )
        value = data["intercept"]
        intercept = (
            read.floats(value, "an intercept")
            if isinstance(value, list)
            else read.number(value, "an intercept")
        )
        return cls(coef, intercept, _link(data))


@dataclass(frozen=True)
class TreesModel:
    """A tree ensemble in a Treelite file (``treelite``, a name among the plan's files).

    ``lightgbm``: LightGBM's own model text, for batch speed; ``float32``: the model
    compares float32 inputs (scikit-learn trees); ``order``: the columns in the order
    the model takes them.
    """

    link: Link
    treelite: str
    lightgbm: str | None = None
    float32: bool = False
    order: list[int] | None = None
    kind: ClassVar[str] = "trees"

    def to_json(self) -> TreesJSON:
        # float32 comes before the file name, as it always did: keys keep their order.
        out: TreesJSON = (
            {"kind": "trees", "link": self.link, "float32": True, "treelite": self.treelite}
            if self.float32
            else {"kind": "trees", "link": self.link, "treelite": self.treelite}
        )
        if self.lightgbm is not None:
            out["lightgbm"] = self.lightgbm
        if self.order is not None:
            out["order"] = list(self.order)
        return out

    @classmethod
    def from_json(cls, data: Json) -> TreesModel:
        float32 = data.get("float32", False)
        if not isinstance(float32, bool):
            raise PlanError("float32 is not true or false")
        lightgbm, order = data.get("lightgbm"), data.get("order")
        return cls(
            link=_link(data),
            treelite=read.text(data["treelite"], "a Treelite file name"),
            lightgbm=None if lightgbm is None else read.text(lightgbm, "a LightGBM file name"),
            float32=float32,
            order=None if order is None else read.integers(order, "a column position"),
        )


@dataclass(frozen=True)
class LogTargetModel:
    """A regressor trained on ``log1p(y + shift)``: ``expm1(clip(inner)) - shift``."""

    inner: PlanModel
    clip: tuple[float, float] | None = None
    shift: float | None = None
    kind: ClassVar[str] = "log_target"

    def to_json(self) -> LogTargetJSON:
        out: LogTargetJSON = {"kind": "log_target", "inner": self.inner.to_json()}
        if self.clip is not None:
            out["clip"] = list(self.clip)
        if self.shift is not None:
            out["shift"] = self.shift
        return out

    @classmethod
    def from_json(cls, data: Json) -> LogTargetModel:
        clip, shift = data.get("clip"), data.get("shift")
        bounds = None if clip is None else read.floats(clip, "a clip bound")
        if bounds is not None and len(bounds) != 2:
            raise PlanError("clip is not [low, high]")
        return cls(
            inner=_model(data["inner"]),
            clip=None if bounds is None else (bounds[0], bounds[1]),
            shift=None if shift is None else read.number(shift, "a shift"),
        )


PlanModel = LinearModel | TreesModel | LogTargetModel


def _link(data: Json) -> Link:
    for link in LINKS:
        if data["link"] == link:
            return link
    raise PlanError(f"unknown link {data['link']!r}")


# --- nodes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineNode:
    """A fitted pipeline: frame steps, then column parts side by side, then the model."""

    steps: list[FrameStep]
    columns: list[ColumnPart]
    model: PlanModel
    kind: ClassVar[str] = "pipeline"

    def to_json(self) -> PipelineJSON:
        return {
            "kind": "pipeline",
            "steps": [s.to_json() for s in self.steps],
            "columns": [c.to_json() for c in self.columns],
            "model": self.model.to_json(),
        }

    @classmethod
    def from_json(cls, data: Json) -> PipelineNode:
        return cls(
            steps=[frame_step(s) for s in read.items(data["steps"], "frame steps")],
            columns=[
                ColumnPart.from_json(read.mapping(c, "a column part"))
                for c in read.items(data["columns"], "column parts")
            ],
            model=_model(data["model"]),
        )


@dataclass(frozen=True)
class VotingNode:
    """The (weighted) average of its members' outputs."""

    members: list[PlanNode]
    weights: list[float] | None = None
    kind: ClassVar[str] = "voting"

    def to_json(self) -> VotingJSON:
        weights = None if self.weights is None else list(self.weights)
        return {
            "kind": "voting",
            "weights": weights,
            "members": [m.to_json() for m in self.members],
        }

    @classmethod
    def from_json(cls, data: Json) -> VotingNode:
        weights = data.get("weights")
        return cls(
            members=[_node(m) for m in read.items(data["members"], "voting members")],
            weights=None if weights is None else read.floats(weights, "a voting weight"),
        )


PlanNode = PipelineNode | VotingNode


# --- the whole plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSpec:
    """What ``plan.json`` holds: the task, class labels (None for regression), the input
    fields in the order the plan reads them, and the root node."""

    task: str
    classes: list[str] | None
    inputs: list[str]
    root: PlanNode

    @property
    def classifier(self) -> bool:
        return self.task != "regression"

    def to_json(self) -> PlanJSON:
        return {
            "format": PLAN_FORMAT,
            "task": self.task,
            "classes": None if self.classes is None else list(self.classes),
            "inputs": list(self.inputs),
            "root": self.root.to_json(),
        }

    def to_bytes(self) -> bytes:
        """The contents of ``plan.json`` (no NaN or infinity: strict JSON)."""
        return json.dumps(self.to_json(), allow_nan=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: Json) -> PlanSpec:
        """The spec of a parsed ``plan.json``; ``PlanError`` when this version cannot run it."""
        if data.get("format") != PLAN_FORMAT:
            raise PlanError(f"plan format {data.get('format')!r} is not {PLAN_FORMAT}")
        try:
            classes = data.get("classes")
            return cls(
                task=read.text(data["task"], "the task"),
                classes=None if classes is None else read.texts(classes, "a class"),
                inputs=read.texts(data["inputs"], "an input field"),
                root=_node(data["root"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, PlanError):
                raise
            raise PlanError(f"a plan entry is malformed: {error!r}") from error

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> PlanSpec:
        """The spec in an artifact's files; ``PlanError`` when it cannot be run."""
        try:
            data = json.loads(files[PLAN_FILE])
        except (KeyError, TypeError, ValueError) as error:
            raise PlanError(f"{PLAN_FILE} cannot be executed: {error}") from error
        try:
            return cls.from_json(read.mapping(data, PLAN_FILE))
        except PlanError as error:
            raise PlanError(f"{PLAN_FILE} cannot be executed: {error}") from error


_MODELS: dict[str, Reader[PlanModel]] = {
    LinearModel.kind: LinearModel.from_json,
    TreesModel.kind: TreesModel.from_json,
    LogTargetModel.kind: LogTargetModel.from_json,
}
_NODES: dict[str, Reader[PlanNode]] = {
    PipelineNode.kind: PipelineNode.from_json,
    VotingNode.kind: VotingNode.from_json,
}


def _model(value: object) -> PlanModel:
    return read.tagged(value, "kind", "model", _MODELS)


def _node(value: object) -> PlanNode:
    return read.tagged(value, "kind", "node", _NODES)
