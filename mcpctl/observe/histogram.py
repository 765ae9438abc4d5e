"""Latency histograms: record nanoseconds, count microseconds, report milliseconds.

A :class:`LatencyHistogram` is an HdrHistogram over 1 µs to 1 hour at 3 significant figures (every value
within 0.1 %; about 190 KB of counters whatever the number of samples). It counts **microseconds**: the
callers time with ``time.perf_counter_ns`` and pass nanoseconds, but nothing an MCP call does is
meaningful below a microsecond, microseconds are the unit wrk2 and the HdrHistogram tools log in (so an
encoded histogram reads the same there), and 1 µs as the lowest trackable value keeps exact 1 µs steps up to
2 ms. Nanoseconds are rounded to the nearest microsecond; values outside the range are clamped to it (a
latency above one hour is counted as one hour rather than lost).

Histograms from shards or worker processes are combined with :meth:`LatencyHistogram.merge`, which adds
counts: the merged percentiles are exactly those of one histogram fed every sample. The mean is exact (a
running sum of the recorded microseconds travels with the counts), not HdrHistogram's bucket-midpoint
estimate, which also costs a walk over every counter.

The summary is :class:`LatencyStats`, not :class:`mcpctl.engine.results.LatencySummary`: that record has
no p99.9, and observe must not change the engine's records.
"""

from __future__ import annotations

import array
import bisect
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from hdrh.codec import HdrCookieException, HdrLengthException
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
"""One hour in microseconds: the largest latency counted as itself."""
SIGNIFICANT_FIGURES = 3
PERCENTILES = (50.0, 90.0, 95.0, 99.0, 99.9)
"""The percentiles a :class:`LatencyStats` reports (with min and max)."""

_FORMAT = "mcpctl-hdr1"
_DECODE_ERRORS = (ValueError, TypeError, zlib.error, HdrCookieException, HdrLengthException)
_ARRAY_CODES = {2: "H", 4: "I", 8: "Q"}
"""array typecodes of unsigned ints by size, for copying the counters out of their ctypes array."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyStats:
    """The latencies of ``count`` samples in milliseconds (percentiles by nearest rank, within 0.1 %)."""

    count: int
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    p999: float
    max: float
    mean: float


def _clamp_us(value_ns: int) -> int:
    return min(max((value_ns + 500) // 1000, 0), HIGHEST_US)


class LatencyHistogram:
    """Latencies in constant memory; ``record`` costs 1-2 µs.

    Not thread-safe (trio runs one task at a time). Equality compares every counter and the exact sum;
    being mutable, it is not hashable.
    """

    __slots__ = ("_hdr", "_sum_us")

    def __init__(self, *, significant_figures: int = SIGNIFICANT_FIGURES) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, significant_figures)
        self._sum_us = 0

    @property
    def significant_figures(self) -> int:
        """The relative precision: 3 keeps every value within 0.1 %, 2 within 1 %."""
        return int(self._hdr.significant_figures)

    def record(self, value_ns: int) -> None:
        """Count one latency of ``value_ns`` nanoseconds."""
        value_us = _clamp_us(value_ns)
        self._hdr.record_value(value_us)
        self._sum_us += value_us

    def record_corrected(self, value_ns: int, expected_interval_ns: int) -> None:
        """Count one latency and the samples a stall kept from being sent (coordinated omission).

        When a call that should have started every ``expected_interval_ns`` took longer, the calls a
        closed loop did not send meanwhile would have waited too: like wrk2, count ``value - interval``,
        ``value - 2 * interval``, … down to the interval. Use it where requests wait for one another; the
        open model measures from the intended start instead and records plainly.
        """
        value_us = _clamp_us(value_ns)
        interval_us = _clamp_us(expected_interval_ns)
        before = self._hdr.get_total_count()
        self._hdr.record_corrected_value(value_us, interval_us)
        added = self._hdr.get_total_count() - before
        # the library recorded value, value - interval, ...: an arithmetic series of `added` terms
        self._sum_us += added * value_us - interval_us * added * (added - 1) // 2

    @property
    def count(self) -> int:
        """How many latencies were recorded (corrected ones included)."""
        return int(self._hdr.get_total_count())

    @property
    def min(self) -> float:
        """The smallest latency in milliseconds (0.0 when empty)."""
        return int(self._hdr.get_min_value()) / 1000 if self.count else 0.0

    @property
    def max(self) -> float:
        """The largest latency in milliseconds (0.0 when empty)."""
        return int(self._hdr.get_max_value()) / 1000

    @property
    def mean(self) -> float:
        """The exact mean of the recorded (rounded, clamped) latencies in milliseconds."""
        return self._sum_us / self.count / 1000 if self.count else 0.0

    def percentile(self, p: float) -> float:
        """The latency in milliseconds that ``p`` percent of samples do not exceed (0.0 when empty)."""
        return self.percentiles((p,))[0]

    def percentiles(self, ps: Sequence[float]) -> list[float]:
        """:meth:`percentile` of each of ``ps``, in one pass over the counters.

        The same values as HdrHistogram's ``get_value_at_percentile`` (the highest value equivalent to
        the first counter whose running count reaches the target), which walks the counters in Python,
        three calls per counter: ~0.5 ms per percentile, paid by a monitor at every probe. Here the
        running counts come from one C-level accumulate over the counters copied as bytes.
        """
        total = self.count
        if not total:
            return [0.0 for _ in ps]
        hdr = self._hdr
        # counters above the largest value hold nothing: stop there (most latencies sit in a short prefix)
        end = int(hdr.get_counts_array_index(hdr.get_max_value())) + 1
        running = list(itertools.accumulate(self._counters()[:end]))
        found = []
        for p in ps:
            target = max(int(min(p, 100.0) * total / 100 + 0.5), 1)
            index = min(bisect.bisect_left(running, target), len(running) - 1)
            value = hdr.get_value_from_index(index)
            exact = hdr.get_highest_equivalent_value(value) if p else hdr.get_lowest_equivalent_value(value)
            found.append(int(exact) / 1000)
        return found

    def _counters(self) -> array.array[int]:
        raw = memoryview(self._hdr.counts)
        counts = array.array(_ARRAY_CODES[raw.itemsize])
        counts.frombytes(raw.cast("B"))
        return counts

    def counts_at_or_below(self, limits_us: Sequence[int]) -> list[int]:
        """Cumulative counts of samples at or below each limit (µs, ascending), in one pass.

        A limit inside a counter's range counts that counter whole (above 2,048 µs a counter spans
        more than one µs, so a sample up to 0.05 % above the limit may be counted). HdrHistogram's
        value iterator calls three methods per counter (~35 ms for 23,552 counters); summing slices of
        the counter array, copied whole as bytes (a list() of the ctypes array alone took ~2 ms), takes
        a fraction of a millisecond: a /metrics scrape of hundreds of servers stays cheap.
        """
        counts = self._counters()
        running, start, result = 0, 0, []
        for limit in limits_us:
            end = min(int(self._hdr.get_counts_array_index(limit)), len(counts) - 1) + 1
            running += sum(counts[start:end])
            start = max(start, end)
            result.append(running)
        return result

    def summary(self) -> LatencyStats:
        """Count, min, p50 … p99.9, max and mean in one pass over the counters (about a millisecond)."""
        if not self.count:
            return LatencyStats(
                count=0, min=0.0, p50=0.0, p90=0.0, p95=0.0, p99=0.0, p999=0.0, max=0.0, mean=0.0
            )
        at = self._hdr.get_percentile_to_value_dict(list(PERCENTILES))
        ms = {p: int(at[p]) / 1000 for p in PERCENTILES}
        return LatencyStats(
            count=self.count,
            min=self.min,
            p50=ms[50.0],
            p90=ms[90.0],
            p95=ms[95.0],
            p99=ms[99.0],
            p999=ms[99.9],
            max=self.max,
            mean=self.mean,
        )

    def merge(self, other: LatencyHistogram) -> None:
        """Add ``other``'s samples to this histogram (both must have the same precision)."""
        if other.significant_figures != self.significant_figures:
            raise ValueError(
                f"cannot merge a histogram of {other.significant_figures} significant figures"
                f" into one of {self.significant_figures}"
            )
        # HdrHistogram.add takes min(own min, other's min) and an empty histogram's min is 0
        if other.count:
            self._hdr.add(other._hdr)
            self._sum_us += other._sum_us

    def encode(self) -> str:
        """An ASCII text holding every counter (HdrHistogram's compressed V2 form) and the exact sum."""
        blob: bytes = self._hdr.encode()
        return f"{_FORMAT}:{self._sum_us}:{blob.decode('ascii')}"

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        """The histogram :meth:`encode` wrote; ``ValueError`` if ``text`` is not one."""
        tag, _, rest = text.partition(":")
        sum_text, _, blob = rest.partition(":")
        if tag != _FORMAT or not sum_text.isdigit() or not blob:
            raise ValueError(f"not an encoded latency histogram ({_FORMAT}:SUM:BASE64): {text[:40]!r}")
        try:
            hdr = HdrHistogram.decode(blob.encode("ascii"))
        except _DECODE_ERRORS as error:
            raise ValueError(f"corrupt latency histogram: {str(error) or type(error).__name__}") from None
        if (hdr.lowest_trackable_value, hdr.highest_trackable_value) != (LOWEST_US, HIGHEST_US):
            raise ValueError(
                f"latency histogram covers {hdr.lowest_trackable_value}..{hdr.highest_trackable_value} µs,"
                f" expected {LOWEST_US}..{HIGHEST_US}"
            )
        histogram = cls.__new__(cls)
        histogram._hdr = hdr
        histogram._sum_us = int(sum_text)
        return histogram

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return self._sum_us == other._sum_us and bool(self._hdr.equals(other._hdr))

    def __repr__(self) -> str:
        return f"LatencyHistogram(count={self.count}, p50={self.percentile(50)}ms, max={self.max}ms)"
