"""What the dashboard's Runs pages show, built from the store's records: pure functions, no I/O.

The list is one :class:`RunRow` per recorded run (the store's :class:`~mcpctl.store.RunSummary`, so a
list of hundreds of runs reads no case). A run's page reuses the HTML report's view of it
(:func:`mcpctl.report.html.report_view`: its summary, failures with the spec's ``file:line``, each kind's
section and charts) and adds the trend of its cases over the earlier runs of the same suites
(:mod:`mcpctl.engine.trends`), charted with :mod:`mcpctl.report.svg`.

Every string the templates show is autoescaped there; the only markup built here is SVG from
:mod:`mcpctl.report.svg` (which escapes its text) and the report's case rows (escaped by report/html.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.engine.trends import CaseTrend, status_letters, trend_sparkline, trends
from mcpctl.report.html import ReportView, report_view
from mcpctl.report.json import iso8601
from mcpctl.report.text import duration
from mcpctl.report.trends import CaseChart, case_chart
from mcpctl.store import RunSummary

KINDS: Final = ("TestSuite", "LoadTest", "FaultScenario", "BatchPlan")
"""The kinds of spec a run records, as the list's filter offers them."""
STATUSES: Final = ("passed", "failed", "error", "skipped")
TREND_CHARTS: Final = 12
"""Cases charted on a run's page (flagged ones first); every case with history still has a table row."""
TREND_ROWS: Final = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRow:
    """One line of the runs list."""

    id: str
    command: str
    kinds: tuple[str, ...]
    suites: tuple[str, ...]
    status: str
    passed: int
    failed: int
    error: int
    skipped: int
    started: str
    """``2026-11-25 16:12:03 UTC``."""
    started_iso: str
    duration: str
    href: str
    report_href: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendRow:
    """One case of a run across the earlier runs of its suite."""

    suite: str
    case: str
    runs: int
    success: str
    p50: str
    p99: str
    spark: str
    """A text sparkline of p99 (of the duration when the case has no latencies), oldest to newest."""
    statuses: str
    """One letter per run: ``.`` passed, ``F`` failed, ``E`` error, ``S`` skipped."""
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPage:
    """Everything ``run.html.j2`` shows."""

    report: ReportView
    kinds: tuple[str, ...]
    started: str
    href: str
    report_href: str
    json_href: str
    trend_runs: int
    """How many runs the trends span (this one included)."""
    trends: list[TrendRow]
    charts: list[CaseChart]
    more_trends: int


def run_href(run_id: str) -> str:
    """The run page's path (the id percent-encoded: a stored id is whatever the store holds)."""
    return f"/runs/{quote(run_id, safe='')}"


def utc(timestamp: float) -> str:
    """Unix time as the pages print it, ``2026-11-25 16:12:03 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def kinds_of(labels: Sequence[str]) -> tuple[str, ...]:
    """The kinds among ``Kind/name`` labels, in first-seen order (a name may hold ``/``, a kind not)."""
    return tuple(dict.fromkeys(label.split("/", 1)[0] for label in labels))


def run_row(summary: RunSummary) -> RunRow:
    """The list's line for ``summary``."""
    href = run_href(summary.id)
    return RunRow(
        id=summary.id,
        command=summary.command,
        kinds=kinds_of(summary.suites),
        suites=summary.suites,
        status=summary.status,
        passed=summary.passed,
        failed=summary.failed,
        error=summary.error,
        skipped=summary.skipped,
        started=utc(summary.started_at),
        started_iso=iso8601(summary.started_at),
        duration=duration(summary.duration_ms),
        href=href,
        report_href=f"{href}/report",
    )


def matches(summary: RunSummary, *, kind: str | None, status: str | None) -> bool:
    """Whether ``summary`` passes the list's filters (``None``: any)."""
    if status is not None and summary.status != status:
        return False
    return kind is None or kind in kinds_of(summary.suites)


def label(suite: SuiteResult) -> str:
    """``Kind/name``, as the store's summaries and the trends name a suite."""
    return f"{suite.kind}/{suite.name}"


def run_page(run: RunResult, history: Sequence[RunResult]) -> RunPage:
    """The page of ``run``; ``history``: earlier runs sharing a suite with it, oldest first."""
    found = run_trends(run, history)
    # a case seen in one run has no trend yet: it gets no row
    shown = [t for t in found if len(t.runs) > 1]
    # flagged cases first, then those with latencies; a case skipped in every run has nothing to draw
    drawn = [t for t in shown if any(s != "skipped" for s in t.statuses)]
    charted = sorted(drawn, key=lambda t: (not t.flags, all(v is None for v in t.p99)))[:TREND_CHARTS]
    href = run_href(run.run_id)
    return RunPage(
        report=report_view(run, redact=str),
        kinds=kinds_of([label(suite) for suite in run.suites]),
        started=utc(run.started_at),
        href=href,
        report_href=f"{href}/report",
        json_href=f"/api/v1/runs/{quote(run.run_id, safe='')}",
        trend_runs=1 + len(history),
        trends=[trend_row(t) for t in shown[:TREND_ROWS]],
        charts=[case_chart(t) for t in charted],
        more_trends=max(len(shown) - TREND_ROWS, 0),
    )


def run_trends(run: RunResult, history: Sequence[RunResult]) -> list[CaseTrend]:
    """The trend of each case of ``run`` over the runs of ``history`` that ran the same suite."""
    found: list[CaseTrend] = []
    for suite in run.suites:
        name = label(suite)
        runs = [past for past in history if any(label(s) == name for s in past.suites)]
        cases = {case.name for case in suite.cases}
        found += [
            t
            for t in trends([*runs, run], match=name)
            if t.suite == name and t.case in cases and t.runs[-1] == run.run_id
        ]
    return found


def trend_row(trend: CaseTrend) -> TrendRow:
    """The trends table's row for ``trend``."""
    p50, p99 = trend.p50[-1], trend.p99[-1]
    return TrendRow(
        suite=trend.suite,
        case=trend.case,
        runs=len(trend.runs),
        success=f"{trend.success_rate * 100:.0f}%",
        p50="" if p50 is None else f"{p50:.3g}",
        p99="" if p99 is None else f"{p99:.3g}",
        spark=trend_sparkline(trend),
        statuses=status_letters(trend),
        flags=tuple(trend.flags),
    )
