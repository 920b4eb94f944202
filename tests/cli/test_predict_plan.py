"""``tabship predict`` scores from the model's scoring plan, without building the pipeline.

Building the pipeline (skops imports every scikit-learn estimator) took 2 of the 2.1 s
a one-row file needed. The plan gives the same file as the pipeline would, and the
pipeline's types are still audited on the way (tests/attack/test_artifact_audit.py
feeds ``tabship predict`` a poisoned model).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tabship.batch import score_file
from tabship.runtime import load, score_records
from tabship.runtime._scoring import frame_predictor
from tests._cli import run_tabship
from tests.conftest import dataset_path

pytestmark = pytest.mark.integration

# The libraries a one-row file must not import: building the pipeline needs them all.
# pydantic: typer 0.29 builds a TypeAdapter per option on every run (constraints.txt).
HEAVY = ("sklearn", "skops", "scipy", "lightgbm", "pydantic", "rich")  # rich: output is a pipe


class PipelineScorer:
    """A model that predicts through its fitted pipeline, never through its plan."""

    def __init__(self, model_dir: Path) -> None:
        model = load(model_dir)
        self.schema, self.classes = model.schema, model.classes
        self._predict = frame_predictor(model.pipeline, model.schema)

    def score(self, data: Any, *, strict: bool = True, probability_dicts: bool = True) -> Any:
        return score_records(
            self._predict, self.classes, self.schema, data,
            strict=strict, probability_dicts=probability_dicts,
        )  # fmt: skip


# A number field of each dataset, spoiled in two rows (they go to the errors file).
NUMBER_FIELD = {
    "insurance": "age",
    "adult": "age",
    "drug200": "Age",
    "college_scorecard": "SAT_AVG",
}


def some_rows(name: str, path: Path, rows: int = 300) -> Path:
    """The dataset's first rows as a CSV (as read: text), rows 3 and 7 spoiled."""
    frame = pd.read_csv(dataset_path(f"{name}.csv"), dtype=str, keep_default_na=False, nrows=rows)
    if rows > 7:
        frame.loc[[3, 7], NUMBER_FIELD[name]] = "not a value"
    frame.to_csv(path, index=False)
    return path


def scored_frames(output: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    scored = pd.read_csv(output, keep_default_na=False, dtype=str).drop(columns="id")
    errors = pd.read_csv(output.with_name(output.stem + ".errors.csv"), dtype=str)
    return scored, errors


@pytest.mark.parametrize("name", ["insurance", "adult", "drug200", "college_scorecard"])
def test_the_plan_and_the_pipeline_write_the_same_files(name, trained_model, tmp_path):
    model_dir = trained_model(name)
    assert (model_dir / "plan.json").is_file()
    source = some_rows(name, tmp_path / "in.csv")
    planned = tmp_path / "planned.csv"
    result = run_tabship("predict", str(model_dir), str(source), "-o", str(planned), "-q")
    assert result.returncode == 0, result.stderr
    piped = tmp_path / "piped.csv"
    score_file(PipelineScorer(model_dir), source, piped)
    (plan_rows, plan_errors), (pipe_rows, pipe_errors) = (
        scored_frames(planned),
        scored_frames(piped),
    )
    pd.testing.assert_frame_equal(plan_errors, pipe_errors)
    assert list(plan_rows.columns) == list(pipe_rows.columns)
    assert len(plan_rows) == len(pipe_rows) > 0
    numbers = [c for c in plan_rows.columns if c.startswith("probability_")]
    if load(model_dir, lean=True).task == "regression":
        numbers.append("prediction")
    others = [c for c in plan_rows.columns if c not in numbers]
    pd.testing.assert_frame_equal(plan_rows[others], pipe_rows[others])
    np.testing.assert_allclose(
        plan_rows[numbers].astype(float), pipe_rows[numbers].astype(float), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("name", ["insurance", "adult"])
def test_a_one_row_file_is_scored_without_building_the_pipeline(name, trained_model, tmp_path):
    model_dir = trained_model(name)
    source = some_rows(name, tmp_path / "one.csv", rows=1)
    out = tmp_path / "out.csv"
    code = (
        "import sys\n"
        "from tabship.cli import main\n"
        f"sys.argv = ['tabship', 'predict', {str(model_dir)!r}, {str(source)!r}, "
        f"'-o', {str(out)!r}]\n"  # progress lines, to a pipe: rich is not needed"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "from threadpoolctl import threadpool_info\n"
        "blas = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "assert blas == [1], blas  # no OpenBLAS thread spinning beside the scoring\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "scored 1 rows" in result.stderr
    assert len(pd.read_csv(out)) == 1
