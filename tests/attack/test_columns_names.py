"""Any column name a CSV header can hold trains, serves, shows and compiles (issue 10, item 7).

Found: training aborted with "unexpected LightGBMError: Do not support special JSON
characters in feature name" on a header holding ``"``, ``{``, ``}``, ``:`` or ``,``.
Now LightGBM sees positional names (``f0_...``) while the schema, the API, the form,
``/docs`` and the scored files keep the user's names.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests._cli import error_lines, run_tabship

pytestmark = [pytest.mark.attack, pytest.mark.integration]

# JSON characters, brackets, a newline, names LightGBM's space replacement makes equal
# ("a b", "a_b"), unicode, a leading digit, markup, quotes and a backslash.
HEADER = ['a"b', "{x}", "k:v", "c,d", "x[0]", "line\nbreak", "", "   ", "a b", "a_b",
          "ünï cödé 😀", "1st", "<b>bold</b>", "it's", "back\\slash"]  # fmt: skip
# What the schema calls them: an empty or blank header cell becomes column_<position>.
NAMES = [name if name.strip() else f"column_{i + 1}" for i, name in enumerate(HEADER)]
TARGET = 'price {"usd"}'
CATEGORICAL = "{x}"
ROWS = 240


def write_table(path: Path) -> None:
    rng = np.random.default_rng(0)
    columns = [rng.normal(size=ROWS).round(3) for _ in HEADER]
    categories = rng.choice(["p", "q", "r"], ROWS)
    target = 2 * columns[0] + (categories == "p") + rng.normal(size=ROWS) * 0.1
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADER, TARGET])
        for i in range(ROWS):
            row = [
                categories[i] if name == CATEGORICAL else c[i]
                for name, c in zip(HEADER, columns, strict=True)
            ]
            writer.writerow([*row, round(float(target[i]), 3)])


def record() -> dict[str, object]:
    return {name: ("p" if name == CATEGORICAL else 0.5) for name in NAMES}


@pytest.fixture(scope="module")
def nasty(tmp_path_factory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("nasty-names")
    table = folder / "nasty.csv"
    write_table(table)
    model = folder / "model"
    result = run_tabship("train", str(table), "--target", TARGET, "--time-budget", "5",
                         "-o", str(model))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return table, model, result.stderr


@pytest.fixture(scope="module")
def base(nasty, live_server) -> str:
    return live_server(nasty[1])


def test_training_keeps_every_name_and_compiles_a_plan(nasty):
    _, model, stderr = nasty
    assert "Dropped the model family" not in stderr  # no family failed on the names
    import tabship

    loaded = tabship.load(model)
    assert [f.name for f in loaded.schema.feature_fields] == NAMES
    assert loaded.schema.target.name == TARGET
    assert (model / "plan.json").exists()
    assert loaded.plan is not None


def test_predict_takes_the_names_as_keys(base):
    answer = httpx.post(f"{base}/predict?explain=true", json=record(), timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert np.isfinite(body["predictions"][0])
    assert {item["feature"] for item in body["explanations"][0]} == set(NAMES)


def test_the_form_shows_every_name_escaped_and_predicts(base):
    page = httpx.get(f"{base}/", timeout=30).text
    fields = [html.unescape(n) for n in re.findall(r'<(?:input|select)[^>]*\bname="([^"]*)"', page)]
    assert set(NAMES) <= set(fields)
    assert "<b>bold</b>" not in page  # markup in a name is shown, never run
    answer = httpx.post(f"{base}/", data={k: str(v) for k, v in record().items()}, timeout=30)
    assert answer.status_code == 200
    assert 'class="error' not in answer.text


def test_docs_declare_every_name(base):
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    assert list(spec["components"]["schemas"]["Record"]["properties"]) == NAMES
    assert httpx.get(f"{base}/docs", timeout=30).status_code == 200


def test_batch_scoring_keeps_the_names(nasty, tmp_path):
    table, model, _ = nasty
    out = tmp_path / "scored.csv"
    result = run_tabship("predict", str(model), str(table), "-o", str(out))
    assert result.returncode == 0 and not error_lines(result), result.stderr
    with out.open(newline="", encoding="utf-8") as scored:
        header = next(csv.reader(scored))
    assert header[: len(NAMES)] == NAMES
    assert "prediction" in header
