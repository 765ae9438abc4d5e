"""``mcpctl trends [SPEC] [--last N]``: each case across the last N recorded runs: success rate, p50/p99,
a sparkline, and the changes the newest run made that the history says are significant
(mcpctl.engine.trends)."""

from __future__ import annotations

import json

from tabulate import tabulate

from mcpctl.engine.trends import CaseTrend, status_letters, trend_sparkline, trends
from mcpctl.errors import UsageError
from mcpctl.store import open_store
from mcpctl.store import state_dir as find_state_dir


def run_trends(spec: str | None, *, last: int, state_dir: str | None, output: str) -> int:
    """Print the trends of the last ``last`` runs (of ``spec`` only, when given)."""
    if output not in ("text", "json", "html"):
        raise UsageError(f"--output {output!r}: expected text, json or html")
    if last < 2:
        raise UsageError(f"--last {last}: a trend needs at least 2 runs")
    with open_store(find_state_dir(state_dir), create=False) as store:
        runs = [store.get_run(summary.id) for summary in reversed(store.list_runs(limit=last))]
    found = trends(runs, match=spec)
    if output == "html":
        from mcpctl.report.trends import render_trends_html

        print(render_trends_html(found, runs=len(runs)), end="")
        return 0
    if output == "json":
        print(json.dumps([_json(t) for t in found], indent=2))
        return 0
    if not found:
        print("no runs recorded" if not runs else f"no case of {spec!r} in the last {len(runs)} runs")
        return 0
    rows = [_row(t) for t in found]
    headers = ["SUITE", "CASE", "RUNS", "PASSED", "P50 MS", "P99 MS", "P99 (OLDEST → NEWEST)", "STATUS"]
    print(tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True))
    flagged = [t for t in found if t.flags]
    for trend in flagged:
        for flag in trend.flags:
            print(f"changed: {trend.suite} {trend.case}: {flag}")
    print(f"{len(runs)} runs; {len(flagged)} case(s) changed significantly in the newest run")
    return 0


def _row(trend: CaseTrend) -> list[str]:
    p50, p99 = trend.p50[-1], trend.p99[-1]
    return [
        trend.suite,
        trend.case,
        str(len(trend.runs)),
        f"{trend.success_rate * 100:.0f}%",
        "" if p50 is None else f"{p50:.3g}",
        "" if p99 is None else f"{p99:.3g}",
        trend_sparkline(trend),
        status_letters(trend),
    ]


def _json(trend: CaseTrend) -> dict[str, object]:
    return {
        "suite": trend.suite,
        "case": trend.case,
        "runs": trend.runs,
        "statuses": trend.statuses,
        "successRate": trend.success_rate,
        "p50": trend.p50,
        "p99": trend.p99,
        "durationMs": trend.duration_ms,
        "flags": trend.flags,
    }
