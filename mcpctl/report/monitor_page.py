"""The Monitor window report as an HTML page and as a PDF (the same page in its print variant).

The page is the run report's: the sandboxed autoescaping environment, its stylesheets and
Content-Security-Policy (:func:`mcpctl.report.html.page_assets`), xhtml2pdf for the PDF
(:func:`mcpctl.report.pdf.layout`). Markup built here (the charts) escapes every text it carries; the
template escapes the rest. The health timeline is a bar per server whose coloured spans also carry their
health as a word, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from mcpctl.report import svg
from mcpctl.report.html import environment, image, page_assets
from mcpctl.report.json import iso8601
from mcpctl.report.monitor import (
    HOUR,
    HealthSpan,
    MonitorWindow,
    detail_text,
    hour_rows,
    notes_text,
)
from mcpctl.report.pdf import layout

HEALTH_COLOURS = {
    "healthy": "#2e7d32",
    "degraded": "#ef6c00",
    "unhealthy": "#c62828",
    "offline": "#616161",
}
_UNKNOWN = "#bdbdbd"
_FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerView:
    """One server's section: its timeline, latency chart and hourly table."""

    name: str
    timeline: Markup
    chart: Markup
    hours: list[list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorView:
    """Everything the monitor template shows."""

    monitor: str
    since: str
    until: str
    servers: list[ServerView]
    alerts: list[list[str]]
    active: list[list[str]]


def render_monitor_html(window: MonitorWindow) -> str:
    """The window as a self-contained HTML page."""
    return _page(window, printable=False)


def render_monitor_pdf(window: MonitorWindow) -> bytes:
    """The window as a PDF document (bytes)."""
    return layout(_page(window, printable=True))


def _page(window: MonitorWindow, *, printable: bool) -> str:
    css, script, policy = page_assets(printable=printable)
    template = environment().get_template("monitor.html.j2")
    view = monitor_view(window, chart=image if printable else Markup)
    return template.render(window=view, css=css, script=script, policy=policy, printable=printable)


def monitor_view(window: MonitorWindow, *, chart: Callable[[str], Markup]) -> MonitorView:
    """What the template shows of ``window``; ``chart`` turns an SVG into the page's markup for it."""
    servers = [
        ServerView(
            name=server,
            timeline=chart(timeline([s for s in window.health if s.server == server], window=window)),
            chart=chart(_latency(window, server)),
            hours=hour_rows(window, server),
        )
        for server in window.servers
    ]
    return MonitorView(
        monitor=window.monitor,
        since=iso8601(window.since),
        until=iso8601(window.until),
        servers=servers,
        alerts=[
            [iso8601(a.at), a.event, a.alertname, a.server, detail_text(a.detail)] for a in window.alerts
        ],
        active=[
            [a.alertname, a.server, a.state, iso8601(a.since), a.severity, notes_text(a.annotations)]
            for a in window.active
        ],
    )


def _latency(window: MonitorWindow, server: str) -> str:
    points: dict[str, list[tuple[float, float]]] = {"p50 ms": [], "p90 ms": [], "p99 ms": []}
    for h in window.hours:
        if h.server == server:
            x = (h.hour - window.since) / HOUR
            for name, value in zip(points, (h.p50_ms, h.p90_ms, h.p99_ms), strict=True):
                if value is not None:
                    points[name].append((x, value))
    colours = ("blue", "orange", "red")
    lines = [
        svg.Line(name=name, points=tuple(found), colour=colour)
        for (name, found), colour in zip(points.items(), colours, strict=True)
    ]
    return svg.line_chart(
        lines,
        title="Hourly latency percentiles",
        x_label=f"hours since {iso8601(window.since)}",
        y_label="ms",
    )


def timeline(spans: Sequence[HealthSpan], *, window: MonitorWindow, width: int = 640) -> str:
    """One bar over the window, a coloured span per health (its word inside when it fits, and in its
    tooltip with the reasons), and a legend naming each health shown."""
    left, right, span = 56, width - 12, (window.until - window.since) or 1.0
    title = "Health timeline"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="72"'
        f' viewBox="0 0 {width} 72" role="img" aria-label="{title}"><title>{title}</title>',
        f'<text x="{left}" y="16" {_FONT} font-weight="bold" fill="#333333">{title}</text>',
    ]
    for s in spans:
        x0 = left + (right - left) * (s.start - window.since) / span
        x1 = left + (right - left) * (s.end - window.since) / span
        fill = HEALTH_COLOURS.get(s.health, _UNKNOWN)
        tip = f"{s.health} {iso8601(s.start)} to {iso8601(s.end)}" + (
            f": {', '.join(s.reasons)}" if s.reasons else ""
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="24" width="{max(x1 - x0, 0.5):.1f}" height="18" fill="{fill}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if x1 - x0 >= 7 * len(s.health):
            parts.append(f'<text x="{x0 + 3:.1f}" y="37" {_FONT} fill="#ffffff">{escape(s.health)}</text>')
    x = float(left)
    for health in dict.fromkeys(s.health for s in spans):
        fill = HEALTH_COLOURS.get(health, _UNKNOWN)
        parts.append(f'<rect x="{x:.1f}" y="52" width="10" height="10" fill="{fill}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="61" {_FONT} fill="#333333">{escape(health)}</text>')
        x += 24 + 6.5 * len(health)
    parts.append("</svg>")
    return "".join(parts)
