"""The rolling window reuses the merge of its older slices between probes: the figures must be those of
a fresh merge, late samples included."""

from __future__ import annotations

import random

from mcpctl.engine.monitor.window import RollingWindow


def test_the_window_cache_gives_what_a_fresh_merge_gives() -> None:
    cached, seen = RollingWindow(10.0), []
    rng = random.Random(3)
    for step in range(200):
        now = 1000.0 + step * 0.25
        ts = now - (2.0 if step % 17 == 0 else 0.0)  # every 17th arrives late, into an older slice
        outcome = "error" if step % 5 == 0 else "ok"
        latency = int(rng.uniform(1e5, 5e7))
        cached.add(ts, outcome, latency)
        seen.append((ts, outcome, latency))
        fresh = RollingWindow(10.0)
        for sample in seen:
            fresh.add(*sample)
        assert cached.stats(now) == fresh.stats(now)
