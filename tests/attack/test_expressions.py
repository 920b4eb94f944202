"""Derived-column expressions are parsed with ``ast`` and never executed as Python.

They reach tabship from the command line (``--derive``) and from a saved model's
``plan.json``, which a crafted model can hold with its sha256 updated in the manifest
(such a plan cannot be opened, so the model runs one compiled from its pipeline).
Code (imports, attribute access, lambdas, comprehensions, calls of anything but the
numeric functions) is refused by every entry; arithmetic that would take forever or
overflow in Python integers (``10**10**10``) is computed on float64 and ends as NaN.
A sentinel file proves nothing ran.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest

import tabship
from tabship.data import evaluate_derived, parse_derived
from tabship.errors import DerivedColumnError
from tabship.plan import DeriveStep, PlanError, VotingNode
from tabship.runtime import open_plan
from tests._cli import error_lines, run_tabship
from tests._servers import dataset_file
from tests.serve._monitored import start_server

pytestmark = pytest.mark.attack

# {sentinel} becomes a path in the test's tmp_path; nothing may ever create it.
CODE = {
    "import": "x = __import__('os').system('touch {sentinel}')",
    "attribute": "x = bmi.__class__.__base__",
    "dunder name": "x = __builtins__",
    "lambda": "x = (lambda: __import__('os').system('touch {sentinel}'))()",
    "list comprehension": "x = [open('{sentinel}', 'w') for _ in [1]]",
    "generator": "x = log(sum(open('{sentinel}', 'w') for _ in [1]))",
    "dict comprehension": "x = {{k: 1 for k in bmi}}",
    "eval": "x = eval(\"open('{sentinel}', 'w')\")",
    "exec in a function": "x = log(exec(\"open('{sentinel}', 'w')\"))",
    "open": "x = open('{sentinel}', 'w')",
    "a call on a call": "x = log(bmi)(1)",
    "keyword": "x = log(bmi, out=bmi)",
    "string": "x = 'text'",
    "f-string": "x = f'{{bmi}}'",
    "subscript": "x = bmi[0]",
    "walrus": "x = (y := 1)",
    "comparison": "x = bmi > 1",
    "boolean": "x = True",
    "shift": "x = 1 << 10**10",
    "floor division": "x = bmi // 0",
    "matmul": "x = bmi @ bmi",
    "second statement": "x = 1; import os",
    "yield": "x = (yield)",
    "await": "x = await bmi",
    "starred": "x = log(*bmi)",
    "huge literal": "x = 1" + "0" * 400,
    "too long": "x = " + "bmi + " * 200 + "1",
}
# Refused (DerivedColumnError) or computed on float64; never a hang or a Python int blow-up.
HEAVY = {
    "power tower": "x = 10**10**10",
    "taller tower": "x = 9**9**9**9",
    "power of a column": "x = bmi ** 10**400",
    "exp of exp": "x = exp(exp(exp(exp(bmi))))",
    "chained powers": "x = " + "**".join(["bmi"] * 200),
    "deep unary": "x = " + "-" * 990 + "bmi",
    "deep parentheses": "x = " + "(" * 150 + "bmi" + ")" * 150,
    "division by zero": "x = bmi / 0",
    "log of a negative": "x = log(-bmi) + sqrt(-bmi)",
}
ENTRY_CASES = ["import", "lambda", "list comprehension", "attribute"]


@pytest.fixture
def sentinel(tmp_path: Path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "an expression ran code"


def code(name: str, sentinel: Path) -> str:
    return CODE[name].format(sentinel=sentinel)


@pytest.mark.parametrize("name", sorted(CODE))
def test_code_in_an_expression_is_refused(name: str, sentinel: Path) -> None:
    with pytest.raises(DerivedColumnError):
        parse_derived(code(name, sentinel))


@pytest.mark.timeout(60)  # a runaway guard: a hang fails here instead of at the suite's end
@pytest.mark.parametrize("name", sorted(HEAVY))
def test_heavy_arithmetic_is_refused_or_bounded(name: str) -> None:
    bmi = np.array([-1.0, 0.0, 0.5, 27.9, 53.1])
    try:
        column, tree = parse_derived(HEAVY[name])
    except DerivedColumnError:
        return
    values = evaluate_derived(tree, {"bmi": bmi}, len(bmi))
    assert column == "x" and values.dtype == np.float64 and values.shape == bmi.shape
    assert not np.isinf(values).any()  # overflow ends as NaN, which the imputers handle


@pytest.mark.integration
def test_tabship_train_refuses_the_expression_before_training(sentinel, tmp_path) -> None:
    result = run_tabship(
        "train", str(dataset_file("insurance")), "--target", "charges",
        "--derive", code("import", sentinel), "--output", str(tmp_path / "model"),
    )  # fmt: skip
    assert result.returncode != 0
    [line] = error_lines(result)
    assert "not allowed" in line or "starts with '__'" in line, line
    assert not (tmp_path / "model").exists()


# --- a saved model whose plan.json was rewritten, with the manifest's hash to match ---------


def pipeline_nodes(node: dict) -> list[dict]:
    """The plan's pipeline nodes: the root itself, or the members of a voting root."""
    if node["kind"] == "voting":
        return [leaf for member in node["members"] for leaf in pipeline_nodes(member)]
    return [node]


def with_derive_step(model: Path, out: Path, expression: str) -> Path:
    """A copy of ``model`` whose plan computes ``expression`` first, hashes updated."""
    folder = out / "crafted"
    shutil.copytree(model, folder)
    plan_file = folder / "plan.json"
    plan = json.loads(plan_file.read_text())
    for node in pipeline_nodes(plan["root"]):  # the root, or each member of an ensemble
        node["steps"].insert(1, {"op": "derive", "expressions": [expression]})
    plan_file.write_text(json.dumps(plan))
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["files"]["plan.json"] = hashlib.sha256(plan_file.read_bytes()).hexdigest()
    if "sizes" in manifest:
        manifest["sizes"]["plan.json"] = plan_file.stat().st_size
    manifest_file.write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    return [
        {"age": 19, "sex": "female", "bmi": 27.9, "children": 0, "smoker": "yes", "region": "x"},
        {"age": 64, "sex": "male", "bmi": 53.1, "children": 5, "smoker": "no", "region": "x"},
    ]


def derive_steps(model: tabship.Model) -> list[DeriveStep]:
    """The derive steps of the plan ``model`` runs."""
    assert model.plan is not None
    nodes, steps = [model.plan.spec.root], []
    while nodes:  # the root, or each member of an ensemble (as with_derive_step wrote them)
        node = nodes.pop(0)
        if isinstance(node, VotingNode):
            nodes.extend(node.members)
        else:
            steps += [s for s in node.steps if isinstance(s, DeriveStep)]
    return steps


def test_a_crafted_plan_with_plain_arithmetic_runs_it(insurance, tmp_path, records):
    """The control: the crafting is sound, so what differs below is the expression's doing."""
    folder = with_derive_step(insurance, tmp_path, "x = bmi * 2 + 10**10**10")
    model = tabship.load(folder, lean=True)
    # one step per pipeline node (one, or one per member of an ensemble), each the same
    assert {tuple(s.expressions) for s in derive_steps(model)} == {("x = bmi * 2 + 10**10**10",)}
    expected = tabship.load(insurance, lean=True).predict(records)
    np.testing.assert_array_equal(model.predict(records), expected)


@pytest.mark.parametrize("name", ENTRY_CASES)
def test_a_crafted_plan_with_code_is_never_run(insurance, tmp_path, sentinel, records, name):
    """The plan cannot be opened; the model runs a plan compiled from its pipeline."""
    folder = with_derive_step(insurance, tmp_path, code(name, sentinel))
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    with pytest.raises(PlanError, match="not allowed|starts with '__'"):
        open_plan(files)
    model = tabship.load(folder, lean=True)
    assert derive_steps(model) == []
    expected = tabship.load(insurance, lean=True).predict(records)
    np.testing.assert_array_equal(model.predict(records), expected)


@pytest.mark.integration
def test_a_server_of_a_crafted_plan_with_code_never_runs_it(insurance, tmp_path, sentinel, records):
    folder = with_derive_step(insurance, tmp_path, code("import", sentinel))
    with start_server(folder, tmp_path) as server:
        answer = httpx.post(f"{server.url}/predict", json=records, timeout=60)
    assert answer.status_code == 200, answer.text
    expected = tabship.load(insurance, lean=True).predict(records)
    np.testing.assert_array_equal(answer.json()["predictions"], expected)
