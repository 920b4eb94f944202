"""tabship.Client against a real server: the same answers as the local model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tabship
from tabship.client import Client
from tabship.errors import RemoteError, ValidationError
from tests._servers import free_port
from tests.conftest import dataset_path

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def drug(trained_model, live_server):
    path = trained_model("drug200")
    return tabship.load(path), live_server(path)


@pytest.fixture(scope="module")
def insurance(trained_model, live_server):
    path = trained_model("insurance")
    return tabship.load(path), live_server(path, "--api-key", "s3cret")


def test_client_predict_matches_the_local_model(drug):
    model, url = drug
    frame = pd.read_csv(dataset_path("drug200.csv")).drop(columns="Drug")
    with Client(url) as client:
        assert (client.predict(frame) == model.predict(frame)).all()
        remote = client.predict_proba(frame.head(20))
    local = model.predict_proba(frame.head(20))
    np.testing.assert_allclose(remote[local.columns].to_numpy(), local.to_numpy(), atol=1e-12)


def test_client_accepts_words_as_users_type_them(drug):
    _, url = drug
    record = {"Age": 60, "Sex": "f", "BP": "low", "Cholesterol": "high", "Na_to_K": 20}
    with Client(url) as client:
        body = client.score(record, explain=True)
    assert body["predictions"] == ["drugY"]
    assert body["explanations"][0][0]["feature"] == "Na_to_K"


def test_client_with_api_key(insurance):
    model, url = insurance
    record = model.schema.example
    with Client(url, api_key="s3cret") as client:
        assert client.predict(record)[0] == pytest.approx(model.predict(record)[0], abs=1e-6)
    with Client(url) as client, pytest.raises(RemoteError, match="401"):
        client.predict(record)


def test_client_field_errors_come_back_as_validation_error(drug):
    _, url = drug
    with Client(url) as client, pytest.raises(ValidationError) as caught:
        client.predict([{"Age": "old", "Sex": "F"}])
    fields = {tuple(e["loc"])[-1] for e in caught.value.errors}
    assert {"Age", "BP", "Cholesterol", "Na_to_K"} <= fields


def test_client_regression_has_no_probabilities(insurance):
    model, url = insurance
    with Client(url, api_key="s3cret") as client, pytest.raises(RemoteError, match="regression"):
        client.predict_proba(model.schema.example)


def test_client_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with Client(url, timeout=2) as client, pytest.raises(RemoteError, match="cannot be reached"):
        client.health()
