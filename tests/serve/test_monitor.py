"""``tabship serve --log``: ids in every answer, every prediction logged, feedback, the
monitor routes, and what a server without a log or with a bad one does.

Real servers on 127.0.0.1 (``python -m tabship serve``) with a SQLite file and a database
on a real PostgreSQL server (``tests/_postgres.py``); the log is read back from its table.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests._postgres import postgres_server  # noqa: F401  (the session fixture)
from tests._servers import SERVER_PIDS, dataset_file, serve_env
from tests.serve._monitored import logged_ids, start_server, wait_for
from tests.serve.test_lean import HEAVY, mapped_packages

pytestmark = pytest.mark.integration

BACKENDS = ["sqlite", "postgresql"]
HEX32 = r"^[0-9a-f]{32}$"


@pytest.fixture(scope="module")
def insurance(trained_model) -> Path:
    return trained_model("insurance")


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(dataset_file("insurance"))


def new_log_url(backend: str, folder: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'log.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture(scope="module", params=BACKENDS)
def logged(request, insurance, live_server, tmp_path_factory) -> tuple[str, str]:
    """(server URL, log URL): a server of the session logging to a new log."""
    url = new_log_url(request.param, tmp_path_factory.mktemp("log"), request)
    return live_server(insurance, "--log", url), url


def serve_and_fail(model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tabship serve MODEL ARGS`` expected to stop at start (port 1 is never bound)."""
    command = [sys.executable, "-m", "tabship", "serve", str(model), "--port", "1", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=serve_env())


def is_id(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
    )


def example(server: str) -> dict[str, object]:
    return httpx.get(f"{server}/metadata").json()["schema"]["example"]


def answered_ids(server: str) -> list[str]:
    """Predict through every route and body shape; the ids the answers carried."""
    record = example(server)
    ids: list[str] = []
    for params, body in [
        ({}, record),
        ({}, [record, record, record]),
        ({}, {k: [v, v] for k, v in record.items()}),
        ({"explain": "true"}, record),
    ]:
        answer = httpx.post(f"{server}/predict", params=params, json=body)
        assert answer.status_code == 200, answer.text
        got = answer.json()["ids"]
        assert len(got) == len(answer.json()["predictions"])
        ids += got
    query = httpx.get(f"{server}/predict", params={k: str(v) for k, v in record.items()})
    assert query.status_code == 200
    assert len(query.json()["ids"]) == 1
    ids += query.json()["ids"]
    page = httpx.post(f"{server}/", data={k: str(v) for k, v in record.items()})
    assert page.status_code == 200
    page_id = page.text.split('id="record-id">', 1)[1].split("<", 1)[0]
    ids.append(page_id)
    bad = dict(record, age="old")
    table = pd.DataFrame([record, bad, record])
    upload = httpx.post(
        f"{server}/predict/csv", files={"file": ("x.csv", table.to_csv(index=False))}
    )
    assert upload.status_code == 200, upload.text
    scored = pd.read_csv(io.StringIO(upload.text), dtype=str, keep_default_na=False)
    assert list(scored.columns)[-1] == "id"
    assert scored["id"][1] == ""  # the row that failed has no prediction and no id
    ids += [scored["id"][0], scored["id"][2]]
    return ids


def test_every_answer_has_ids_and_every_prediction_is_logged(logged):
    server, log_url = logged
    ids = answered_ids(server)
    assert len(ids) == 1 + 3 + 2 + 1 + 1 + 1 + 2
    assert all(is_id(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    httpx.get(f"{server}/monitor.json")  # the report flushes the writer first
    wait_for(lambda: set(ids) <= logged_ids(log_url), "every answered id in the log")
    metrics = httpx.get(f"{server}/metrics").text
    assert "tabship_log_rows_written_total" in metrics
    assert "tabship_log_queue_depth" in metrics
    assert "tabship_log_rows_dropped_total 0.0" in metrics


def test_the_log_stores_what_the_readme_says(logged):
    server, log_url = logged
    record = dict(example(server), age=99)  # out of the training range: a warning
    answer = httpx.post(f"{server}/predict", json=record).json()
    assert answer["warnings"]
    httpx.get(f"{server}/monitor.json")
    from sqlalchemy import text

    from tabship.monitor import open_log

    log = open_log(log_url)
    try:
        with log.engine.connect() as conn:
            row = (
                conn.execute(
                    text("SELECT * FROM tabship_predictions WHERE id = :id"),
                    {"id": answer["ids"][0]},
                )
                .mappings()
                .one()
            )
    finally:
        log.close()
    assert row["route"] == "POST /predict"
    inputs = json.loads(row["inputs"])
    assert set(inputs) == set(record)
    assert float(inputs["age"]) == pytest.approx(float(record["age"]))
    assert inputs["region"] == record["region"]
    assert row["prediction_num"] == pytest.approx(answer["predictions"][0])
    assert row["latency_ms"] > 0
    assert len(row["model"]) == 64
    assert row["ts"] is not None
    warnings = json.loads(row["warnings"])
    assert len(warnings) == 1 and "age" in warnings[0]


def test_without_a_log_answers_carry_ids_and_the_monitor_routes_say_how_to_turn_it_on(
    insurance, live_server
):
    server = live_server(insurance)
    answer = httpx.post(f"{server}/predict", json=[example(server)] * 2).json()
    assert len(answer["ids"]) == 2 and all(is_id(i) for i in answer["ids"])
    for method, path in [("GET", "/monitor"), ("GET", "/monitor.json"), ("POST", "/feedback")]:
        response = httpx.request(method, f"{server}{path}", json=[{"id": "x", "actual": 1}])
        assert response.status_code == 404, (path, response.text)
        body = response.json()
        assert "--log" in body["message"]
        assert body["detail"][0]["type"] == "no_prediction_log"
    assert httpx.get(f"{server}/ready").json() == {"status": "ready"}


def test_a_server_without_a_log_never_loads_the_database_layer(insurance, live_server):
    server = live_server(insurance, "--max-body-mb", "9")
    assert httpx.post(f"{server}/predict", json=example(server)).status_code == 200
    assert httpx.get(f"{server}/monitor.json").status_code == 404
    loaded = mapped_packages(SERVER_PIDS[server])
    assert "numpy" in loaded  # the check sees what is there
    assert not loaded & {"sqlalchemy", "psycopg", "psycopg_binary"}, sorted(loaded)


def test_a_logged_server_loads_no_training_libraries(insurance, live_server, tmp_path_factory):
    """The log costs SQLAlchemy, not pandas or scikit-learn: predictions, feedback and
    both monitor routes of a planned model run on numpy and Treelite as before."""
    url = f"sqlite:///{tmp_path_factory.mktemp('lean') / 'log.db'}"
    server = live_server(insurance, "--log", url, "--max-body-mb", "8")
    answer = httpx.post(f"{server}/predict", json=[example(server)] * 2).json()
    items = [{"id": i, "actual": 1000.0} for i in answer["ids"]]
    assert httpx.post(f"{server}/feedback", json=items).status_code == 200
    assert httpx.get(f"{server}/monitor.json").status_code == 200
    assert httpx.get(f"{server}/monitor").status_code == 200
    loaded = mapped_packages(SERVER_PIDS[server])
    assert "sqlalchemy" in loaded  # the check sees what is there
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_feedback_end_to_end_live_metrics_match_scikit_learn(logged, records):
    """Predict 200 insurance records, send their true charges: the live metrics of the
    last 200 records are scikit-learn's on the same pairs."""
    from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

    server, _ = logged
    sample = records.sample(n=200, random_state=3)
    inputs = sample.drop(columns=["charges"]).to_dict(orient="records")
    answer = httpx.post(f"{server}/predict", json=inputs, timeout=60).json()
    items = [
        {"id": i, "actual": float(a)} for i, a in zip(answer["ids"], sample["charges"], strict=True)
    ]
    stored = httpx.post(f"{server}/feedback", json=items, timeout=60)
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"stored": 200, "message": "Stored 200 outcomes.", "detail": []}
    report = httpx.get(f"{server}/monitor.json?last=200", timeout=60).json()
    predictions = np.asarray(answer["predictions"])
    actuals = sample["charges"].to_numpy()
    live = report["feedback"]["metrics"]
    assert report["records"] == 200 and report["feedback"]["records"] == 200
    assert live["r2"] == pytest.approx(r2_score(actuals, predictions), rel=1e-6)
    assert live["rmse"] == pytest.approx(root_mean_squared_error(actuals, predictions), rel=1e-6)
    assert live["mae"] == pytest.approx(mean_absolute_error(actuals, predictions), rel=1e-6)
    assert set(report["feedback"]["holdout"]) >= {"r2", "rmse", "mae"}
    metrics = httpx.get(f"{server}/metrics").text
    assert 'tabship_live_metric{metric="r2"}' in metrics
    assert 'tabship_drift_psi{feature="age"}' in metrics
    assert "tabship_feedback_records 200.0" in metrics


def test_feedback_errors_name_the_item_and_field_and_the_good_items_are_stored(logged):
    server, _ = logged
    ids = httpx.post(f"{server}/predict", json=[example(server)] * 4).json()["ids"]
    items = [
        f'{{"id": "{ids[0]}", "actual": 100.5}}',
        '{"id": "feedbeef", "actual": 3}',
        f'{{"id": "{ids[1]}", "actual": "lots"}}',
        f'{{"id": "{ids[2]}", "actual": NaN}}',
        f'{{"id": "{ids[0]}", "actual": 7}}',
        '{"actual": 1}',
    ]
    body = "[" + ", ".join(items) + "]"
    response = httpx.post(
        f"{server}/feedback", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 207, response.text
    answer = response.json()
    assert answer["stored"] == 1
    where = {tuple(item["loc"]): item["type"] for item in answer["detail"]}
    assert where[("body", 1, "id")] == "unknown_id"
    assert ("body", 2, "actual") in where
    assert ("body", 3, "actual") in where
    assert ("body", 4, "id") in where  # the first item's id again
    assert ("body", 5, "id") in where  # missing
    assert all(set(item) >= {"loc", "msg", "type"} for item in answer["detail"])
    assert answer["message"].startswith("Stored 1 of 6.")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('[{"id": "nope", "actual": 1}]', ("body", 0, "id")),
        ("[]", ("body",)),
        ('"text"', ("body",)),
        ("{not json", ("body",)),
        ("[1, 2]", ("body", 0)),
    ],
)
def test_feedback_that_stores_nothing_is_a_422_never_a_500(logged, body, where):
    server, _ = logged
    response = httpx.post(
        f"{server}/feedback", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert set(answer) >= {"message", "detail"}
    assert tuple(answer["detail"][0]["loc"][: len(where)]) == where


def test_feedback_over_the_size_limits_is_a_413(insurance, live_server, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('small') / 'log.db'}"
    server = live_server(insurance, "--log", url, "--max-body-mb", "0.01", "--max-records", "5")
    big = [{"id": "0" * 32, "actual": 1.0}] * 400  # about 18 kB
    response = httpx.post(f"{server}/feedback", json=big)
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"
    many = [{"id": "0" * 32, "actual": 1.0}] * 6
    response = httpx.post(f"{server}/feedback", json=many)
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "too_many_records"


@pytest.mark.parametrize(
    "query",
    [
        "since=abc",
        "since=-1d",
        "last=0",
        "last=x",
        "last=24757204739151028224",  # the fuzz run's 500: past SQLite's INTEGER
        "since=1d&last=5",
        "warn=x",
        "warn=0.5&alert=0.2",
        "alert=-1",
    ],
)
def test_monitor_json_refuses_bad_windows_and_thresholds(logged, query):
    server, _ = logged
    response = httpx.get(f"{server}/monitor.json?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "query"


def test_an_alert_below_the_default_warn_is_named_with_that_default(logged):
    server, _ = logged
    response = httpx.get(f"{server}/monitor.json?alert=0.05")
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert item["loc"] == ["query", "alert"]
    assert "0.1, its default" in item["msg"] and "None" not in item["msg"]


def test_monitor_json_has_the_issue_shape_and_the_page_renders(logged):
    server, _ = logged
    httpx.post(f"{server}/predict", json=[example(server)] * 3)
    report = httpx.get(f"{server}/monitor.json?since=2h&warn=0.2&alert=0.3").json()
    assert set(report) >= {"model", "records", "since", "features", "prediction", "feedback"}
    assert report["records"] >= 3
    assert report["thresholds"] == {"warn": 0.2, "alert": 0.3}
    for drift in report["features"].values():
        assert set(drift) >= {"psi", "missing_rate", "status"}
        assert drift["status"] in ("ok", "warn", "alert")
    assert set(report["feedback"]) >= {"records", "metrics"}
    assert httpx.get(f"{server}/monitor.json?last=2").json()["records"] == 2
    page = httpx.get(f"{server}/monitor")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "age" in page.text


def test_the_api_key_guards_feedback_and_the_monitor_routes(
    insurance, live_server, tmp_path_factory
):
    url = f"sqlite:///{tmp_path_factory.mktemp('keyed') / 'log.db'}"
    server = live_server(insurance, "--log", url, "--api-key", "s3cret")
    key = {"Authorization": "Bearer s3cret"}
    answer = httpx.post(f"{server}/predict", json=example(server), headers=key).json()
    item = [{"id": answer["ids"][0], "actual": 1234.5}]
    for method, path in [("GET", "/monitor"), ("GET", "/monitor.json"), ("POST", "/feedback")]:
        refused = httpx.request(method, f"{server}{path}", json=item)
        assert refused.status_code == 401, path
        assert refused.json()["detail"][0]["loc"] == ["header", "Authorization"]
        wrong = httpx.request(
            method, f"{server}{path}", json=item, headers={"Authorization": "Bearer no"}
        )
        assert wrong.status_code == 401, path
        assert httpx.request(method, f"{server}{path}", json=item, headers=key).status_code == 200
    document = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert document["/feedback"]["post"]["security"] == [{"bearer": []}]
    assert document["/monitor.json"]["get"]["security"] == [{"bearer": []}]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.org/log", "scheme 'ftp' is not supported"),
        ("not a url", "not a URL"),
        ("sqlite:///no/such/folder/log.db", "does not exist"),
        ("postgresql://u:hunter2@127.0.0.1:1/db", "Cannot use the prediction log"),
    ],
)
def test_a_bad_log_at_start_is_one_line_and_a_non_zero_exit(insurance, url, says):
    done = serve_and_fail(insurance, "--log", url)
    assert done.returncode == 6, done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error:") and says in lines[0]
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout


def test_an_excluded_field_the_model_lacks_is_refused(insurance, tmp_path):
    done = serve_and_fail(
        insurance, "--log", f"sqlite:///{tmp_path / 'x.db'}", "--log-exclude", "nmae"
    )
    assert done.returncode != 0
    assert "--log-exclude" in done.stderr and "Traceback" not in done.stderr


def test_log_optional_starts_degraded_and_says_so_in_ready(insurance, live_server):
    server = live_server(insurance, "--log", "postgresql://u:pw@127.0.0.1:1/db", "--log-optional")
    ready = httpx.get(f"{server}/ready").json()
    assert ready["status"] == "ready" and ready["log"] == "degraded", ready
    assert ready["log_error"]
    answer = httpx.post(f"{server}/predict", json=example(server))
    assert answer.status_code == 200 and is_id(answer.json()["ids"][0])


def test_excluded_fields_are_not_stored(insurance, tmp_path):
    log_url = f"sqlite:///{tmp_path / 'exclude.db'}"
    with start_server(
        insurance, tmp_path, "--log", log_url, "--log-exclude", "sex", "--log-exclude", "bmi"
    ) as server:
        record = example(server.url)
        httpx.post(f"{server.url}/predict", json=record)
        report = httpx.get(f"{server.url}/monitor.json").json()
    assert "sex" not in report["features"] and "bmi" not in report["features"]
    assert "age" in report["features"]
    from sqlalchemy import text

    from tabship.monitor import open_log

    log = open_log(log_url)
    try:
        with log.engine.connect() as conn:
            inputs = json.loads(
                conn.execute(text("SELECT inputs FROM tabship_predictions")).scalar_one()
            )
    finally:
        log.close()
    assert set(inputs) == {"age", "children", "smoker", "region"}
    assert not math.isnan(float(inputs["age"]))


def test_a_classifier_logs_probabilities_and_takes_labels_as_feedback(
    trained_model, live_server, tmp_path_factory
):
    url = f"sqlite:///{tmp_path_factory.mktemp('drug') / 'log.db'}"
    server = live_server(trained_model("drug200"), "--log", url)
    record = example(server)
    answer = httpx.post(f"{server}/predict", json=[record] * 3).json()
    assert len(answer["ids"]) == 3 and answer["probabilities"]
    classes = list(answer["probabilities"][0])
    items = [{"id": i, "actual": classes[0]} for i in answer["ids"][:2]]
    items.append({"id": answer["ids"][2], "actual": "no such drug"})
    response = httpx.post(f"{server}/feedback", json=items)
    assert response.status_code == 207, response.text
    assert response.json()["stored"] == 2
    assert response.json()["detail"][0]["loc"] == ["body", 2, "actual"]
    report = httpx.get(f"{server}/monitor.json?last=3").json()
    assert report["feedback"]["records"] == 2
    assert "accuracy" in report["feedback"]["metrics"]
    assert report["prediction"]["status"] in ("ok", "warn", "alert")


def test_a_bad_retention_is_one_line(insurance, tmp_path):
    done = serve_and_fail(
        insurance, "--log", f"sqlite:///{tmp_path / 'x.db'}", "--log-retention", "soon"
    )
    assert done.returncode == 2, done
    assert done.stderr.strip().count("\n") == 0 and "--log-retention" in done.stderr
