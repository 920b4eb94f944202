"""The monitor page: one self-contained page (no link outside it, no script), every
section drawn as SVG, and text from the data escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tabship import runtime
from tabship.data import read_table
from tabship.monitor import MonitoredModel, MonitorReport, build_report, open_log
from tabship.views import render_monitor_page
from tests.conftest import dataset_path
from tests.monitor._logged import log_predictions, shifted

EVIL = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def report(insurance_run, tmp_path_factory) -> MonitorReport:
    """A real report: drifted records logged over a few hours, half with feedback."""
    model = runtime.load(insurance_run[1], lean=True)
    watched = MonitoredModel.from_model(model)
    rows = shifted(read_table(dataset_path("insurance.csv")).sample(300, random_state=8))
    log = open_log(f"sqlite:///{tmp_path_factory.mktemp('page')}/log.db")
    ids = log_predictions(log, model, rows, spread=timedelta(days=2))
    log.add_feedback(
        [
            {"id": i, "actual": float(a)}
            for i, a in zip(ids[::2], rows["charges"][::2], strict=True)
        ],
        task="regression",
    )
    found = build_report(
        log,
        model=watched.sha,
        references=watched.references,
        holdout_metrics=watched.holdout,
        task=watched.task,
        since=timedelta(days=7),
    )
    log.close()
    return found


@pytest.mark.slow  # insurance_run trains for 8 s
def test_the_page_has_every_section(report):
    html = render_monitor_page(report, title="charges")
    assert html.startswith("<!doctype html>")
    for anchor in ('id="volume"', 'id="latency"', 'id="drift"', 'id="prediction"', 'id="metrics"'):
        assert anchor in html
    assert html.count("<svg") >= 3 + len(report["features"]) + len(report["feedback"]["metrics"])
    rows = re.findall(
        r'<tr class="drift-row[^"]*" data-status="(\w+)">\s*<th scope="row">([^<]+)<', html
    )
    names = [name for _, name in rows]
    assert names[:2] == list(report["features"])[:2] and set(names[:2]) == {"age", "smoker"}
    assert names[-1] == "The prediction"
    assert "Live accuracy" in html and "holdout" in html
    assert "Alert" in html


@pytest.mark.slow  # insurance_run trains for 8 s
def test_the_page_is_self_contained(report):
    html = render_monitor_page(report)
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "--accent" in html  # the stylesheet is inline
    assert 'href="/monitor.json"' not in html
    assert 'href="/api/monitor.json"' in render_monitor_page(report, root="/api")


@pytest.mark.slow  # insurance_run trains for 8 s
def test_text_from_the_data_is_escaped(report):
    evil: MonitorReport = {**report, "features": dict(report["features"])}
    drift = dict(evil["features"]["region"])
    drift["bins"] = [{**b, "label": EVIL} for b in drift["bins"]]
    evil["features"][EVIL] = drift  # type: ignore[assignment]
    html = render_monitor_page(evil, title=EVIL)
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


@pytest.mark.slow  # insurance_run trains for 8 s
def test_an_empty_window_and_no_feedback_render(report):
    empty: MonitorReport = {
        **report,
        "records": 0,
        "since": None,
        "volume": [],
        "prediction": None,
        "feedback": {"records": 0, "metrics": {}, "holdout": {}, "daily": []},
    }
    html = render_monitor_page(empty)
    assert "No records of this model" in html and "No feedback yet" in html
    assert 'id="volume"' not in html
