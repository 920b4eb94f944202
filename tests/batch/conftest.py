"""A small adult-income model, trained once for the batch-scoring tests."""

from __future__ import annotations

import pytest

from tests.conftest import dataset_path


@pytest.fixture(scope="session")
def adult_model(tmp_path_factory: pytest.TempPathFactory):
    import tabship
    from tabship.data import read_table

    frame = read_table(dataset_path("adult.csv")).sample(4000, random_state=0)
    run = tabship.train(frame, target="income", time_budget=6)
    path = run.save(tmp_path_factory.mktemp("models") / "income")
    return tabship.load(path)
