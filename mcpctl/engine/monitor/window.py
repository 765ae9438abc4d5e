"""A server's recent probes in time slices: percentiles and error rate over the window stay cheap.

The window is cut into :data:`SLICES` slices keyed by wall-clock time; each holds a 2-figure
:class:`LatencyHistogram` (1 %: ample for a health threshold) and counts by outcome. A reading merges the
slices that overlap the window, so it costs a few histogram additions whatever the probe rate, and a
slice falls out of the window whole (the window is thus accurate to one slice width).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mcpctl.observe.histogram import LatencyHistogram

SLICES = 10
_FIGURES = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowStats:
    """Measurements over the window: latencies (ms) of answered probes, error rate over the probes that
    reached the server. Failed connects are counted apart (``unreachable``): they make a server offline,
    and once it is back they do not keep it unhealthy while they age out of the window."""

    count: int
    """Probes that connected (answered, failed or timed out)."""
    errors: int
    p50: float
    p90: float
    p99: float
    calls_per_second: float
    unreachable: int = 0
    """Probes whose connect failed."""

    @property
    def error_rate(self) -> float:
        """Failed probes (error, timeout) as a fraction of the probes that connected; 0.0 with none."""
        return self.errors / self.count if self.count else 0.0


class _Slice:
    __slots__ = ("histogram", "outcomes")

    def __init__(self) -> None:
        self.histogram = LatencyHistogram(significant_figures=_FIGURES)
        self.outcomes: Counter[str] = Counter()


class RollingWindow:
    """Probes of the last ``seconds``, by outcome, with the latencies of those that were answered."""

    def __init__(self, seconds: float, *, slices: int = SLICES) -> None:
        self.seconds = seconds
        self._width = seconds / slices
        self._count = slices
        self._slices: dict[int, _Slice] = {}
        self._older: tuple[int, int, _Slice] | None = None
        """The slices ``first..last-1`` of the last :meth:`stats` merged (keyed by that range): only the
        newest slice changes between probes, so each stats merges two histograms, not ten."""

    def add(self, ts: float, outcome: str, latency_ns: int | None) -> None:
        """Count a probe that started at Unix time ``ts``; ``latency_ns`` when it got an answer."""
        key = int(ts // self._width)
        bucket = self._slices.get(key)
        if bucket is None:
            bucket = self._slices[key] = _Slice()
            self._drop_before(key)
        bucket.outcomes[outcome] += 1
        if latency_ns is not None:
            bucket.histogram.record(latency_ns)
        if self._older is not None and key <= self._older[1]:
            self._older = None  # a late sample landed in a merged slice

    def _drop_before(self, newest: int) -> None:
        oldest = newest - self._count
        for key in [key for key in self._slices if key <= oldest]:
            del self._slices[key]

    def stats(self, now: float) -> WindowStats:
        """The measurements over the slices overlapping ``(now - seconds, now]``."""
        first = int((now - self.seconds) // self._width) + 1
        last = int(now // self._width)
        older = self._merged_before(first, last)
        merged = LatencyHistogram(significant_figures=_FIGURES)
        merged.merge(older.histogram)
        outcomes = Counter(older.outcomes)
        newest = self._slices.get(last)
        if newest is not None:
            merged.merge(newest.histogram)
            outcomes.update(newest.outcomes)
        unreachable = outcomes.pop("connect_failed", 0)
        p50, p90, p99 = merged.percentiles((50, 90, 99))
        count = sum(outcomes.values())
        return WindowStats(
            count=count,
            errors=count - outcomes["ok"],
            unreachable=unreachable,
            p50=p50,
            p90=p90,
            p99=p99,
            calls_per_second=count / self.seconds if self.seconds > 0 else 0.0,
        )

    def _merged_before(self, first: int, last: int) -> _Slice:
        """Slices ``first`` to ``last - 1`` merged, from the cache when the range is the same."""
        if self._older is not None and self._older[:2] == (first, last - 1):
            return self._older[2]
        merged = _Slice()
        for key, bucket in self._slices.items():
            if first <= key < last:
                merged.histogram.merge(bucket.histogram)
                merged.outcomes.update(bucket.outcomes)
        self._older = (first, last - 1, merged)
        return merged
