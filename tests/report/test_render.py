from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser

import matplotlib
import pytest

from tabship.report import render_report
from tabship.report._format import format_number
from tests.report.conftest import SCRIPT_NAME, random_regression_context

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}


class StrictParser(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def regression_html(regression_context) -> str:
    return render_report(regression_context)


@pytest.fixture(scope="module")
def multiclass_html(multiclass_context) -> str:
    return render_report(multiclass_context)


@pytest.mark.parametrize("kind", ["regression_html", "multiclass_html"])
def test_render_report_is_self_contained(kind, request):
    html = request.getfixturevalue(kind)
    lowered = html.lower()
    for needle in ("http://", "https://", 'src="http', "<script", "<link", "@import", "url(http"):
        assert needle not in lowered, needle
    assert html.startswith("<!doctype html>")
    assert "<style>" in html


@pytest.mark.parametrize("kind", ["regression_html", "multiclass_html"])
def test_render_report_is_well_formed_html(kind, request):
    parser = parse(request.getfixturevalue(kind))
    assert parser.problems == []
    assert parser.stack == []


def test_render_report_regression_shows_leaderboard_and_metrics(
    regression_context, regression_html
):
    board = regression_context.leaderboard
    for model in board["model"]:
        assert f'<td class="model">{model}</td>' in regression_html
    assert chosen_row(regression_html) == board["model"].iloc[0]
    assert "CV R²" in regression_html and "CV RMSE" in regression_html
    r2 = regression_context.holdout_metrics["r2"]
    rmse = regression_context.holdout_metrics["rmse"]
    assert f'<div class="value">{r2:.4g}</div>' in regression_html
    assert f'<div class="value">{rmse:,.0f}</div>' in regression_html
    mean, std = board["cv_r2_mean"].iloc[0], board["cv_r2_std"].iloc[0]
    assert f"{format_number(mean)} ± {format_number(std, digits=2)}" in regression_html


def chosen_row(html: str) -> str:
    rows = re.findall(r'<tr class="best"[^>]*>.*?<td class="model">(.*?)</td>', html)
    assert len(rows) == 1
    return rows[0]


def test_render_report_highlights_the_chosen_model_even_when_not_first(regression_context):
    runner_up = regression_context.leaderboard["model"].iloc[1]
    params = {**regression_context.params, "model": runner_up}
    html = render_report(replace(regression_context, params=params))
    assert chosen_row(html) == runner_up
    assert f"<dt>Chosen model</dt><dd>{runner_up}</dd>" in html


def test_render_report_writes_the_training_time_readably(regression_html):
    assert "<dt>Trained</dt><dd>2025-01-02 03:04 UTC</dd>" in regression_html


def test_render_report_regression_has_scatter_residual_and_histogram(regression_html):
    assert regression_html.count("<svg ") == 4  # predicted-actual, residuals, target, importance
    for title in ("Predicted vs actual", "Residuals", "Distribution of charges"):
        assert title in regression_html


def test_render_report_lists_features_in_importance_order(regression_context, regression_html):
    ordered = regression_context.importance.sort_values("importance", ascending=False)
    values = regression_html.split('<section id="importance">')[1]
    positions = [values.index(f"<tr><td>{name}</td>") for name in ordered["feature"]]
    assert positions == sorted(positions)
    assert list(ordered["feature"])[0] == "smoker"  # insurance: smoking drives the charges


def test_render_report_escapes_names_from_the_data(regression_context):
    importance = regression_context.importance.copy()
    importance.loc[0, "feature"] = SCRIPT_NAME
    html = render_report(replace(regression_context, importance=importance, title=SCRIPT_NAME))
    assert "<script" not in html.lower()
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(escaped) >= 5  # title x2, notes, columns table, importance table and plot
    assert SCRIPT_NAME in "".join(parse(html).text)


def test_render_report_multiclass_shows_confusion_matrix_and_classes(
    multiclass_context, multiclass_html
):
    assert "Confusion matrix" in multiclass_html
    assert "Classes of Drug" in multiclass_html
    assert "Residuals" not in multiclass_html
    for label in multiclass_context.holdout_metrics["labels"]:
        assert f">{label}</text>" in multiclass_html  # tick labels of the heatmap
    accuracy = multiclass_context.holdout_metrics["accuracy"]
    assert f'<div class="value">{format_number(accuracy)}</div>' in multiclass_html
    assert "F1 (macro)" in multiclass_html
    assert "confusion_matrix" not in multiclass_html  # a plot, not a card


def test_render_report_shows_columns_with_roles_and_ranges(regression_html):
    columns = regression_html.split('<table class="columns">')[1].split("</table>")[0]
    assert "<td>yes</td>" in columns and "<td>no</td>" in columns
    assert "southeast" in columns  # top categories of region
    assert "18 – 64" in columns  # range of age


def test_render_report_is_deterministic(regression_context, regression_html):
    assert render_report(regression_context) == regression_html


def test_render_report_leaves_matplotlib_settings_alone(regression_context):
    before = dict(matplotlib.rcParams)
    render_report(regression_context)
    assert dict(matplotlib.rcParams) == before


def test_render_report_subsamples_a_large_holdout(regression_context, regression_html):
    html = render_report(random_regression_context(regression_context, 20_000))
    assert "2,000 of 20,000 held-out rows shown" in html
    assert len(html) < 600_000
    assert "data:image/png;base64," in html  # the big scatters are rasterized inside the SVG


def test_render_report_without_importance_or_holdout_rows(regression_context):
    html = render_report(
        replace(regression_context, importance=None, y_true=[], y_pred=[], warnings=[])
    )
    assert 'id="importance"' not in html
    assert "No held-out rows to plot." in html
    assert 'class="notes"' not in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("kind", ["regression_html", "multiclass_html"])
def test_render_report_renders_in_headless_chromium(kind, request, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(request.getfixturevalue(kind), encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,3200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 20_000
