"""What ``mcpctl load`` shows: the live panel, the plain progress line and the summary's first-byte lines."""

from __future__ import annotations

import io

from rich.console import Console

from mcpctl.cli.load_view import LiveLoadView, PlainLoadView, render_summary
from mcpctl.engine.load.metrics import Metrics
from mcpctl.engine.load.thresholds import Watch
from mcpctl.spec.load_model import LoadTestSpec
from mcpctl.spec.model import Metadata, Source
from tests.unit.load.test_shard import build, profile, samples

SOURCE = Source(path="t.yaml", line=1, column=1)


def spec() -> LoadTestSpec:
    return LoadTestSpec(
        metadata=Metadata(name="steady"),
        server="echo",
        scenario=(),
        profile=profile((10, 100.0), start=100.0),
        source=SOURCE,
        spec_hash="0" * 64,
    )


def running() -> Metrics:
    metrics = Metrics(("echo",), started_at=0.0, start_ns=0)
    for n in range(40):
        metrics.record("echo", "ok" if n % 10 else "timeout", (n + 1) * 1_000_000, n * 100_000_000)
    metrics.in_flight = 3
    metrics.dropped = 2
    return metrics


def test_the_live_panel_shows_stage_rate_in_flight_percentiles_errors_and_lag() -> None:
    view = LiveLoadView(spec(), color=False, redact=str)
    out = io.StringIO()
    Console(file=out, width=100, no_color=True).print(view._panel(running(), 4.0))
    text = out.getvalue()
    assert "elapsed   4s / 10s" in text
    assert "stage 1/1, target 100.0/s, achieved 10.0 calls/s" in text
    assert "calls     40 ended, 3 in flight" in text
    assert "latency   p50 20.0ms, p90 36.0ms, p99 40.0ms" in text
    assert "errors    timeout 4" in text
    assert "dropped 2" in text


def test_the_plain_line_every_5_seconds_says_the_calls_in_flight() -> None:
    out = io.StringIO()
    view = PlainLoadView(spec(), out, redact=str)
    view.on_second(running(), 4.0)
    assert out.getvalue() == ""
    view.on_second(running(), 5.0)
    assert out.getvalue() == ("LoadTest/steady: 5s/10s, 8.0 calls/s, 3 in flight, p99 40.0ms, 4 errors\n")


def test_the_summary_has_the_time_to_first_byte_of_the_calls_that_have_one() -> None:
    result = build(samples(1, 400, 20_000_000), watch=Watch(()))
    text = render_summary(result, None, redact=str)
    lines = text.splitlines()
    start = lines.index("time to first byte (HTTP response head):")
    echo, overall = result.calls[0].first_byte, result.overall.first_byte
    assert echo is not None
    assert overall is not None
    assert lines[start + 1] == (
        f"  echo     p50 {echo.p50:.2f}ms, p90 {echo.p90:.2f}ms, p99 {echo.p99:.2f}ms, max {echo.max:.2f}ms"
    )
    assert lines[start + 2].startswith("  overall  p50 ")
    assert "refuse" not in lines[start + 2]


def test_no_first_byte_lines_over_stdio() -> None:
    result = build([("refuse", "ok", 2_000_000, 1.0)], watch=Watch(()))
    assert "time to first byte" not in render_summary(result, None, redact=str)


def test_a_threshold_that_broke_live_but_held_at_the_end_says_both() -> None:
    from mcpctl.cli.load_view import threshold_line
    from mcpctl.engine.load.metrics import ThresholdResult
    from tests.unit.load.test_shard import thresholds

    [rate] = thresholds("rate > 20/s")
    held = ThresholdResult(text="rate > 20/s", call=None, passed=True, value=33.3, broke_at=1.0)
    failed = ThresholdResult(text="rate > 20/s", call=None, passed=False, value=12.0, broke_at=1.0)
    assert threshold_line(rate, held) == "✓ rate > 20/s: 33.3/s (broke at 1s, held at the end)"
    assert threshold_line(rate, failed) == "✗ rate > 20/s: 12.0/s (broke at 1s)"
