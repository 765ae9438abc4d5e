"""Trends across runs: per case series, success rate, and the significant changes of the newest run."""

from __future__ import annotations

import dataclasses

from mcpctl.engine.results import CaseResult, LatencySummary, RunResult, SuiteResult
from mcpctl.engine.trends import outlier, trends
from mcpctl.observe.sparkline import sparkline


def _run(index: int, p99: float, status: str = "passed") -> RunResult:
    latency = LatencySummary(
        count=100, min=1, p50=p99 / 4, p90=p99 / 2, p95=p99 / 1.5, p99=p99, max=p99, mean=p99 / 4
    )
    case = CaseResult(name="call", status=status, duration_ms=10.0, latency=latency)  # type: ignore[arg-type]
    other = SuiteResult(kind="TestSuite", name="other", server="s", spec_path="other.yaml", cases=(case,))
    suite = SuiteResult(kind="LoadTest", name="api", server="s", spec_path="specs/api.yaml", cases=(case,))
    return RunResult(
        run_id=f"r{index}", command="load", started_at=index, duration_ms=1.0, suites=(suite, other)
    )


def test_a_p99_beyond_three_scaled_mads_of_its_history_is_flagged() -> None:
    runs = [_run(i, p99) for i, p99 in enumerate([20.0, 21.0, 19.5, 20.5, 31.0])]
    (trend,) = trends(runs, match="specs/api.yaml")
    assert (trend.suite, trend.case, trend.runs) == ("LoadTest/api", "call", ["r0", "r1", "r2", "r3", "r4"])
    assert trend.flags == [
        "p50 up +53%: 7.75 ms against a median of 5.06 ms over 4 runs (beyond 3 scaled MADs)",
        "p99 up +53%: 31 ms against a median of 20.2 ms over 4 runs (beyond 3 scaled MADs)",
    ]


def test_noise_within_the_history_is_not_flagged_and_a_status_flip_is() -> None:
    runs = [_run(i, p99) for i, p99 in enumerate([20.0, 22.0, 19.0, 21.0])]
    runs.append(_run(4, 21.5, status="failed"))
    (trend,) = trends(runs, match="LoadTest/api")
    assert trend.flags == ["now failed (passed in the run before)"]
    assert trend.success_rate == 0.8
    assert len(trends(runs)) == 2  # without a match: every suite's cases


def test_a_short_or_steady_history_judges_nothing_it_cannot() -> None:
    assert outlier("p99", [20.0, 20.0, 30.0]) is None  # fewer than 3 earlier runs
    assert outlier("p99", [20.0, 20.0, 20.0, 20.4]) is None  # within the 5% floor of a steady history
    assert outlier("p99", [20.0, 20.0, 20.0, 23.5]) is not None  # beyond 3 x the floor (1 ms)


def test_sparklines_scale_and_leave_gaps() -> None:
    assert sparkline([1.0, None, 8.0]) == "▁ █"
    assert sparkline([None]) == " "


def test_the_html_page_charts_each_case_and_escapes_what_servers_named() -> None:
    from html.parser import HTMLParser

    from mcpctl.report.trends import render_trends_html

    runs = [_run(i, p99) for i, p99 in enumerate([20.0, 21.0, 19.5, 20.5, 31.0])]
    hostile = [
        dataclasses.replace(r, suites=(dataclasses.replace(r.suites[0], name="<script>x</script>"),))
        for r in runs
    ]
    page = render_trends_html(trends(hostile), runs=len(hostile))
    assert "<script>x</script>" not in page
    assert "LoadTest/&lt;script&gt;x&lt;/script&gt;" in page
    assert page.count("<svg") == 1
    assert "changed: p99 up +53%" in page
    HTMLParser().feed(page)  # well-formed enough for a parser
