"""The ticks of ``--workers`` processes and their merge into the live view's metrics."""

from __future__ import annotations

import orjson

from mcpctl.engine.load.metrics import Metrics
from mcpctl.engine.load.workers import LiveTotals, tick


def fed(samples: list[tuple[str, int]], *, in_flight: int = 0, dropped: int = 0) -> Metrics:
    metrics = Metrics(("echo",), started_at=0.0, start_ns=0)
    for n, (outcome, latency_ns) in enumerate(samples):
        metrics.record("echo", outcome, latency_ns, n)
        metrics.lag.record(latency_ns // 10)
    metrics.in_flight, metrics.dropped = in_flight, dropped
    return metrics


def test_the_totals_are_the_last_tick_of_each_worker_added() -> None:
    one = [("ok", 1_000_000 * n) for n in range(1, 50)]
    two = [("ok", 3_000_000 * n) for n in range(1, 30)] + [("timeout", 900_000_000)]
    totals = LiveTotals(("echo",), started_at=0.0, start_ns=0)
    totals.update(1, orjson.loads(orjson.dumps(tick(fed(one[:10]), 1.0))))  # replaced by the next
    totals.update(1, orjson.loads(orjson.dumps(tick(fed(one, in_flight=2), 2.0))))
    totals.update(2, orjson.loads(orjson.dumps(tick(fed(two, in_flight=3, dropped=4), 2.0))))
    merged, whole = totals.metrics(), fed(one + two)
    assert merged.overall.outcomes == {"ok": 78, "timeout": 1}
    assert merged.overall.count == 79
    assert merged.overall.histogram.summary() == whole.overall.histogram.summary()
    assert merged.lag.summary() == whole.lag.summary()
    assert (merged.in_flight, merged.dropped) == (5, 4)
