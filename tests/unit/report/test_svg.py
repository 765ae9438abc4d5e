from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from mcpctl.report.svg import Bar, Line, bar_chart, line_chart, nice_ceiling, number, status_bar
from tests.unit.report.test_html import INJECTIONS

NS = "{http://www.w3.org/2000/svg}"


def texts(chart: str) -> list[str]:
    root = ET.fromstring(chart)  # well-formed XML, or this raises
    assert root.tag == f"{NS}svg"
    return [element.text or "" for element in root.iter() if element.tag in (f"{NS}text", f"{NS}title")]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (12, "12"),
        (1.5, "1.5"),
        (0.25, "0.25"),
        (123.4, "123"),
        (12_500, "12.5k"),
        (3_400_000, "3.4M"),
    ],
)
def test_numbers_are_short(value: float, shown: str) -> None:
    assert number(value) == shown


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1.0), (0.7, 1.0), (1, 1.0), (1.1, 2.0), (2.2, 2.5), (3, 5.0), (60, 100.0), (576, 1000.0)],
)
def test_axes_end_at_a_round_number(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_bars_are_as_tall_as_their_values() -> None:
    chart = bar_chart(
        [Bar(label="1ms", value=50), Bar(label="2ms", value=100), Bar(label="4ms", value=0)],
        title="Latency",
        y_label="calls",
    )
    root = ET.fromstring(chart)
    heights = [float(rect.get("height", "")) for rect in root.iter(f"{NS}rect")]
    assert heights == [79.0, 158.0, 0.0]  # the plot is 220 - 28 - 34 = 158 high, the axis ends at 100
    assert texts(chart) == [
        "Latency",
        "Latency",
        "0",
        "25",
        "50",
        "75",
        "100",
        "calls",
        "1ms: 50",
        "1ms",
        "2ms: 100",
        "2ms",
        "4ms: 0",
        "4ms",
    ]


def test_many_bars_label_about_eight() -> None:
    chart = bar_chart([Bar(label=f"b{n}", value=n) for n in range(24)], title="t", y_label="y")
    labels = [t for t in texts(chart) if t.startswith("b") and ":" not in t]
    assert labels == ["b0", "b3", "b6", "b9", "b12", "b15", "b18", "b21"]


def test_lines_share_axes_and_are_named_in_a_legend() -> None:
    chart = line_chart(
        [
            Line(name="calls/s", points=((0, 10), (5, 20), (10, 40))),
            Line(name="errors/s", points=((0, 0), (10, 2)), colour="red"),
        ],
        title="Throughput",
        x_label="seconds",
        y_label="per second",
    )
    root = ET.fromstring(chart)
    lines = list(root.iter(f"{NS}polyline"))
    assert [line.get("points") for line in lines] == [
        "56.0,154.4 342.0,122.8 628.0,59.6",  # y axis to 50: 158 high from y=28
        "56.0,186.0 628.0,179.7",
    ]
    assert [line.get("stroke") for line in lines] == ["#1565c0", "#c62828"]
    assert texts(chart)[-2:] == ["calls/s", "errors/s"]
    assert texts(chart)[8:13] == ["0", "2.5", "5", "7.5", "10"]


def test_a_single_point_or_no_point_draws_without_dividing_by_zero() -> None:
    ET.fromstring(line_chart([Line(name="p50", points=((3, 0),))], title="t", x_label="x", y_label="y"))
    ET.fromstring(line_chart([], title="t", x_label="x", y_label="y"))
    ET.fromstring(bar_chart([], title="t", y_label="y"))


def test_the_status_bar_names_each_status_with_its_count() -> None:
    chart = status_bar([("passed", 3), ("failed", 1), ("error", 0), ("skipped", 0)], title="Cases")
    root = ET.fromstring(chart)
    widths = [float(r.get("width", "")) for r in root.iter(f"{NS}rect") if r.get("height") == "16"]
    assert widths == [429.0, 143.0]
    assert texts(chart) == ["Cases", "Cases", "passed: 3", "failed: 1", "passed 3", "failed 1"]
    assert texts(status_bar([], title="No cases")) == ["No cases", "No cases"]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_labels_are_text_never_markup(injection: str) -> None:
    charts = [
        bar_chart([Bar(label=injection, value=1)], title=injection, y_label=injection),
        line_chart(
            [Line(name=injection, points=((0, 1), (1, 2)))],
            title=injection,
            x_label=injection,
            y_label=injection,
        ),
        status_bar([(injection, 2)], title=injection),
    ]
    for chart in charts:
        root = ET.fromstring(chart)
        assert {element.tag for element in root.iter()} <= {
            f"{NS}{t}" for t in ("svg", "title", "text", "rect", "line", "polyline")
        }
        assert not [name for element in root.iter() for name in element.attrib if name.startswith("on")]
        assert any(injection in text for text in texts(chart))
