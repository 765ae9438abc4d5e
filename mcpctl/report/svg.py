"""Inline SVG charts for the HTML and PDF reports: bars (a latency histogram), lines (a time series) and a
stacked status bar (passed/failed/error/skipped).

Pure functions from numbers and labels to SVG text. Every text node and attribute value that comes from
data is escaped (labels are tool names and outcomes: untrusted). Colours are presentation attributes, so
svglib (which reads no CSS) draws the PDF's copy as the browser does; each shape also has a class the HTML
report's stylesheet recolours for the dark theme. Colour is never the only cue: every series and status is
named in a legend beside its swatch, with its number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "error": "#ef6c00",
    "skipped": "#9e9e9e",
    "blue": "#1565c0",
    "orange": "#ef6c00",
    "red": "#c62828",
    "purple": "#6a1b9a",
}
"""The fill of each named colour (a shape's class is ``c-NAME``)."""

_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'
_INK = "#333333"
_GRID = "#cccccc"
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 28, 34


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One bar: its label under the axis and its height."""

    label: str
    value: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One series of a line chart: (x, y) points in ascending x, drawn in ``colour`` (a key of COLOURS)."""

    name: str
    points: tuple[tuple[float, float], ...]
    colour: str = "blue"


def number(value: float) -> str:
    """A number as a chart prints it: ``0``, ``12``, ``1.5``, ``0.25``, ``1.2k``, ``3.4M``."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    if size >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10 * power


def _open(title: str, width: int, height: int) -> list[str]:
    label = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        f'<text class="ink" x="{_LEFT}" y="16" {_FONT} font-weight="bold" fill="{_INK}">{label}</text>',
    ]


def _y_axis(top: float, width: int, height: int, y_label: str) -> list[str]:
    """Four gridlines with their values and the axis title; the plot spans _TOP..height-_BOTTOM."""
    parts, bottom = [], height - _BOTTOM
    for step in range(5):
        y = bottom - step * (bottom - _TOP) / 4
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{width - _RIGHT}" y2="{y:.1f}"'
            f' stroke="{_GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="ink" x="{_LEFT - 4}" y="{y + 4:.1f}" {_FONT} text-anchor="end"'
            f' fill="{_INK}">{number(top * step / 4)}</text>'
        )
    parts.append(
        f'<text class="ink" x="{width - _RIGHT}" y="16" {_FONT} text-anchor="end"'
        f' fill="{_INK}">{escape(y_label)}</text>'
    )
    return parts


def bar_chart(bars: Sequence[Bar], *, title: str, y_label: str, width: int = 640, height: int = 220) -> str:
    """Vertical bars of ``bars`` (a histogram: the labels are bucket bounds), the value above each bar
    that is not empty, about eight labels under the axis so that they do not overlap."""
    parts = _open(title, width, height)
    top = nice_ceiling(max((bar.value for bar in bars), default=0.0))
    parts += _y_axis(top, width, height, y_label)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    slot = plot_w / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / 8))
    for n, bar in enumerate(bars):
        x, h = _LEFT + n * slot, plot_h * bar.value / top
        parts.append(
            f'<rect class="c-blue" x="{x + 1:.1f}" y="{_TOP + plot_h - h:.1f}" width="{max(slot - 2, 1):.1f}"'
            f' height="{h:.1f}" fill="{COLOURS["blue"]}"><title>{escape(bar.label)}: {number(bar.value)}'
            "</title></rect>"
        )
        if n % every == 0:
            parts.append(
                f'<text class="ink" x="{x + slot / 2:.1f}" y="{height - _BOTTOM + 14}" {_FONT}'
                f' text-anchor="middle" fill="{_INK}">{escape(bar.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    lines: Sequence[Line], *, title: str, x_label: str, y_label: str, width: int = 640, height: int = 220
) -> str:
    """Each of ``lines`` as a polyline over shared axes (x from the smallest to the largest x of any
    point, y from 0), with a legend naming each line and its colour."""
    parts = _open(title, width, height + 18)
    xs = [x for line in lines for x, _ in line.points]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (x1 - x0) or 1.0
    top = nice_ceiling(max((y for line in lines for _, y in line.points), default=0.0))
    parts += _y_axis(top, width, height, y_label)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    for step in range(5):
        x = _LEFT + step * plot_w / 4
        parts.append(
            f'<text class="ink" x="{x:.1f}" y="{height - _BOTTOM + 14}" {_FONT} text-anchor="middle"'
            f' fill="{_INK}">{number(x0 + span * step / 4)}</text>'
        )
    parts.append(
        f'<text class="ink" x="{width - _RIGHT}" y="{height - 4}" {_FONT} text-anchor="end"'
        f' fill="{_INK}">{escape(x_label)}</text>'
    )
    for line in lines:
        colour = line.colour if line.colour in COLOURS else "blue"
        points = " ".join(
            f"{_LEFT + plot_w * (x - x0) / span:.1f},{_TOP + plot_h - plot_h * y / top:.1f}"
            for x, y in line.points
        )
        parts.append(
            f'<polyline class="c-{colour}" points="{points}" fill="none" stroke="{COLOURS[colour]}"'
            ' stroke-width="1.5"/>'
        )
    parts += _legend([(line.name, line.colour) for line in lines], y=height + 10)
    parts.append("</svg>")
    return "".join(parts)


def _legend(entries: Sequence[tuple[str, str]], *, y: float) -> list[str]:
    parts, x = [], float(_LEFT)
    for name, colour in entries:
        fill = COLOURS.get(colour, COLOURS["blue"])
        parts.append(f'<rect class="c-{escape(colour)}" x="{x:.1f}" y="{y - 8}" width="10" height="10"')
        parts.append(f' fill="{fill}"/>')
        parts.append(
            f'<text class="ink" x="{x + 14:.1f}" y="{y + 1}" {_FONT} fill="{_INK}">{escape(name)}</text>'
        )
        x += 24 + 6.5 * len(name)
    return parts


def status_bar(counts: Sequence[tuple[str, int]], *, title: str, width: int = 640) -> str:
    """One horizontal bar split by status (``("passed", 12)``...), each part as wide as its share, and a
    legend naming each status with its count (statuses with no cases are left out)."""
    shown = [(status, count) for status, count in counts if count > 0]
    total = sum(count for _, count in shown)
    parts = _open(title, width, 64)
    x, plot_w = float(_LEFT), width - _LEFT - _RIGHT
    for status, count in shown:
        w = plot_w * count / total
        colour = status if status in COLOURS else "error"
        parts.append(
            f'<rect class="c-{colour}" x="{x:.1f}" y="24" width="{w:.1f}" height="16"'
            f' fill="{COLOURS[colour]}"><title>{escape(status)}: {count}</title></rect>'
        )
        x += w
    if not shown:
        parts.append(
            f'<rect class="grid" x="{_LEFT}" y="24" width="{plot_w}" height="16" fill="none"'
            f' stroke="{_GRID}"/>'
        )
    parts += _legend([(f"{status} {count}", status) for status, count in shown], y=58)
    parts.append("</svg>")
    return "".join(parts)
