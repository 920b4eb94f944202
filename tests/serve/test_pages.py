"""The HTML pages over real HTTP: the form, the result page, errors, escaping, assets.

Every test talks to a real ``tabship serve`` process (``live_server``) for a model
trained from a reference dataset, and reads the HTML with the standard library parser.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.integration

EVIL = "<script>alert(1)</script>"
EVIL_CLASS = "<b>approved</b>"


class Page(HTMLParser):
    """The parts of a page the tests look at: controls, labels, ids, links, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, Any]] = {}
        self.labels: set[str] = set()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.svgs = 0
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        self.links += [a[k] for k in ("href", "src", "action") if k in a]
        if tag == "label" and "for" in a:
            self.labels.add(a["for"])
        elif tag == "svg":
            self.svgs += 1
        elif tag == "input" and "name" in a:
            self.controls[a["name"]] = {"tag": "input", **a}
        elif tag == "select":
            self._select = {"tag": "select", "options": [], "selected": None, **a}
            self.controls[a["name"]] = self._select
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value", ""), "text": ""}
            if "selected" in a:
                self._select["selected"] = self._option["value"]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            self._select["options"].append(self._option["value"])
            self._option = None
        elif tag == "select":
            self._select = None


def text_of(html: str) -> str:
    """The visible text of a page, tags removed, whitespace collapsed (entities kept)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def drug(trained_model, live_server) -> str:
    return live_server(trained_model("drug200"))


@pytest.fixture(scope="module")
def insurance(trained_model, live_server) -> str:
    return live_server(trained_model("insurance"))


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory, live_server) -> str:
    """A model whose data has a category and a class that are HTML."""
    import tabship

    rng = np.random.default_rng(0)
    n = 240
    colour = rng.choice(["red", "blue", EVIL], size=n)
    size = rng.normal(10, 3, size=n).round(2)
    approved = (colour == "red") | (size > 11)
    frame = pd.DataFrame(
        {"colour": colour, "size": size, "label": np.where(approved, EVIL_CLASS, "denied")}
    )
    run = tabship.train(frame, "label", time_budget=3)
    path = run.save(Path(tmp_path_factory.mktemp("evil")) / "evil", force=True)
    return live_server(path)


def get_form(base: str) -> tuple[httpx.Response, Page]:
    response = httpx.get(f"{base}/", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response, Page(response.text)


def post_form(base: str, data: dict[str, str]) -> tuple[httpx.Response, Page]:
    response = httpx.post(f"{base}/", data=data, timeout=60)
    assert response.headers["content-type"].startswith("text/html")
    return response, Page(response.text)


def test_drug_form_has_selects_number_ranges_example_and_metric(drug: str) -> None:
    response, page = get_form(drug)
    c = page.controls
    assert set(c) == {"Age", "Sex", "BP", "Cholesterol", "Na_to_K"}
    assert (c["Sex"]["tag"], c["Sex"]["options"], c["Sex"]["selected"]) == (
        "select",
        ["F", "M"],
        "F",
    )
    assert c["BP"]["options"] == ["HIGH", "LOW", "NORMAL"] and c["BP"]["selected"] == "HIGH"
    assert c["Cholesterol"]["options"] == ["HIGH", "NORMAL"]
    age, ratio = c["Age"], c["Na_to_K"]
    assert (age["type"], age["min"], age["max"], age["step"], age["value"]) == (
        "number",
        "15",
        "74",
        "1",
        "23",
    )
    assert (ratio["min"], ratio["max"], ratio["step"], ratio["value"]) == (
        "6.269",
        "38.247",
        "any",
        "25.355",
    )
    html = response.text
    assert "<title>Predict Drug" in html
    assert re.search(r"Test accuracy: [01]\.\d+ on \d+ held-out rows", html)
    assert "Na to K" in html and "Na_to_K" in html


def test_every_control_has_a_label_and_its_hints_exist(drug: str, insurance: str) -> None:
    for base in (drug, insurance):
        response, page = get_form(base)
        ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', response.text)
        assert ids and set(ids) <= page.labels
        described = re.findall(r'aria-describedby="([^"]+)"', response.text)
        assert described and all(set(d.split()) <= page.ids for d in described)
        assert 'name="viewport"' in response.text


def test_insurance_form_shows_r2_and_sorted_choices(insurance: str) -> None:
    response, page = get_form(insurance)
    c = page.controls
    assert c["smoker"]["options"] == ["no", "yes"]
    assert c["region"]["options"] == ["northeast", "northwest", "southeast", "southwest"]
    assert (c["age"]["min"], c["age"]["max"], c["children"]["step"]) == ("18", "64", "1")
    assert (c["bmi"]["min"], c["bmi"]["max"], c["bmi"]["step"]) == ("15.96", "53.13", "any")
    assert re.search(r"Test R²: -?[0-9.]+ on \d+ held-out rows", response.text)


def test_result_page_for_a_classifier(drug: str) -> None:
    typed = {"Age": "60", "Sex": "f", "BP": "low", "Cholesterol": "high", "Na_to_K": "20"}
    response, page = post_form(drug, typed)
    assert response.status_code == 200, response.text
    html = response.text
    assert re.search(r'id="prediction">drugY<', html)
    assert re.search(r"Probability (&gt;|&lt;)?\d+\.\d%", html)
    assert 'id="probabilities"' in html and 'id="distribution"' in html
    assert 'id="contributions"' in html and page.svgs == 3
    # the inputs as the model read them: canonical spellings
    assert re.search(r'<td class="value">HIGH</td>', html)
    assert re.search(r'<td class="value">LOW</td>', html)
    # and the form again, refilled with what the model read
    assert page.controls["BP"]["selected"] == "LOW"
    assert page.controls["Sex"]["selected"] == "F"
    assert page.controls["Na_to_K"]["value"] == "20"


@pytest.mark.parametrize(
    ("record", "drug_name"),
    [
        ({"Age": "47", "Sex": "M", "BP": "LOW", "Cholesterol": "HIGH", "Na_to_K": "10"}, "drugC"),
        ({"Age": "30", "Sex": "F", "BP": "HIGH", "Cholesterol": "NORMAL", "Na_to_K": "9"}, "drugA"),
    ],
)
def test_tutorial_acceptance_cases(drug: str, record: dict[str, str], drug_name: str) -> None:
    response, _ = post_form(drug, record)
    assert re.search(rf'id="prediction">{drug_name}<', response.text)


def test_result_page_for_a_regression_with_a_warning(insurance: str) -> None:
    typed = {
        "age": "90",
        "sex": "Female",
        "bmi": "27.9",
        "children": "0",
        "smoker": "yes",
        "region": "southwest",
    }
    response, page = post_form(insurance, typed)
    assert response.status_code == 200, response.text
    html = response.text
    prediction = re.search(r'id="prediction">([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", prediction)
    assert 'class="marker"' in html and "This prediction: " in html
    assert "bar-up" in html or "bar-down" in html
    assert "outside the range seen in training" in html
    assert "Check these inputs" in html
    assert page.controls["sex"]["selected"] == "female"
    assert page.controls["age"]["value"] == "90"


def test_invalid_form_comes_back_422_with_messages_next_to_fields(insurance: str) -> None:
    typed = {"age": "abc", "sex": "", "bmi": "NaN", "children": "1", "smoker": "maybe"}
    response, page = post_form(insurance, typed)
    assert response.status_code == 422
    html = response.text
    assert "Some inputs need a change" in html
    messages = dict(re.findall(r'<p class="error" id="(field-\d+)-error">([^<]+)</p>', html))
    by_name = {
        name: html_lib.unescape(messages[control["id"]]) if control["id"] in messages else None
        for name, control in page.controls.items()
    }
    assert "'age'" in by_name["age"] and "number" in by_name["age"]
    assert "'sex'" in by_name["sex"] and "required" in by_name["sex"]
    assert "'bmi'" in by_name["bmi"]
    assert "'region'" in by_name["region"]
    assert by_name["children"] is None
    assert page.controls["age"]["value"] == "abc"  # what the user typed is kept
    assert page.controls["children"]["value"] == "1"
    assert 'aria-invalid="true"' in html


def test_html_in_the_data_renders_as_text(evil: str) -> None:
    response, page = get_form(evil)
    assert EVIL not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert EVIL in page.controls["colour"]["options"]  # the option's value, once parsed
    response, page = post_form(evil, {"colour": EVIL, "size": "12"})
    assert response.status_code == 200, response.text
    assert EVIL not in response.text and EVIL_CLASS not in response.text
    assert "&lt;b&gt;approved&lt;/b&gt;" in response.text
    assert page.controls["colour"]["selected"] == EVIL
    response, _ = post_form(evil, {"colour": "<i>new</i>", "size": "x"})
    assert response.status_code == 422 and "<i>new</i>" not in response.text


def test_pages_and_assets_link_nowhere_outside(drug: str, insurance: str) -> None:
    bodies = []
    for base in (drug, insurance):
        bodies.append(get_form(base)[0].text)
        record = {k: v["value"] for k, v in get_form(base)[1].controls.items() if "value" in v}
        bodies.append(post_form(base, record)[0].text)
        bodies.append(post_form(base, {})[0].text)
    page = Page(bodies[0])
    assets = [link for link in page.links if link.startswith("/static/")]
    assert "/static/tabship.css" in assets
    for asset in assets:
        response = httpx.get(f"{drug}{asset}", timeout=10)
        assert response.status_code == 200
        bodies.append(response.text)
    for body in bodies:
        assert "http://" not in body and "https://" not in body
        assert not re.search(r"url\(|@import", body)  # no fonts or images fetched by CSS
    for body in bodies[:6]:
        links = Page(body).links
        assert links and all(link.startswith("/") and not link.startswith("//") for link in links)


def test_stylesheet_is_served_as_css(drug: str) -> None:
    response = httpx.get(f"{drug}/static/tabship.css", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media (max-width: 600px)" in response.text


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"Age": 60}', "application/json", 422),
        (bytes(range(256)), "application/x-www-form-urlencoded", 422),
        (b"Age=%ff%fe&Sex=%00", "application/x-www-form-urlencoded", 422),
        (
            b"Age=60&Sex=F&BP=HIGH&Cholesterol=HIGH&Na_to_K=1e400",
            "application/x-www-form-urlencoded",
            422,
        ),
        (b"garbage", "multipart/form-data; boundary=xx", 400),
    ],
)
def test_odd_form_bodies_get_a_4xx_never_a_500(
    drug: str, content: bytes, content_type: str, status: int
) -> None:
    response = httpx.post(
        f"{drug}/", content=content, headers={"content-type": content_type}, timeout=30
    )
    assert response.status_code == status, response.text


def test_multipart_form_posts_work_too(drug: str) -> None:
    fields = {"Age": "60", "Sex": "F", "BP": "HIGH", "Cholesterol": "HIGH", "Na_to_K": "20"}
    response = httpx.post(f"{drug}/", files={k: (None, v) for k, v in fields.items()}, timeout=30)
    assert response.status_code == 200
    assert re.search(r'id="prediction">drugY<', response.text)
