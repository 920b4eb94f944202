"""The inline SVG charts: well-formed, escaped, and drawing what they claim."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tabship.views import (
    class_distribution_svg,
    contribution_svg,
    format_number,
    format_percent,
    nice_ticks,
    probability_svg,
    target_histogram_svg,
)

EVIL = "<script>alert(1)</script>"


def parse(svg: str) -> ET.Element:
    """The chart as XML: fails the test when the markup is not well formed."""
    return ET.fromstring(str(svg))


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter("rect") if cls in r.get("class", "").split()]


def num(element: ET.Element, name: str) -> float:
    """A length attribute as a number (percentages of the chart width, or pixels)."""
    return float(element.get(name).rstrip("%"))


@pytest.mark.parametrize(
    ("value", "text"),
    [(12345.678, "12,345.68"), (40.0, "40"), (0.123456, "0.1235"), (float("nan"), "—")],
)
def test_format_number_reads_like_people_write(value: float, text: str) -> None:
    assert format_number(value) == text


def test_nice_ticks_are_round_and_inside_the_range() -> None:
    assert nice_ticks(1121.87, 63770.43) == [20000, 40000, 60000]
    assert nice_ticks(6.269, 38.247) == [10, 20, 30]
    assert nice_ticks(0.0, 1.0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(5.0, 5.0) == [5.0]


def test_probability_bars_escape_class_names_and_highlight_the_prediction() -> None:
    svg = probability_svg({"no": 0.25, EVIL: 0.75}, EVIL)
    assert EVIL not in svg
    root = parse(svg)
    labels = [t.text for t in root.iter("text") if t.get("class") == "label"]
    assert labels[0] == EVIL  # most probable first, drawn as text
    highlighted = rects(root, "bar-hi")
    assert len(highlighted) == 1
    widths = [r.get("width") for r in rects(root, "bar")]
    assert widths == ["75.00%", "25.00%"]
    assert "75.0%" in svg and root.get("role") == "img"


def test_class_distribution_shows_counts_and_shares() -> None:
    root = parse(class_distribution_svg({"drugY": 91, "drugC": 16}, "drugC"))
    values = [t.text for t in root.iter("text") if t.get("class") == "value"]
    assert values == ["91 (85%)", "16 (15%)"]
    assert len(rects(root, "bar-hi")) == 1


def test_histogram_marks_the_prediction_in_its_bin() -> None:
    root = parse(target_histogram_svg([0, 10, 20, 30], [5, 10, 5], 15.0, "charges"))
    marker = next(line for line in root.iter("line") if line.get("class") == "marker")
    bars = rects(root, "bar")
    middle = bars[1]
    x = num(marker, "x1")
    assert num(middle, "x") <= x <= num(middle, "x") + num(middle, "width")
    assert "bar-hi" in middle.get("class")
    assert "This prediction: 15" in ET.tostring(root, encoding="unicode")


def test_histogram_widens_the_axis_for_a_prediction_outside_the_training_range() -> None:
    root = parse(target_histogram_svg([0, 10, 20], [3, 4], 40.0, "y"))
    marker = next(line for line in root.iter("line") if line.get("class") == "marker")
    last_bar = rects(root, "bar")[-1]
    assert num(marker, "x1") > num(last_bar, "x") + num(last_bar, "width")
    assert not rects(root, "bar-hi")


def test_contributions_go_up_and_down_and_keep_the_largest() -> None:
    items = [
        {"feature": f"x{i}", "value": i * 1.5, "contribution": (-1) ** i * (20 - i)}
        for i in range(12)
    ]
    root = parse(contribution_svg(items))
    up, down = rects(root, "bar-up"), rects(root, "bar-down")
    assert len(up) + len(down) == 10
    assert len(up) == 5 and len(down) == 5
    axis = num(next(line for line in root.iter("line")), "x1")
    assert axis == 50.0
    assert all(num(r, "x") == pytest.approx(axis) for r in up)
    assert all(num(r, "x") + num(r, "width") == pytest.approx(axis) for r in down)
    assert num(up[0], "width") == pytest.approx(50.0)  # the largest spans half the chart
    values = [t.text for t in root.iter("text") if "value" in t.get("class")]
    assert values[:2] == ["+20", "−19"]


def test_probability_contributions_read_as_percentage_points() -> None:
    items = [
        {"feature": "Na_to_K", "value": 25.355, "contribution": 0.42},
        {"feature": EVIL, "value": EVIL, "contribution": -0.00001},
    ]
    svg = contribution_svg(items, unit="pp")
    root = parse(svg)
    values = [t.text for t in root.iter("text") if "value" in t.get("class")]
    assert values == ["+42.0 pp", "0.0 pp"]
    assert EVIL not in svg
    assert "Na_to_K = 25.36" in [t.text for t in root.iter("text")]


def test_charts_link_nowhere() -> None:
    charts = [
        probability_svg({"a": 1.0}, "a"),
        class_distribution_svg({"a": 3}, "a"),
        target_histogram_svg([0, 1], [1], 0.5, "t"),
        contribution_svg([{"feature": "a", "value": 1, "contribution": 1.0}]),
    ]
    for chart in charts:
        assert "http" not in chart and "href" not in chart
        assert "viewBox" not in chart  # text keeps its real size on a phone


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.0, "0.0%"), (0.00001, "<0.1%"), (0.4567, "45.7%"), (0.99999, ">99.9%"), (1.0, "100.0%")],
)
def test_format_percent_never_rounds_a_chance_away(share: float, text: str) -> None:
    assert format_percent(share) == text
