from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tabship.data import Schema, infer_schema
from tabship.errors import ColumnNotFoundError, OptionError, TabshipWarning, TargetError


def test_adult_is_binary_with_stripped_labels(read_dataset):
    schema = infer_schema(read_dataset("adult.csv"), "income")
    assert schema.task == "binary"
    assert schema.target.classes == ["<=50K", ">50K"]
    workclass = schema.field("workclass")
    assert workclass.role == "categorical"
    assert workclass.required is False
    assert workclass.missing_fraction == pytest.approx(1836 / 32561, abs=1e-6)
    assert workclass.categories[0] == "Private" == workclass.default
    assert "?" not in workclass.categories
    assert "income" not in schema.names


def test_auto_mpg_fields(read_dataset):
    schema = infer_schema(read_dataset("auto-mpg.csv"), "MPG")
    assert schema.task == "regression"
    assert (schema.target.minimum, schema.target.maximum) == (9.0, 46.6)
    origin = schema.field("Origin")
    assert origin.role == "categorical"
    assert origin.categories == ["1", "3", "2"]  # by decreasing frequency
    assert origin.is_integer
    assert schema.field("Cylinders").categories == ["4", "8", "6", "3", "5"]
    assert schema.field("Car Name").role == "text"
    horsepower = schema.field("Horsepower")
    assert (horsepower.role, horsepower.required, horsepower.is_integer) == ("numeric", False, True)
    assert (horsepower.minimum, horsepower.maximum, horsepower.default) == (46.0, 230.0, 94)
    assert schema.field("Acceleration").default == pytest.approx(15.5)
    assert schema.example == {
        "Cylinders": "8", "Displacement": 307.0, "Horsepower": 130, "Weight": 3504,
        "Acceleration": 12.0, "Model Year": 70, "Origin": "1",
        "Car Name": "chevrolet chevelle malibu",
    }  # fmt: skip


def test_college_scorecard(read_dataset):
    frame = read_dataset("college_scorecard.csv")
    with pytest.warns(TabshipWarning, match="Dropping column") as seen:
        schema = infer_schema(frame, "EARN_MDN_5YR")
    messages = [str(w.message) for w in seen]
    assert "Dropping column 'CREDLEV': it is constant (every value is '3')." in messages
    assert (
        "Dropping column 'CREDDESC': it is constant (every value is 'Bachelor's Degree')."
        in messages
    )
    assert schema.task == "regression"
    assert schema.field("UNITID").role == schema.field("INSTNM").role == "identifier"
    cip = schema.field("CIPDESC")
    assert (cip.role, cip.n_unique, len(cip.categories)) == ("categorical", 296, 296)
    assert schema.field("CREDLEV").role == "constant" and not schema.field("CREDLEV").used
    earn = schema.field("EARN_MDN_1YR")
    assert (earn.role, earn.dtype, earn.required) == ("numeric", "float64", False)
    assert set(schema.example) == {f.name for f in schema.feature_fields}
    assert {"PS", "NULL", "NA"} <= set(schema.na_values)


def test_drug200_is_multiclass(read_dataset):
    schema = infer_schema(read_dataset("drug200.csv"), "Drug")
    assert schema.task == "multiclass"
    assert schema.target.classes == ["drugA", "drugB", "drugC", "drugX", "drugY"]
    assert schema.field("BP").categories == ["HIGH", "LOW", "NORMAL"]


def test_insurance_is_regression(read_dataset):
    schema = infer_schema(read_dataset("insurance.csv"), "charges")
    assert schema.task == "regression"
    assert schema.field("smoker").role == "boolean"
    assert schema.field("smoker").categories == ["no", "yes"]
    assert schema.field("children").role == "numeric"
    assert schema.example["sex"] == "female"


def test_penguins_missing_values(read_dataset):
    schema = infer_schema(read_dataset("penguins.csv"), "species")
    assert schema.target.classes == ["Adelie", "Chinstrap", "Gentoo"]
    assert schema.field("sex").required is False
    assert schema.field("island").required is True
    assert all(v is not None for v in schema.example.values())


def test_german_credit_integer_target_classes(read_dataset):
    schema = infer_schema(read_dataset("german_credit.csv"), "default")
    assert schema.task == "binary"
    assert schema.target.classes == ["1", "2"]
    assert schema.field("checking_balance").role == "categorical"


def test_income_zero_one_target(read_dataset):
    schema = infer_schema(read_dataset("income.csv"), "income >50K")
    assert (schema.task, schema.target.classes) == ("binary", ["0", "1"])


def test_roles_override_and_drop(read_dataset):
    frame = read_dataset("auto-mpg.csv")
    schema = infer_schema(
        frame, "MPG", roles={"Origin": "numeric", "Car Name": "categorical"}, drop=["Weight"]
    )
    assert schema.field("Origin").role == "numeric"
    assert schema.field("Origin").minimum == 1.0
    assert schema.field("Car Name").role == "categorical"
    assert "Weight" not in schema.names
    assert "Weight" not in schema.example


def test_task_override(read_dataset):
    schema = infer_schema(read_dataset("auto-mpg.csv"), "Cylinders", task="regression")
    assert schema.task == "regression"
    schema = infer_schema(read_dataset("auto-mpg.csv"), "Model Year", task="multiclass")
    assert schema.target.classes[:2] == ["70", "71"]


def test_schema_is_json_round_trippable(read_dataset):
    schema = infer_schema(read_dataset("penguins.csv"), "species")
    text = json.dumps(schema.to_dict())
    assert Schema.from_dict(json.loads(text)) == schema


def test_empty_column_warns():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0] * 5, "blank": [np.nan] * 15, "x": range(15)})
    with pytest.warns(TabshipWarning, match="Dropping column 'blank': it is entirely missing"):
        schema = infer_schema(frame, "y")
    assert schema.field("blank").role == "empty"
    assert "blank" not in schema.example


def test_example_falls_back_to_defaults_without_a_complete_row():
    frame = pd.DataFrame(
        {"a": [1.5, np.nan, np.nan, 2.5], "b": [np.nan, "v", "u", np.nan], "y": [0, 1, 0, 1]}
    )
    schema = infer_schema(frame, "y")
    assert schema.example == {"a": 2.0, "b": "u"}


# --- errors ---------------------------------------------------------------------------


def test_unknown_target_suggests_a_close_name(read_dataset):
    with pytest.raises(ColumnNotFoundError, match=r"The target 'charge' .*Did you mean 'charges'"):
        infer_schema(read_dataset("insurance.csv"), "charge")


def test_unknown_role_column(read_dataset):
    with pytest.raises(ColumnNotFoundError, match="The column 'Orign' .*'Origin'"):
        infer_schema(read_dataset("auto-mpg.csv"), "MPG", roles={"Orign": "categorical"})


def test_unknown_role_name(read_dataset):
    with pytest.raises(
        OptionError, match=r"'roles\['Origin'\]' must be one of numeric, .*'category'"
    ):
        infer_schema(read_dataset("auto-mpg.csv"), "MPG", roles={"Origin": "category"})


def test_unknown_drop_column(read_dataset):
    with pytest.raises(ColumnNotFoundError, match="The column 'Wieght'"):
        infer_schema(read_dataset("auto-mpg.csv"), "MPG", drop=["Wieght"])


def test_target_cannot_be_dropped(read_dataset):
    with pytest.raises(OptionError, match="not the target 'MPG'"):
        infer_schema(read_dataset("auto-mpg.csv"), "MPG", drop=["MPG"])


def test_invalid_task(read_dataset):
    with pytest.raises(OptionError, match="'task' must be one of regression, binary, multiclass"):
        infer_schema(read_dataset("drug200.csv"), "Drug", task="classification")


def test_all_missing_target():
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [np.nan] * 3})
    with pytest.raises(TargetError, match="The target 'y' has no values"):
        infer_schema(frame, "y")
