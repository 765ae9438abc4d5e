"""Hourly rollups of samples: counts, percentiles, throughput, error rate and uptime per server and hour,
written to the store and pruned by retention."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.monitor.rollup import Rollups
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.store import alerts as stored
from mcpctl.store import open_store

HOUR = 3600.0
T0 = 1_800_000_000.0 - 1_800_000_000.0 % HOUR  # the start of an hour


def _sample(ts: float, server: str, outcome: str, latency_ms: float | None, health: str) -> dict[str, object]:
    return {
        "seq": 0,
        "ts": ts,
        "type": "sample",
        "server": server,
        "outcome": outcome,
        "latency_ms": latency_ms,
        "health": health,
    }


def test_samples_roll_up_per_server_and_hour(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        rollups = Rollups("prod", store, retention=7 * 24 * HOUR)
        for i in range(100):  # one probe a second for 100 s: 1..100 ms, every tenth one an error
            outcome = "error" if i % 10 == 9 else "ok"
            rollups.add(_sample(T0 + i, "a", outcome, float(i + 1), "healthy"))
        for i in range(10):  # b: 5 failed connects, then 5 probes while offline
            rollups.add(_sample(T0 + HOUR - 5 + i, "b", "connect_failed", None, "offline"))
        rollups.add({"seq": 0, "ts": T0, "type": "health", "server": "a"})  # not a sample: ignored
        rollups.flush(T0 + HOUR + 10)
        rows = {(row["server"], row["hour"]): row for row in stored.rollups(store, "prod")}
    a = rows[("a", T0)]
    assert (a["count"], a["errors"], a["outcomes"]) == (100, 10, {"ok": 90, "error": 10})
    assert a["p50_ms"] == pytest.approx(50.0, abs=0.1)
    assert a["p99_ms"] == pytest.approx(99.0, abs=0.1)
    assert a["throughput"] == pytest.approx(100 / 99)
    assert (a["error_rate"], a["uptime"]) == (0.1, 1.0)
    assert LatencyHistogram.decode(str(a["histogram"])).count == 100
    # b's probes straddle the hour: two rows, no latency, down the whole time
    assert [(k[1], r["count"], r["uptime"], r["p99_ms"]) for k, r in rows.items() if k[0] == "b"] == [
        (T0, 5, 0.0, None),
        (T0 + HOUR, 5, 0.0, None),
    ]


def test_the_hour_in_progress_is_rewritten_and_old_rows_are_pruned(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        rollups = Rollups("prod", store, retention=2 * HOUR)
        rollups.add(_sample(T0 + 1, "a", "ok", 5.0, "healthy"))
        rollups.flush(T0 + 2)
        rollups.add(_sample(T0 + 3, "a", "ok", 7.0, "healthy"))
        rollups.flush(T0 + 4)
        assert [r["count"] for r in stored.rollups(store, "prod")] == [2]  # one row, replaced
        rollups.add(_sample(T0 + 3 * HOUR, "a", "ok", 5.0, "healthy"))
        rollups.flush(T0 + 3 * HOUR + 1)
        rollups.prune(T0 + 3 * HOUR + 1)
        assert [r["hour"] for r in stored.rollups(store, "prod")] == [T0 + 3 * HOUR]
