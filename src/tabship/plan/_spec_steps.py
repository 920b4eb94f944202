"""The plan's preprocessing steps as data: frame steps, and the column parts' steps.

Frame steps work on named input columns (the pipeline's coercer and derived columns);
each column part of the column transformer runs its column steps on its own inputs and
contributes float columns to the model's matrix. See ``tabship.plan._spec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from tabship.data import TOKEN_PATTERN
from tabship.plan import _format as read
from tabship.plan._format import Json, PlanError, Reader
from tabship.plan._json import (
    CodesJSON,
    CoerceJSON,
    ColumnPartJSON,
    DeriveJSON,
    FloatJSON,
    ImputeJSON,
    OneHotJSON,
    ScaleJSON,
    TargetJSON,
    TokensJSON,
)

__all__ = [
    "CodesStep",
    "CoerceStep",
    "ColumnPart",
    "ColumnStep",
    "DeriveStep",
    "FloatStep",
    "FrameStep",
    "ImputeStep",
    "OneHotStep",
    "ScaleStep",
    "TargetStep",
    "TokensStep",
    "frame_step",
]


# --- frame steps: the pipeline's coercer and derived columns ------------------------------


@dataclass(frozen=True)
class CoerceStep:
    """Input fields as the model saw them: numbers to float, everything else to text."""

    fields: list[tuple[str, str]]  # (name, role)
    op: ClassVar[str] = "coerce"

    def to_json(self) -> CoerceJSON:
        return {"op": "coerce", "fields": [[name, role] for name, role in self.fields]}

    @classmethod
    def from_json(cls, data: Json) -> CoerceStep:
        pairs = [read.texts(pair, "a coerced field") for pair in read.items(data["fields"], "")]
        if any(len(pair) != 2 for pair in pairs):
            raise PlanError("a coerced field is not [name, role]")
        return cls([(name, role) for name, role in pairs])


@dataclass(frozen=True)
class DeriveStep:
    """Derived columns (``tabship.data.parse_derived`` expressions), in order."""

    expressions: list[str]
    op: ClassVar[str] = "derive"

    def to_json(self) -> DeriveJSON:
        return {"op": "derive", "expressions": list(self.expressions)}

    @classmethod
    def from_json(cls, data: Json) -> DeriveStep:
        return cls(read.texts(data["expressions"], "an expression"))


FrameStep = CoerceStep | DeriveStep


# --- column steps: one part of the column transformer ------------------------------------


@dataclass(frozen=True)
class FloatStep:
    """Columns passed through as float64."""

    op: ClassVar[str] = "float"

    def to_json(self) -> FloatJSON:
        return {"op": "float"}

    @classmethod
    def from_json(cls, data: Json) -> FloatStep:
        return cls()


@dataclass(frozen=True)
class CodesStep:
    """Per column, category text -> the number the model was trained on."""

    tables: list[dict[str, float]]
    op: ClassVar[str] = "codes"

    def to_json(self) -> CodesJSON:
        return {"op": "codes", "tables": self.tables}

    @classmethod
    def from_json(cls, data: Json) -> CodesStep:
        what = "a category code"
        return cls([read.float_table(t, what) for t in read.items(data["tables"], what)])


@dataclass(frozen=True)
class ImputeStep:
    """Per column, the fill for missing values; ``indicator``: columns that also get a
    0/1 missing flag, appended after all columns."""

    statistics: list[float | str]
    indicator: list[int]
    op: ClassVar[str] = "impute"

    def to_json(self) -> ImputeJSON:
        return {"op": "impute", "statistics": self.statistics, "indicator": self.indicator}

    @classmethod
    def from_json(cls, data: Json) -> ImputeStep:
        statistics: list[float | str] = [
            s if isinstance(s, str) else read.number(s, "an imputed value")
            for s in read.items(data["statistics"], "imputed values")
        ]
        return cls(statistics, read.integers(data["indicator"], "an indicator column"))


@dataclass(frozen=True)
class ScaleStep:
    """Per column, ``(x - mean) / scale``."""

    mean: list[float]
    scale: list[float]
    op: ClassVar[str] = "scale"

    def to_json(self) -> ScaleJSON:
        return {"op": "scale", "mean": self.mean, "scale": self.scale}

    @classmethod
    def from_json(cls, data: Json) -> ScaleStep:
        return cls(read.floats(data["mean"], "a mean"), read.floats(data["scale"], "a scale"))


@dataclass(frozen=True)
class OneHotStep:
    """Per column, each category's output block; ``unknown``: the block of anything else."""

    blocks: list[dict[str, list[float]]]
    unknown: list[list[float]]
    op: ClassVar[str] = "onehot"

    def to_json(self) -> OneHotJSON:
        return {"op": "onehot", "blocks": self.blocks, "unknown": self.unknown}

    @classmethod
    def from_json(cls, data: Json) -> OneHotStep:
        what = "a one-hot block"
        blocks = [read.row_table(b, what) for b in read.items(data["blocks"], what)]
        return cls(blocks, read.rows(data["unknown"], what))


@dataclass(frozen=True)
class TargetStep:
    """Per column, each category's target encoding (one value per class for multiclass);
    ``missing``: the encoding of a missing value (None: ``fallback``, the target mean)."""

    tables: list[dict[str, list[float]]]
    missing: list[list[float] | None]
    fallback: list[float]
    op: ClassVar[str] = "target"

    def to_json(self) -> TargetJSON:
        return {
            "op": "target",
            "tables": self.tables,
            "missing": self.missing,
            "fallback": self.fallback,
        }

    @classmethod
    def from_json(cls, data: Json) -> TargetStep:
        what = "a target encoding"
        tables = [read.row_table(t, what) for t in read.items(data["tables"], what)]
        missing = [
            None if m is None else read.floats(m, what) for m in read.items(data["missing"], what)
        ]
        return cls(tables, missing, read.floats(data["fallback"], what))


@dataclass(frozen=True)
class TokensStep:
    """Per text column, its words: one 0/1 column per word, in order, set when the
    lowercased text holds the word as a ``pattern`` token (``tabship.data.text_tokens``)."""

    vocabularies: list[list[str]]
    pattern: str = TOKEN_PATTERN
    op: ClassVar[str] = "tokens"

    def to_json(self) -> TokensJSON:
        return {"op": "tokens", "pattern": self.pattern, "vocabularies": self.vocabularies}

    @classmethod
    def from_json(cls, data: Json) -> TokensStep:
        pattern = read.text(data["pattern"], "a token pattern")
        if pattern != TOKEN_PATTERN:
            # Another tokeniser would silently give other features: refuse the plan.
            raise PlanError(f"token pattern {pattern!r} is not {TOKEN_PATTERN!r}")
        what = "a vocabulary"
        return cls([read.texts(v, what) for v in read.items(data["vocabularies"], what)], pattern)


ColumnStep = FloatStep | CodesStep | ImputeStep | ScaleStep | OneHotStep | TargetStep | TokensStep


@dataclass(frozen=True)
class ColumnPart:
    """One transformer of the column transformer: its input columns and steps."""

    inputs: list[str]
    steps: list[ColumnStep] = field(default_factory=list)

    def to_json(self) -> ColumnPartJSON:
        return {"inputs": list(self.inputs), "steps": [s.to_json() for s in self.steps]}

    @classmethod
    def from_json(cls, data: Json) -> ColumnPart:
        steps = [_column_step(s) for s in read.items(data["steps"], "column steps")]
        return cls(read.texts(data["inputs"], "a column part's input"), steps)


_FRAME_STEPS: dict[str, Reader[FrameStep]] = {
    CoerceStep.op: CoerceStep.from_json,
    DeriveStep.op: DeriveStep.from_json,
}
_COLUMN_STEPS: dict[str, Reader[ColumnStep]] = {
    FloatStep.op: FloatStep.from_json,
    CodesStep.op: CodesStep.from_json,
    ImputeStep.op: ImputeStep.from_json,
    ScaleStep.op: ScaleStep.from_json,
    OneHotStep.op: OneHotStep.from_json,
    TargetStep.op: TargetStep.from_json,
    TokensStep.op: TokensStep.from_json,
}


def frame_step(value: object) -> FrameStep:
    """A frame step from its ``plan.json`` value."""
    return read.tagged(value, "op", "frame step", _FRAME_STEPS)


def _column_step(value: object) -> ColumnStep:
    return read.tagged(value, "op", "column step", _COLUMN_STEPS)
