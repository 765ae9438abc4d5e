"""Per-second counts and latencies of a run, in bounded memory.

A :class:`TimeSeries` holds buckets keyed by the wall-clock (Unix) second they begin at. Each bucket counts
records by outcome (``ok``, ``is_error``, ``rpc:-32603``, ``timeout``, …: any string) and keeps a
:class:`LatencyHistogram` at 2 significant figures (1 %: plenty for a chart, and about a tenth of the
bytes of a 3-figure one).

**Memory stays bounded.** Only the two most recently opened buckets hold live histograms (about 27 KB
each); older ones are kept encoded (HdrHistogram's compressed form): measured, a whole bucket takes
0.4 KB at 10 calls/s and 0.9 KB at 5,000 calls/s, so 3,600 buckets stay under 4 MB. A record for an
encoded bucket (a late completion) decodes it again. At most ``max_buckets`` buckets exist: when one
more would be needed, the width doubles (1 s, 2 s, 4 s, …) and each pair of adjacent buckets is merged,
counts and histograms added, so the resolution halves and the totals stay exact. A 10-hour run in 3,600
buckets ends at 16 s a bucket. Compacting 3,600 buckets takes about 0.13 s, once per doubling of the run's
length.

**Shards merge.** Bucket boundaries are multiples of the width counted from the Unix epoch, not from the
run's start: two shards started a few seconds apart still put a given wall-clock second in the same bucket
at every width, so :meth:`TimeSeries.merge` adds buckets with equal keys, after bringing both series to the
coarser width.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from mcpctl.observe.histogram import LatencyHistogram, LatencyStats

BUCKET_FIGURES = 2
"""Significant figures of the per-bucket histograms."""
_LIVE = 2
"""How many buckets keep a live (decoded) histogram: the current second and the one before it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimePoint:
    """One bucket of a series, as reports and the live view read it."""

    start: int
    """The Unix second the bucket begins at (a multiple of ``width``)."""
    width: int
    """Seconds the bucket covers: 1, or a power of two once the series was compacted."""
    outcomes: Mapping[str, int]
    """Records by outcome."""
    latency: LatencyStats


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketRecord:
    """A bucket as a shard saves it."""

    start: int
    outcomes: Mapping[str, int]
    latency: str
    """:meth:`LatencyHistogram.encode`, or "" when no latency was recorded in the bucket."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesRecord:
    """A whole series as a shard saves it: :meth:`TimeSeries.to_record` and :meth:`TimeSeries.from_record`."""

    start: int
    width: int
    max_buckets: int
    buckets: tuple[BucketRecord, ...]


class _Bucket:
    """Counts by outcome and a histogram that is live (``_live``) or encoded (``_sealed``, "" when empty)."""

    __slots__ = ("_live", "_sealed", "outcomes")

    def __init__(self, *, sealed: str = "", outcomes: Mapping[str, int] | None = None) -> None:
        self.outcomes: dict[str, int] = dict(outcomes or {})
        self._live: LatencyHistogram | None = None
        self._sealed = sealed

    @property
    def is_live(self) -> bool:
        return self._live is not None

    def open(self) -> LatencyHistogram:
        if self._live is None:
            self._live = (
                LatencyHistogram.decode(self._sealed)
                if self._sealed
                else LatencyHistogram(significant_figures=BUCKET_FIGURES)
            )
            self._sealed = ""
        return self._live

    def seal(self) -> None:
        if self._live is not None:
            self._sealed = self._live.encode() if self._live.count else ""
            self._live = None

    @property
    def has_latency(self) -> bool:
        return bool(self._sealed) or (self._live is not None and self._live.count > 0)

    def encoded(self) -> str:
        if self._live is not None:
            return self._live.encode() if self._live.count else ""
        return self._sealed

    def histogram(self) -> LatencyHistogram:
        """The bucket's histogram, to read (a decoded copy when sealed)."""
        if self._live is not None:
            return self._live
        if self._sealed:
            return LatencyHistogram.decode(self._sealed)
        return LatencyHistogram(significant_figures=BUCKET_FIGURES)

    def absorb(self, other: _Bucket) -> None:
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count
        if other.has_latency:
            self.open().merge(other.histogram())


class TimeSeries:
    """Outcome counts and latencies per second of a run, in at most ``max_buckets`` buckets."""

    __slots__ = ("_buckets", "_live", "max_buckets", "start", "width")

    def __init__(self, *, start: float, max_buckets: int = 3600) -> None:
        if max_buckets < 2:
            raise ValueError(f"a time series needs at least 2 buckets, got {max_buckets}")
        self.start = math.floor(start)
        """The Unix second the run began in."""
        self.max_buckets = max_buckets
        self.width = 1
        """Seconds per bucket: doubles each time the series is compacted."""
        self._buckets: dict[int, _Bucket] = {}
        self._live: list[int] = []

    def __len__(self) -> int:
        return len(self._buckets)

    def record(self, at: float, outcome: str, latency_ns: int | None = None) -> None:
        """Count one call that ended at Unix time ``at`` with ``outcome`` (and its latency, if any)."""
        key = math.floor(at) // self.width * self.width
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
            if len(self._buckets) > self.max_buckets:
                self._compact()
                self.record(at, outcome, latency_ns)
                return
        bucket.outcomes[outcome] = bucket.outcomes.get(outcome, 0) + 1
        if latency_ns is not None:
            if not bucket.is_live:
                self._keep_live(key)
            bucket.open().record(latency_ns)

    def _keep_live(self, key: int) -> None:
        self._live.append(key)
        while len(self._live) > _LIVE:
            old = self._buckets.get(self._live.pop(0))
            if old is not None:
                old.seal()

    def _compact(self) -> None:
        while len(self._buckets) > self.max_buckets:
            self._regroup(self.width * 2)

    def _regroup(self, width: int) -> None:
        """Bring every bucket to ``width`` seconds (a multiple of the current one), merging neighbours."""
        merged: dict[int, _Bucket] = {}
        for key in sorted(self._buckets):
            bucket = self._buckets[key]
            target = merged.setdefault(key // width * width, bucket)
            if target is not bucket:
                target.absorb(bucket)
                target.seal()
        for bucket in merged.values():
            bucket.seal()
        self._buckets, self._live, self.width = merged, [], width

    def merge(self, other: TimeSeries) -> None:
        """Add ``other``'s buckets (another shard or worker) to this series; ``other`` is left as it was."""
        width = max(self.width, other.width)
        if width != self.width:
            self._regroup(width)
        for key in sorted(other._buckets):
            target_key = key // width * width
            target = self._buckets.setdefault(target_key, _Bucket())
            target.absorb(other._buckets[key])
            target.seal()
        for bucket in self._buckets.values():
            bucket.seal()
        self._live = []
        self.start = min(self.start, other.start)
        self._compact()

    def points(self, *, last: int | None = None) -> tuple[TimePoint, ...]:
        """The buckets in time order (only the ``last`` ones if given), each with its latency summary."""
        keys = sorted(self._buckets)
        if last is not None:
            keys = keys[-last:] if last > 0 else []
        return tuple(
            TimePoint(
                start=key,
                width=self.width,
                outcomes=dict(self._buckets[key].outcomes),
                latency=self._buckets[key].histogram().summary(),
            )
            for key in keys
        )

    def to_record(self) -> SeriesRecord:
        """The series as plain values, for a shard's result file."""
        return SeriesRecord(
            start=self.start,
            width=self.width,
            max_buckets=self.max_buckets,
            buckets=tuple(
                BucketRecord(start=key, outcomes=dict(bucket.outcomes), latency=bucket.encoded())
                for key, bucket in sorted(self._buckets.items())
            ),
        )

    @classmethod
    def from_record(cls, record: SeriesRecord) -> TimeSeries:
        """The series :meth:`to_record` saved; ``ValueError`` if the record is inconsistent."""
        width = record.width
        if width < 1 or width & (width - 1):
            raise ValueError(f"time series width must be a power of two seconds, got {width}")
        if len(record.buckets) > record.max_buckets:
            raise ValueError(f"time series has {len(record.buckets)} buckets, more than {record.max_buckets}")
        series = cls(start=record.start, max_buckets=record.max_buckets)
        series.width = width
        for bucket in record.buckets:
            if bucket.start % width or bucket.start in series._buckets:
                raise ValueError(f"time series bucket {bucket.start} is not one of {width}-second buckets")
            if bucket.latency:
                decoded = LatencyHistogram.decode(bucket.latency)
                if decoded.significant_figures != BUCKET_FIGURES:
                    raise ValueError(f"time series bucket {bucket.start} has another precision")
            series._buckets[bucket.start] = _Bucket(sealed=bucket.latency, outcomes=bucket.outcomes)
        return series
