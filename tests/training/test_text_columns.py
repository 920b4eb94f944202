"""Free-text columns count: a title inside a name lifts the model, end to end.

The synthetic table (``tests/_titled.py``) carries its signal in the title of ``name``
and the prefix of ``ticket``; a weak number is the only other signal. The text role
must beat the same table without those columns, survive saving (pipeline and scoring
plan), get explained, and be served as a string field and a text box.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import httpx
import pytest

import tabship
from tabship import runtime
from tabship.data import MAX_TEXT_LENGTH
from tabship.plan import PLAN_FILE
from tests._titled import titled_people, unique_codes

BUDGET = 3  # seconds: a short search still finds the words
LIFT = 0.10  # accuracy; measured 0.20-0.28 over seeds 0-2 (0.73-0.80 against 0.50-0.53)
# A short budget may keep the split's model instead of refitting: said by a warning.
pytestmark = pytest.mark.filterwarnings("ignore::tabship.errors.TabshipWarning")
RECORD = {"name": "Smith, Mrs. Anna Lucy", "ticket": "PC 17599", "x1": 0.1, "x2": -0.3}


def accuracy(frame, seed: int) -> float:
    run = tabship.train(frame, "survived", time_budget=BUDGET, seed=seed, n_jobs=1)
    return float(run.metrics["holdout"]["accuracy"])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_words_of_a_name_lift_the_metric(seed):
    people = titled_people(1000, seed=seed)
    with_text = accuracy(people, seed)
    without = accuracy(people.drop(columns=["name", "ticket"]), seed)
    assert with_text >= without + LIFT, (with_text, without)


@pytest.fixture(scope="module")
def titled_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    people = titled_people(1000).assign(code=unique_codes(1000))
    run = tabship.train(people, "survived", time_budget=BUDGET, seed=0, n_jobs=1)
    return run.save(tmp_path_factory.mktemp("titled") / "model")


def test_text_fields_feed_the_saved_model_and_codes_do_not(titled_model):
    model = runtime.load(titled_model)
    roles = {f.name: f.role for f in model.schema.fields}
    assert roles == {"name": "text", "ticket": "text", "x1": "numeric", "x2": "numeric",
                     "code": "identifier"}  # fmt: skip
    assert PLAN_FILE in model.manifest["files"]  # the words are in the scoring plan
    plan = json.loads(model.artifact.extra_files[PLAN_FILE])
    assert '"op": "tokens"' in json.dumps(plan)
    mrs = model.predict_proba([RECORD])["yes"].iloc[0]
    mr = model.predict_proba([{**RECORD, "name": "Smith, Mr. Anna Lucy"}])["yes"].iloc[0]
    assert mrs > mr  # the title carries the signal


def test_a_text_field_gets_a_contribution(titled_model):
    model = runtime.load(titled_model)
    scored = model.score(RECORD, explain=True)
    contributions = {c["feature"]: c["contribution"] for c in scored.explanations[0]}
    assert set(contributions) == {"name", "ticket", "x1", "x2"}
    assert contributions["name"] > 0  # "Mrs" leans to "yes"
    assert abs(contributions["name"]) == max(abs(v) for v in contributions.values())


@pytest.mark.integration
def test_served_text_is_a_string_field_and_a_text_box(titled_model, live_server):
    url = live_server(titled_model)
    record = httpx.get(f"{url}/openapi.json").json()["components"]["schemas"]["Record"]
    name = record["properties"]["name"]
    assert name["type"] == "string" and "Free text" in name["description"]
    assert "name" in record["required"] and "ticket" not in record["required"]
    page = html.unescape(httpx.get(f"{url}/").text)
    box = re.search(r'<input id="[^"]+" name="name" type="text"[^>]*>', page)
    assert box and f'maxlength="{MAX_TEXT_LENGTH}"' in box.group(0)
    answer = httpx.post(f"{url}/predict", params={"explain": "true"}, json=RECORD)
    assert answer.status_code == 200, answer.text
    assert {c["feature"] for c in answer.json()["explanations"][0]} >= {"name", "ticket"}
    long = httpx.post(f"{url}/predict", json={**RECORD, "name": "a" * (MAX_TEXT_LENGTH + 1)})
    assert long.status_code == 422
    assert "at most 10,000 characters" in long.json()["detail"][0]["msg"]
