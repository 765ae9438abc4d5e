"""Hourly rollups of a monitor's samples in the state store, and retention.

Per server and clock hour (UTC, the hour's start as the key): probes, errors, counts by outcome, p50/p90/p99
(from an HDR histogram of the hour, kept encoded in the record so an hour can be merged further), throughput
(probes per second over the part of the hour observed), error rate and uptime (the share of probes that
found the server not offline). The hour in progress is written every minute and when the monitor stops, so
a crash loses at most a minute; rows older than the Monitor's ``retention`` are pruned every hour.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import trio

from mcpctl.observe.events import Event
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.store import alerts as stored
from mcpctl.store.db import Store

HOUR = 3600.0
FLUSH_EVERY = 60.0


@dataclass(slots=True)
class _Hour:
    first: float
    last: float
    count: int = 0
    errors: int = 0
    up: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def record(self) -> dict[str, object]:
        observed = max(self.last - self.first, 1.0)
        return {
            "count": self.count,
            "errors": self.errors,
            "outcomes": dict(self.outcomes),
            "p50_ms": self.latency.percentile(50) if self.latency.count else None,
            "p90_ms": self.latency.percentile(90) if self.latency.count else None,
            "p99_ms": self.latency.percentile(99) if self.latency.count else None,
            "throughput": self.count / observed,
            "error_rate": self.errors / self.count if self.count else None,
            "uptime": self.up / self.count if self.count else None,
            "first": self.first,
            "last": self.last,
            "histogram": self.latency.encode(),
        }


class Rollups:
    """Accumulates ``sample`` events into hours and writes them to the store."""

    def __init__(self, monitor: str, store: Store, *, retention: float) -> None:
        self.monitor = monitor
        self.store = store
        self.retention = retention
        self._hours: dict[tuple[str, float], _Hour] = {}
        self._dirty: set[tuple[str, float]] = set()

    def add(self, event: Event) -> None:
        """Count a ``sample`` event (other events are ignored); an event listener."""
        if event["type"] != "sample":
            return
        ts = float(str(event["ts"]))
        key = (str(event["server"]), math.floor(ts / HOUR) * HOUR)
        hour = self._hours.get(key)
        if hour is None:
            hour = self._hours[key] = _Hour(first=ts, last=ts)
        hour.last = max(hour.last, ts)
        hour.count += 1
        outcome = str(event["outcome"])
        hour.outcomes[outcome] += 1
        hour.errors += outcome != "ok"
        hour.up += event.get("health") != "offline"
        latency = event.get("latency_ms")
        if isinstance(latency, int | float):
            hour.latency.record(round(latency * 1e6))
        self._dirty.add(key)

    def flush(self, now: float) -> None:
        """Write the hours that changed; forget finished hours once written."""
        if self._dirty:
            rows = [
                (server, start, self._hours[(server, start)].record())
                for server, start in sorted(self._dirty)
            ]
            stored.save_rollups(self.store, self.monitor, rows)
            self._dirty.clear()
        current = math.floor(now / HOUR) * HOUR
        for key in [key for key in self._hours if key[1] < current]:
            del self._hours[key]

    def prune(self, now: float) -> None:
        """Drop stored rows older than the retention."""
        stored.prune(self.store, self.monitor, before=now - self.retention)

    async def run(
        self, clock: Callable[[], float], *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Flush every minute and prune every hour until cancelled; flush once more when cancelled."""
        task_status.started()
        pruned = 0.0
        try:
            while True:
                now = float(clock())
                if now - pruned >= HOUR:
                    self.prune(now)
                    pruned = now
                await trio.sleep(FLUSH_EVERY)
                self.flush(float(clock()))
        finally:
            self.flush(float(clock()))
