"""Fixtures for the artifact tests: a real fitted pipeline and model folders to damage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tabship import artifact
from tabship.data import Field, Schema, Target
from tests.conftest import dataset_path

CATEGORICAL = ["sex", "smoker", "region"]


@pytest.fixture(scope="session")
def insurance() -> pd.DataFrame:
    return pd.read_csv(dataset_path("insurance.csv"))


@pytest.fixture(scope="session")
def insurance_xy(insurance: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return insurance.drop(columns="charges"), insurance["charges"]


@pytest.fixture(scope="session")
def insurance_schema(insurance: pd.DataFrame) -> Schema:
    fields = [
        Field(c, "categorical", dtype="str", categories=sorted(insurance[c].unique()))
        if c in CATEGORICAL
        else Field(
            c, "numeric", minimum=float(insurance[c].min()), maximum=float(insurance[c].max())
        )
        for c in insurance.columns
        if c != "charges"
    ]
    return Schema(fields=fields, target=Target("charges", "regression"))


@pytest.fixture(scope="session")
def ridge_pipeline(insurance_xy: tuple[pd.DataFrame, pd.Series]) -> Pipeline:
    X, y = insurance_xy
    encode = make_column_transformer((OneHotEncoder(), CATEGORICAL), remainder="passthrough")
    return make_pipeline(encode, Ridge()).fit(X, y)


@pytest.fixture
def save_model(ridge_pipeline: Pipeline, insurance_schema: Schema) -> Callable[..., Path]:
    """Factory: ``save_model(path, **overrides)`` writes a real model folder."""

    def save(path: Path, **overrides: Any) -> Path:
        options: dict[str, Any] = {
            "pipeline": ridge_pipeline,
            "schema": insurance_schema,
            "metrics": {"holdout": {"r2": 0.75}, "leaderboard": [{"model": "ridge"}]},
            "summary": {"target": {"bins": [0, 1], "counts": [3]}},
            "report_html": "<html><body>report</body></html>",
        }
        options.update(overrides)
        return artifact.save(path, **options)

    return save


@pytest.fixture
def model_dir(tmp_path: Path, save_model: Callable[..., Path]) -> Path:
    return save_model(tmp_path / "charges")


def rewrite(folder: Path, name: str, content: bytes) -> None:
    """Replace a file *and* its manifest hash, the way a deliberate attacker would."""
    (folder / name).write_bytes(content)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(content).hexdigest()
    manifest.setdefault("sizes", {})[name] = len(content)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(folder: Path, **changes: Any) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def entries(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden ones included (temp folders start with a dot)."""
    return sorted(p.name for p in folder.iterdir())
