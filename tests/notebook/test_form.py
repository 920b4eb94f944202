"""The notebook form: built from the schema, driven programmatically, local and remote."""

from __future__ import annotations

import html

import pytest

pytest.importorskip("ipywidgets")

import ipywidgets as widgets  # noqa: E402

import tabship  # noqa: E402
from tabship.errors import RemoteError  # noqa: E402
from tabship.notebook import PredictionForm, form  # noqa: E402
from tabship.views import format_number, format_percent  # noqa: E402
from tests._servers import free_port  # noqa: E402

pytestmark = pytest.mark.slow  # trains the drug200 and insurance models once per session

DRUG = {"Age": 61, "Sex": "M", "BP": "LOW", "Cholesterol": "NORMAL", "Na_to_K": 9.5}
INSURANCE = {
    "age": 52,
    "sex": "female",
    "bmi": 31.5,
    "children": 2,
    "smoker": "no",
    "region": "northwest",
}


def fill(prediction_form: PredictionForm, record: dict) -> None:
    for name, value in record.items():
        prediction_form.inputs[name].value = value


def shown_prediction(prediction_form: PredictionForm) -> str:
    text = prediction_form.result.value
    start = text.index("<span class='prediction'>") + len("<span class='prediction'>")
    return html.unescape(text[start : text.index("</span>", start)])


def test_drug200_form_has_widgets_from_the_schema(trained_model):
    model = tabship.load(trained_model("drug200"))
    built = form(model)
    assert isinstance(built, widgets.VBox)
    assert list(built.inputs) == [f.name for f in model.schema.feature_fields]
    assert isinstance(built.inputs["Sex"], widgets.Dropdown)
    assert list(built.inputs["BP"].options) == model.schema.field("BP").categories
    age, ratio = built.inputs["Age"], built.inputs["Na_to_K"]
    assert isinstance(age, widgets.BoundedIntText)
    assert isinstance(ratio, widgets.BoundedFloatText)
    field = model.schema.field("Age")
    assert age.min < field.minimum and age.max > field.maximum  # widened, and said so
    age.value = 10_000
    assert age.value == age.max
    assert built.button in built.children and built.result in built.children


def test_drug200_button_shows_the_prediction_and_probabilities(trained_model):
    model = tabship.load(trained_model("drug200"))
    built = form(trained_model("drug200"))
    fill(built, DRUG)
    assert built.result.value == ""
    built.button.click()
    expected = model.score([DRUG])
    label = expected.predictions[0]
    assert shown_prediction(built) == label
    shown = built.result.value
    assert "Probability of each class" in shown
    assert html.escape(format_percent(expected.probabilities[0][label])) in shown
    assert "How common each class was in training" in shown


def test_insurance_button_shows_the_prediction_and_where_it_sits(trained_model):
    model = tabship.load(trained_model("insurance"))
    built = form(model)
    fill(built, INSURANCE)
    built.button.click()
    expected = float(model.predict([INSURANCE])[0])
    assert shown_prediction(built) == format_number(expected)
    assert "Where this prediction sits among the training charges values" in built.result.value
    assert "This prediction: " + format_number(expected) in built.result.value


def test_live_form_updates_as_values_change(trained_model):
    model = tabship.load(trained_model("insurance"))
    built = form(model, live=True)
    fill(built, INSURANCE)
    first = shown_prediction(built)
    built.inputs["smoker"].value = "yes"
    changed = {**INSURANCE, "smoker": "yes"}
    assert shown_prediction(built) == format_number(float(model.predict([changed])[0]))
    assert shown_prediction(built) != first


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "record", "chart"),
    [
        ("insurance", INSURANCE, "Where this prediction sits among the training charges"),
        ("drug200", DRUG, "How common each class was in training"),
    ],
)
def test_form_against_a_live_server(trained_model, live_server, name, record, chart):
    path = trained_model(name)
    built = form(live_server(path))
    fill(built, record)
    built.button.click()
    expected = tabship.load(path).predict([record])[0]
    if isinstance(expected, str):
        assert shown_prediction(built) == expected
    else:
        assert shown_prediction(built) == format_number(float(expected))
    if chart:
        assert chart in built.result.value


def test_form_for_an_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteError, match="cannot be reached"):
        form(url, timeout=2)


def test_form_state_embeds_as_standalone_html(trained_model, tmp_path):
    """What Voila and nbconvert do with a widget: serialize its state to a page."""
    from ipywidgets.embed import embed_minimal_html

    built = form(trained_model("drug200"))
    fill(built, DRUG)
    built.button.click()
    page = tmp_path / "form.html"
    embed_minimal_html(page, views=[built], title="drug200")
    text = page.read_text()
    assert '"description": "Predict"' in text or '"description":"Predict"' in text
    assert "Probability of each class" in text


def test_the_notebook_form_does_not_import_the_web_server():
    import subprocess
    import sys

    code = "import sys, tabship.notebook\nassert 'fastapi' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
