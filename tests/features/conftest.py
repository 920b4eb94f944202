"""Hand-built schemas for the reference datasets, so features is tested without inference.

``tabship.data.infer_schema`` is another layer's job; here each dataset's roles are
written down and the category lists computed the way the schema defines them (canonical
text, most frequent first).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tabship.data import Field, Schema, Target, canonical_object_series

DATASETS = Path(__file__).parents[1] / "datasets"
NA_VALUES = ["", "NA", "NULL", "PS", "?"]

ROLES = {
    "insurance": (
        "charges",
        "regression",
        {
            "age": "numeric",
            "sex": "categorical",
            "bmi": "numeric",
            "children": "numeric",
            "smoker": "boolean",
            "region": "categorical",
        },
    ),
    "auto-mpg": (
        "MPG",
        "regression",
        {
            "Cylinders": "numeric",
            "Displacement": "numeric",
            "Horsepower": "numeric",
            "Weight": "numeric",
            "Acceleration": "numeric",
            "Model Year": "numeric",
            "Origin": "categorical",
            "Car Name": "text",
        },
    ),
    "college_scorecard": (
        "EARN_MDN_5YR",
        "regression",
        {
            "UNITID": "identifier",
            "INSTNM": "identifier",
            "CONTROL": "categorical",
            "STABBR": "categorical",
            "CIPCODE": "categorical",
            "CIPDESC": "categorical",
            "CREDLEV": "constant",
            "CREDDESC": "constant",
            "IPEDSCOUNT1": "numeric",
            "IPEDSCOUNT2": "numeric",
            "ADM_RATE_ALL": "numeric",
            "SAT_AVG": "numeric",
            "TUITIONFEE_IN": "numeric",
            "TUITIONFEE_OUT": "numeric",
            "EARN_MDN_1YR": "numeric",
        },
    ),
}


def read_dataset(name: str) -> pd.DataFrame:
    """A reference CSV with every text value stripped and the usual NA markers missing."""
    frame = pd.read_csv(DATASETS / f"{name}.csv.gz", na_values=NA_VALUES, keep_default_na=True)
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype):
            frame[column] = frame[column].str.strip()
    return frame


def hand_schema(name: str, frame: pd.DataFrame, derived: tuple[str, ...] = ()) -> Schema:
    """The schema of ``name`` from its declared roles and the data's categories."""
    target, task, roles = ROLES[name]
    fields = []
    for column, role in roles.items():
        field = Field(name=column, role=role)
        if role in ("categorical", "boolean"):
            counts = canonical_object_series(frame[column]).value_counts()
            field.categories = [str(c) for c in counts.index]
            field.n_unique = len(counts)
            field.dtype = "str"
        fields.append(field)
    return Schema(fields=fields, target=Target(name=target, task=task), derived=list(derived))


@pytest.fixture(scope="session")
def insurance() -> tuple[pd.DataFrame, pd.Series, Schema]:
    frame = read_dataset("insurance")
    return frame.drop(columns="charges"), frame["charges"], hand_schema("insurance", frame)


@pytest.fixture(scope="session")
def auto_mpg() -> tuple[pd.DataFrame, pd.Series, Schema]:
    frame = read_dataset("auto-mpg")
    schema = hand_schema("auto-mpg", frame, ("acc_on_power = Acceleration / Horsepower",))
    return frame.drop(columns="MPG"), frame["MPG"], schema


@pytest.fixture(scope="session")
def college() -> tuple[pd.DataFrame, pd.Series, Schema]:
    frame = read_dataset("college_scorecard")
    frame = frame[frame["EARN_MDN_5YR"].notna()].reset_index(drop=True)
    schema = hand_schema("college_scorecard", frame)
    return frame.drop(columns="EARN_MDN_5YR"), frame["EARN_MDN_5YR"], schema
