"""Markup in the data never runs in any page: categories, column names and class labels
that are HTML and JavaScript, through /, the result page, the form with errors,
/monitor and /docs.

A model is trained on a table whose names and values are payloads that set
``window.__pwned`` (each to its own tag, so a failure says which one ran) or open a
dialog. A real Chromium loads every page; the payloads must stay text: the variable stays
undefined, no dialog opens, and the raw HTML holds no payload unescaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.attack, pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]


def payloads(where: str) -> list[str]:
    """Markup in the contexts a page could put it: element text, attributes, templates."""
    tag = f"window.__pwned='{where}'"
    return [
        f"<script>{tag}</script>",
        f"<img src=x onerror={tag}>",
        f"'><svg onload={tag}>",
        f"</textarea></title></option><script>{tag}</script>",
        f'<iframe srcdoc="<script>parent.{tag}</script>">',
        "{{7*7}}${7*7}<%= 7*7 %>",
    ]


CATEGORY = "<script>window.__pwned='column'</script>"
NUMBER = "<img src=x onerror=window.__pwned='number'>"
CODE = "'><svg onload=window.__pwned='code'>"
QUOTED = '"><img src=x onerror=window.__pwned=\'quoted\'>{"a": 1, "b": 2}'
CATEGORIES = [*payloads("category"), "plain"]
PWNED_CLASS = "<img src=x onerror=window.__pwned='class'>"
UNSEEN = "<script>window.__pwned='unseen'</script>"
EVERY_PAYLOAD = [CATEGORY, NUMBER, CODE, QUOTED, PWNED_CLASS, UNSEEN, *payloads("category")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, live_server) -> str:
    """A server with a prediction log, for a model whose data is made of payloads."""
    import tabship

    rng = np.random.default_rng(0)
    n = 300
    category = rng.choice(CATEGORIES, size=n)
    number = rng.normal(10, 3, size=n).round(2)
    label = np.where((category == "plain") | (number > 11), PWNED_CLASS, "denied")
    frame = pd.DataFrame(
        {CATEGORY: category, NUMBER: number, CODE: rng.integers(0, 5, n), "label": label}
    )
    frame[QUOTED] = rng.normal(0, 1, size=n).round(3)
    folder = Path(tmp_path_factory.mktemp("markup"))
    run = tabship.train(frame, "label", time_budget=4)
    model = run.save(folder / "markup", force=True)
    return live_server(model, "--log", f"sqlite:///{folder / 'log.db'}")


@pytest.fixture(scope="module")
def logged(server: str) -> str:
    """Predictions with every payload category (and one unseen) logged, with feedback."""
    records = [{CATEGORY: c, NUMBER: 12.5, CODE: "1", QUOTED: 0.5} for c in [*CATEGORIES, UNSEEN]]
    answer = httpx.post(f"{server}/predict", json=records, timeout=60)
    assert answer.status_code == 200, answer.text
    feedback = [{"id": i, "actual": PWNED_CLASS} for i in answer.json()["ids"]]
    assert httpx.post(f"{server}/feedback", json=feedback, timeout=60).status_code == 200
    return server


class Watched:
    """A page whose dialogs are recorded (and dismissed) and whose payloads are checked."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_nothing_ran(self) -> None:
        self.page.wait_for_load_state("load")
        assert self.page.evaluate("typeof window.__pwned") == "undefined", self.page.evaluate(
            "window.__pwned"
        )
        assert not self.dialogs

    def post(self, url: str, fields: dict[str, str]) -> None:
        """Post ``fields`` as a form from this page, as any other site could."""
        self.page.evaluate(
            """([url, fields]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                for (const [name, value] of Object.entries(fields)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                const button = document.createElement("button");
                button.id = "hostile-submit";
                form.appendChild(button);
                document.body.appendChild(form);
            }""",
            [url, fields],
        )
        self.page.locator("#hostile-submit").click()
        self.page.wait_for_load_state("load")


@pytest.fixture
def watched(browser: Any):
    page = Watched(browser)
    yield page
    page.page.close()


def assert_escaped(text: str) -> None:
    for payload in EVERY_PAYLOAD:
        assert payload not in text, payload


def test_the_form_shows_every_payload_as_text(server: str, watched: Watched) -> None:
    watched.page.goto(f"{server}/")
    watched.assert_nothing_ran()
    options = watched.page.locator("select option").all_inner_texts()
    assert set(payloads("category")) <= {o.strip() for o in options}
    assert CATEGORY in watched.page.locator("body").inner_text()  # the column's name, as text
    assert_escaped(httpx.get(f"{server}/").text)


@pytest.mark.parametrize("category", payloads("category"), ids=range(len(payloads("category"))))
def test_the_result_page_for_each_payload_category(
    server: str, watched: Watched, category: str
) -> None:
    watched.page.goto(f"{server}/")
    watched.page.locator("select").first.select_option(value=category)
    watched.page.locator("form button[type=submit]").first.click()
    watched.assert_nothing_ran()
    assert watched.page.locator("svg").count() > 0  # the result page, with its plots
    answer = httpx.post(
        f"{server}/", data={CATEGORY: category, NUMBER: "12", CODE: "1", QUOTED: "0"}
    )
    assert answer.status_code == 200 and "__pwned" in answer.text
    assert_escaped(answer.text)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        (
            {CATEGORY: UNSEEN, NUMBER: "12", CODE: "1", QUOTED: "0"},
            200,
        ),  # a warning quotes the value
        ({CATEGORY: "plain", NUMBER: UNSEEN, CODE: "1", QUOTED: "0"}, 422),  # the error quotes it
        ({CATEGORY: "plain", NUMBER: "12", CODE: UNSEEN, QUOTED: "0"}, 200),
        (
            {CATEGORY: "plain", NUMBER: "12", CODE: "1", QUOTED: "0", UNSEEN: UNSEEN},
            200,
        ),  # unknown field
    ],
    ids=["unseen category", "not a number", "unseen code", "unknown field"],
)
def test_values_typed_into_the_form_are_echoed_as_text(
    server: str, watched: Watched, fields: dict[str, str], status: int
) -> None:
    watched.page.goto(f"{server}/")
    watched.post(f"{server}/", fields)
    watched.assert_nothing_ran()
    answer = httpx.post(f"{server}/", data=fields)
    assert answer.status_code == status
    assert html.escape(UNSEEN, quote=False) in answer.text or "&lt;script&gt;" in answer.text
    assert_escaped(answer.text)


def test_the_monitor_page(logged: str, watched: Watched) -> None:
    watched.page.goto(f"{logged}/monitor?last=100")
    watched.assert_nothing_ran()
    text = httpx.get(f"{logged}/monitor?last=100").text
    assert "__pwned" in text  # the column names are on the page
    assert_escaped(text)
    for query in ("since=<script>window.__pwned=1</script>", "last=<img src=x onerror=alert(1)>"):
        watched.page.goto(f"{logged}/monitor?{query}")
        watched.assert_nothing_ran()
        answer = httpx.get(f"{logged}/monitor", params=dict([query.split("=", 1)]))
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("application/json")


def test_the_api_docs(server: str, watched: Watched) -> None:
    """Swagger UI renders the schema (payload names, categories, examples) from JSON."""
    watched.page.goto(f"{server}/docs")
    summaries = watched.page.locator(".opblock-summary")
    summaries.first.wait_for()
    for i in range(summaries.count()):
        summaries.nth(i).click()
    watched.page.locator(".opblock-body").first.wait_for()
    for tab in watched.page.get_by_text("Schema", exact=True).all():
        tab.click()
    watched.assert_nothing_ran()
    spec = httpx.get(f"{server}/openapi.json")
    assert spec.headers["content-type"].startswith("application/json")
    properties = spec.json()["components"]["schemas"]["Record"]["properties"]
    assert {CATEGORY, NUMBER, CODE, QUOTED} <= set(properties)
