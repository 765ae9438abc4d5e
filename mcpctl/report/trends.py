"""``mcpctl trends --format html``: the trends of mcpctl.engine.trends as one self-contained page, a p50/p99
chart per case across the runs (inline SVG) and the table the terminal shows, in the report's style and
under the same Content-Security-Policy (no script at all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from mcpctl.engine.trends import CaseTrend
from mcpctl.report.html import environment, page_assets
from mcpctl.report.svg import Line, line_chart


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseChart:
    """One case's p50/p99 chart across runs, with its flags (this page's and the dashboard's run page)."""

    title: str
    flags: tuple[str, ...]
    chart: Markup


def render_trends_html(trends: Sequence[CaseTrend], *, runs: int) -> str:
    """The page for ``trends`` over ``runs`` recorded runs."""
    css, _, policy = page_assets(printable=True)  # the print stylesheet: no script on this page
    template = environment().get_template("trends.html.j2")
    return template.render(
        css=css,
        policy=policy,
        runs=runs,
        changed=sum(1 for t in trends if t.flags),
        rows=[_row(t) for t in trends],
        cases=[case_chart(t) for t in trends],
    )


def _row(trend: CaseTrend) -> list[str]:
    p50, p99 = trend.p50[-1], trend.p99[-1]
    return [
        trend.suite,
        trend.case,
        str(len(trend.runs)),
        f"{trend.success_rate * 100:.0f}%",
        "" if p50 is None else f"{p50:.3g}",
        "" if p99 is None else f"{p99:.3g}",
        " ".join(trend.statuses),
        "; ".join(trend.flags),
    ]


def case_chart(trend: CaseTrend) -> CaseChart:
    """p50 and p99 of ``trend`` run after run (its duration when it has no latencies), as inline SVG."""

    def points(values: Sequence[float | None]) -> tuple[tuple[float, float], ...]:
        return tuple((float(i + 1), v) for i, v in enumerate(values) if v is not None)

    lines = [
        Line(name="p50", points=points(trend.p50), colour="blue"),
        Line(name="p99", points=points(trend.p99), colour="orange"),
    ]
    if not any(line.points for line in lines):
        lines = [Line(name="duration", points=points(trend.duration_ms), colour="blue")]
    chart = line_chart(
        [line for line in lines if line.points],
        title=f"{trend.suite} {trend.case}",
        x_label="run (oldest → newest)",
        y_label="ms",
    )
    return CaseChart(
        title=f"{trend.suite} — {trend.case}", flags=tuple(trend.flags), chart=Markup(chart)
    )  # svg escapes its text
