"""Hand-built schemas shaped like insurance and drug200, and records for them, shared by the
record validation tests (``test_rules``, ``test_table``, ``test_columns``, ``test_validate``)."""

from __future__ import annotations

from tabship.data import Field, Schema, Target
from tabship.runtime import ValidationResult

__all__ = [
    "DRUG",
    "GOOD",
    "MIXED",
    "date_schema",
    "drug_schema",
    "insurance_schema",
    "mixed_schema",
    "only_error",
]


def insurance_schema(*, optional: bool = False) -> Schema:
    """Like infer_schema on insurance.csv; ``optional`` makes bmi/children/region optional."""
    return Schema(
        fields=[
            Field("age", "numeric", "int64", minimum=18, maximum=64, default=39, is_integer=True),
            Field("sex", "categorical", "str", categories=["male", "female"], default="male"),
            Field(
                "bmi", "numeric", minimum=15.96, maximum=53.13, default=30.4,
                required=not optional,
            ),
            Field(
                "children", "numeric", "int64", minimum=0, maximum=5, default=1,
                required=not optional, is_integer=True,
            ),
            Field("smoker", "boolean", "str", categories=["no", "yes"], default="no"),
            Field(
                "region", "categorical", "str",
                categories=["southeast", "northwest", "southwest", "northeast"],
                default="southeast", required=not optional,
            ),
        ],
        target=Target("charges", "regression", minimum=1121.87, maximum=63770.43),
    )  # fmt: skip


def drug_schema() -> Schema:
    return Schema(
        fields=[
            Field("Age", "numeric", "int64", minimum=15, maximum=74, default=45, is_integer=True),
            Field("Sex", "categorical", "str", categories=["M", "F"], default="M"),
            Field("BP", "categorical", "str", categories=["HIGH", "LOW", "NORMAL"], default="HIGH"),
            Field("Cholesterol", "categorical", "str", categories=["HIGH", "NORMAL"]),
            Field("Na_to_K", "numeric", minimum=6.269, maximum=38.247, default=13.9365),
        ],
        target=Target("Drug", "multiclass", classes=["DrugY", "drugA", "drugB", "drugC", "drugX"]),
    )


GOOD = {"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes",
        "region": "southwest"}  # fmt: skip
DRUG = {"Age": 23, "Sex": "F", "BP": "HIGH", "Cholesterol": "HIGH", "Na_to_K": 25.355}


def only_error(result: ValidationResult) -> dict:
    assert len(result.errors) == 1, result.errors
    assert result.valid_index == []
    return result.errors[0]


def date_schema() -> Schema:
    return Schema(
        [Field("when", "datetime", default="2020-06-01T00:00:00"), Field("x", "numeric")],
        Target("y", "regression"),
    )


def mixed_schema() -> Schema:
    """Insurance plus an optional datetime field: every rule kind in one schema."""
    schema = insurance_schema()
    schema.fields.append(Field("when", "datetime", required=False, default="2020-06-01"))
    return schema


MIXED = mixed_schema()
