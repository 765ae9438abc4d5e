"""The overall counter: outcomes counted per call, histograms gathered from the entries' when read."""

from __future__ import annotations

from mcpctl.engine.load.metrics import Metrics
from mcpctl.observe.histogram import LatencyHistogram


def test_the_overall_histograms_are_the_entries_together_whenever_read() -> None:
    metrics = Metrics(("echo", "list"), started_at=0.0, start_ns=0)
    whole, first_bytes = LatencyHistogram(), LatencyHistogram()
    for n in range(1, 301):
        name, first_byte = ("echo", n * 1000) if n % 3 else ("list", 0)
        metrics.record(name, "ok" if n % 7 else "timeout", n * 10_000, n, first_byte)
        whole.record(n * 10_000)
        if first_byte:
            first_bytes.record(first_byte)
        if n in (150, 300):  # read in the middle of the run, then at the end
            assert metrics.overall.count == n
            assert metrics.overall.histogram.summary() == whole.summary()
            first = metrics.overall.first_byte
            assert first is not None
            assert first.summary() == first_bytes.summary()
    assert metrics.overall.outcomes == {"ok": 258, "timeout": 42}
    assert metrics.entries["list"].first_byte is None


def test_one_entry_shares_its_histograms_with_the_overall() -> None:
    metrics = Metrics(("echo",), started_at=0.0, start_ns=0)
    metrics.record("echo", "ok", 5_000_000, 1)
    assert metrics.overall.histogram is metrics.entries["echo"].histogram
    metrics.record("echo", "ok", 7_000_000, 2)
    assert metrics.overall.histogram.count == 2
