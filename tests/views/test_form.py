"""The form generated from a schema inferred from the real reference datasets."""

from __future__ import annotations

import pytest

from tabship.data import infer_schema, read_table
from tabship.views import (
    errors_by_field,
    form_fields,
    humanize,
    metric_caption,
    record_from_form,
    sort_options,
    value_text,
)
from tests.conftest import dataset_path


@pytest.fixture(scope="module")
def drug_schema():
    return infer_schema(read_table(dataset_path("drug200.csv")), "Drug")


@pytest.fixture(scope="module")
def insurance_schema():
    return infer_schema(read_table(dataset_path("insurance.csv")), "charges")


@pytest.mark.parametrize(
    ("name", "label"),
    [("Na_to_K", "Na to K"), ("age", "Age"), ("EARN_MDN_5YR", "EARN MDN 5YR"), ("a-b.c", "A b c")],
)
def test_humanize_turns_column_names_into_labels(name: str, label: str) -> None:
    assert humanize(name) == label


def test_sort_options_numbers_numerically_words_alphabetically() -> None:
    assert sort_options(["10", "9", "1.5"]) == ["1.5", "9", "10"]
    assert sort_options(["NORMAL", "HIGH", "low"]) == ["HIGH", "low", "NORMAL"]


@pytest.mark.parametrize(
    ("value", "text"), [(45, "45"), (13.9365, "13.9365"), (3.0, "3"), (None, ""), ("F", "F")]
)
def test_value_text(value: object, text: str) -> None:
    assert value_text(value) == text


def test_first_visit_is_filled_with_the_example_record(drug_schema) -> None:
    fields = {f.name: f for f in form_fields(drug_schema)}
    assert list(fields) == ["Age", "Sex", "BP", "Cholesterol", "Na_to_K"]
    age, bp, ratio = fields["Age"], fields["BP"], fields["Na_to_K"]
    assert (age.kind, age.minimum, age.maximum, age.step, age.value) == (
        "number",
        "15",
        "74",
        "1",
        "23",
    )
    assert (ratio.step, ratio.value, ratio.label) == ("any", "25.355", "Na to K")
    assert ratio.show_name and not age.show_name
    assert (bp.kind, bp.options, bp.value) == ("select", ["HIGH", "LOW", "NORMAL"], "HIGH")
    assert all(f.required for f in fields.values())
    assert age.described_by == f"{age.id}-hint"


def test_posted_values_and_errors_are_kept(insurance_schema) -> None:
    typed = {"age": "abc", "sex": "FEMALE", "region": "mars"}
    fields = {f.name: f for f in form_fields(insurance_schema, typed, {"age": "bad age"})}
    assert fields["age"].value == "abc" and fields["age"].error == "bad age"
    assert fields["age"].described_by.split() == [
        f"{fields['age'].id}-hint",
        f"{fields['age'].id}-error",
    ]
    assert fields["sex"].value == "female"  # matched to its option after case-folding
    assert fields["region"].value == "mars"  # kept, shown as a value not seen in training
    assert fields["bmi"].value == ""


def test_record_from_form_leaves_empty_boxes_out(insurance_schema) -> None:
    typed, record = record_from_form(
        {"age": " 30 ", "sex": "", "smoker": "yes", "junk": "x"}, insurance_schema
    )
    assert record == {"age": "30", "smoker": "yes"}
    assert typed["sex"] == "" and "junk" not in typed


def test_errors_are_keyed_by_the_field_they_name() -> None:
    errors = [
        {"loc": ["age"], "msg": "Age is wrong."},
        {"loc": [0, "age"], "msg": "Still wrong."},
        {"loc": [], "msg": "The input holds no fields."},
    ]
    by_field, general = errors_by_field(errors, ["age", "sex"])
    assert by_field == {"age": "Age is wrong. Still wrong."}
    assert general == ["The input holds no fields."]


def test_metric_caption_names_the_test_score_and_rows() -> None:
    regression = {"holdout": {"r2": 0.87123, "rmse": 4000.0}, "n_test": 268}
    assert metric_caption(regression, "regression") == "Test R²: 0.871 on 268 held-out rows"
    assert metric_caption({"holdout": {"accuracy": 0.975}}, "multiclass") == "Test accuracy: 0.975"
    assert metric_caption({}, "binary") == ""


def test_optional_fields_say_what_an_empty_box_becomes() -> None:
    schema = infer_schema(read_table(dataset_path("auto-mpg.csv")), "MPG")
    fields = {f.name: f for f in form_fields(schema, {"Horsepower": ""})}
    car = fields["Car Name"]  # free text feeds the model by its words: a text box
    assert (car.kind, car.maxlength, car.required) == ("text", 10_000, True)
    assert car.hint == "Free text; the model reads its words"
    power = fields["Horsepower"]
    assert not power.required and power.value == ""
    assert power.hint.endswith("Left empty, it counts as 94.")
    assert fields["Cylinders"].options == ["3", "4", "5", "6", "8"]
    assert fields["Model Year"].label == "Model Year" and not fields["Model Year"].show_name
