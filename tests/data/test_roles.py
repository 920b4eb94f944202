from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabship.data._roles import infer_role, infer_roles, looks_like_id_name

RNG = np.random.default_rng(0)


def col(values, name="x"):
    return pd.Series(values, name=name)


@pytest.mark.parametrize(
    "name", ["id", "ID", "user_id", "Customer ID", "customerID", "userId", "UNITID", "row-uuid"]
)
def test_id_like_names(name):
    assert looks_like_id_name(name)


@pytest.mark.parametrize("name", ["paid_amount", "valid", "idea", "width", "Cylinders", "monkey"])
def test_names_that_are_not_ids(name):
    assert not looks_like_id_name(name)


def test_empty_and_constant():
    assert infer_role(col([np.nan] * 5)) == "empty"
    assert infer_role(col(["a", "a", None])) == "constant"


@pytest.mark.parametrize(
    "values",
    [
        [0, 1, 1],
        [1.0, 0.0, np.nan],
        ["yes", "no"],
        ["Y", "n"],
        ["TRUE", "false"],
        ["t", "F"],
        [True, False],
    ],
)
def test_boolean_pairs(values):
    assert infer_role(col(values)) == "boolean"


@pytest.mark.parametrize("values", [["yes", "none"], [1, 2], ["Male", "Female"], ["yes", "y"]])
def test_two_values_that_are_not_a_yes_no_pair(values):
    assert infer_role(col(values)) == "categorical"


def test_small_integer_codes_are_categorical_but_counts_are_numeric():
    assert infer_role(col([1, 2, 3, 1] * 10, "Origin")) == "categorical"
    assert infer_role(col([0, 1, 2, 3, 4, 5] * 10, "children")) == "numeric"
    assert infer_role(col([2007, 2008, 2009] * 10, "year")) == "numeric"
    assert infer_role(col([1.5, 2.5, 1.5], "ratio")) == "numeric"


def test_identifiers_by_name_need_many_values():
    ids = col(RNG.permutation(10_000)[:200] * 7 + 100_000, "UNITID")
    assert infer_role(ids) == "identifier"
    assert infer_role(col([1, 2, 3] * 30, "region_id")) == "categorical"


def test_unnamed_row_counter_and_text_codes_are_identifiers():
    assert infer_role(col(list(range(1, 201)), "row")) == "identifier"
    codes = [f"{i:04d}-{chr(65 + i % 26)}X" for i in range(100)]
    assert infer_role(col(codes, "code")) == "identifier"


def test_unique_measurements_are_not_identifiers():
    assert infer_role(col(RNG.integers(500, 20_000, 200), "amount")) == "numeric"


def test_dates():
    days = pd.date_range("2020-01-01", periods=60).strftime("%Y-%m-%d").tolist()
    assert infer_role(col(days, "day")) == "datetime"
    assert infer_role(col(pd.to_datetime(days), "day")) == "datetime"
    assert infer_role(col(["May", "June", "July"] * 5, "month")) == "categorical"


def test_free_text_and_long_sentences():
    names = [f"car model {i}" for i in range(80)] + ["car model 1"] * 20
    assert infer_role(col(names, "Car Name")) == "text"
    review = "this product works well and I would buy it again next year "
    reviews = [review + str(i % 30) for i in range(100)]
    assert infer_role(col(reviews, "review")) == "text"


def test_a_label_of_an_identifier_is_an_identifier():
    ids = np.repeat(np.arange(1000, 1100), 3)
    frame = pd.DataFrame({"UNITID": ids, "INSTNM": [f"College {i}" for i in ids]})
    frame["major"] = [f"Major {i % 60}" for i in range(len(frame))]
    roles = infer_roles(frame)
    assert roles == {"UNITID": "identifier", "INSTNM": "identifier", "major": "categorical"}


def test_reference_dataset_roles(read_dataset):
    mpg = infer_roles(read_dataset("auto-mpg.csv"))
    assert mpg["Origin"] == mpg["Cylinders"] == "categorical"
    assert mpg["Car Name"] == "text"
    assert mpg["Horsepower"] == "numeric"
    college = infer_roles(read_dataset("college_scorecard.csv"))
    assert college["UNITID"] == college["INSTNM"] == "identifier"
    assert college["CIPDESC"] == "categorical"
    assert college["CREDLEV"] == college["CREDDESC"] == "constant"
    assert college["EARN_MDN_1YR"] == "numeric"
    insurance = infer_roles(read_dataset("insurance.csv"))
    assert insurance == {
        "age": "numeric", "sex": "categorical", "bmi": "numeric", "children": "numeric",
        "smoker": "boolean", "region": "categorical", "charges": "numeric",
    }  # fmt: skip
