"""What a load test measures while it runs, and the frozen records it ends with.

:class:`Metrics` is the mutable collector the runner feeds (one trio run: no locks): a latency histogram per
scenario entry and one overall, outcome counts per entry, a per-second :class:`TimeSeries`, the schedule lag,
the dropped requests and the time to open a session (``initialize``). :meth:`Metrics.result` freezes it into
a :class:`LoadResult`, histograms encoded so that shards and workers can be merged later.

Outcomes: ``ok``; ``is_error`` (the tool answered ``isError``); ``rpc_error:CODE`` (a JSON-RPC error);
``timeout`` (no answer within the spec's timeout); ``transport`` (any other :class:`McpctlError`: the
session could not be opened, the pipe closed...); ``template_error`` (the request's templates could not be
rendered with its data: nothing was sent). Every outcome but ``template_error`` records its latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mcpctl.observe.histogram import LatencyHistogram, LatencyStats
from mcpctl.observe.timeseries import SeriesRecord, TimeSeries
from mcpctl.spec.load_model import LoadModel, SessionMode

OK = "ok"
DROPPED = "dropped"
"""The outcome the time series counts a dropped request under (it is not a call)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStats:
    """The calls of one scenario entry (or of all of them: ``name`` is ``"*"``)."""

    name: str
    count: int
    """Calls that ended, whatever their outcome."""
    outcomes: Mapping[str, int]
    """Calls by outcome (``ok``, ``is_error``, ``rpc_error:-32603``, ``timeout``, ``transport``...)."""
    latency: LatencyStats
    histogram: str
    """:meth:`LatencyHistogram.encode` of the latencies, for merging shards."""
    first_byte: LatencyStats | None = None
    """Time to first byte (HTTP: from sending a request to its answer's response head); ``None`` when the
    transport cannot tell (stdio)."""
    first_byte_histogram: str | None = None

    @property
    def errors(self) -> int:
        """Calls whose outcome is not ``ok``."""
        return self.count - self.outcomes.get(OK, 0)

    @property
    def error_rate(self) -> float:
        """``errors / count`` (0.0 without calls)."""
        return self.errors / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdResult:
    """How one threshold fared."""

    text: str
    """The threshold as written (``p99 < 250ms``)."""
    call: str | None
    passed: bool
    """It held at the end of the test and did not abort it."""
    value: float | None
    """The value observed at the end (or when it aborted the test): ms, a fraction or per second;
    ``None`` when there was nothing to measure (no calls)."""
    broke_at: float | None
    """The first second (since the start) at which the live check found it broken, if ever."""
    aborted: bool = False
    """This threshold stopped the test (``abort: true``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """One load test run: per-entry and overall stats, lag, thresholds, time series, encoded histograms."""

    name: str
    """The spec's ``metadata.name``."""
    spec_hash: str
    model: LoadModel
    sessions: SessionMode
    seed: int
    started_at: float
    """Unix time of the start."""
    duration: float
    """Seconds from the start to the end (the graceful stop included)."""
    calls: tuple[CallStats, ...]
    """One per scenario entry, in scenario order."""
    overall: CallStats
    lag: LatencyStats
    """Schedule lag of the open model (empty under ``vus``)."""
    lag_histogram: str
    dropped: int
    """Open model: requests not started because ``maxInFlight`` were running."""
    initialize: LatencyStats | None
    """Time to open a session (spawn or connect, and initialize); ``None`` if none was opened."""
    initialize_histogram: str | None
    thresholds: tuple[ThresholdResult, ...]
    aborted: bool
    abort_reason: str | None
    """Which threshold broke and when, if one with ``abort: true`` stopped the test."""
    series: SeriesRecord

    @property
    def exit_code(self) -> int:
        """0, or 1 when a threshold failed or the test was aborted."""
        return 1 if self.aborted or not all(t.passed for t in self.thresholds) else 0


class Counter:
    """The latencies and outcomes of one scenario entry, or of all."""

    __slots__ = ("first_byte", "histogram", "outcomes")

    def __init__(self) -> None:
        self.histogram = LatencyHistogram()
        self.first_byte: LatencyHistogram | None = None
        """Made at the first time to first byte (a histogram is ~190 KB; stdio never has one)."""
        self.outcomes: dict[str, int] = {}

    @property
    def count(self) -> int:
        """Calls ended, whatever their outcome."""
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        """Calls whose outcome is not ``ok``."""
        return self.count - self.outcomes.get(OK, 0)

    def add(self, outcome: str, latency_ns: int | None, first_byte_ns: int = 0) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if latency_ns is not None:
            self.histogram.record(latency_ns)
        if first_byte_ns > 0:
            if self.first_byte is None:
                self.first_byte = LatencyHistogram()
            self.first_byte.record(first_byte_ns)

    def stats(self, name: str) -> CallStats:
        first_byte = self.first_byte
        return CallStats(
            name=name,
            count=self.count,
            outcomes=dict(sorted(self.outcomes.items())),
            latency=self.histogram.summary(),
            histogram=self.histogram.encode(),
            first_byte=first_byte.summary() if first_byte is not None else None,
            first_byte_histogram=first_byte.encode() if first_byte is not None else None,
        )


class Metrics:
    """Everything a run measures; ``start_ns`` and ``started_at`` are the same instant on the two clocks."""

    def __init__(
        self,
        names: tuple[str, ...],
        *,
        started_at: float,
        start_ns: int,
        initialize: LatencyHistogram | None = None,
    ) -> None:
        self.started_at = started_at
        self.start_ns = start_ns
        self.entries = {name: Counter() for name in names}
        self._overall = Counter()
        self._stale = False
        """Calls were recorded since the overall histograms were last gathered from the entries'."""
        self.lag = LatencyHistogram()
        self.initialize = initialize or LatencyHistogram()
        self.dropped = 0
        self.in_flight = 0
        """Requests sent and not yet answered, now."""
        self.series = TimeSeries(start=started_at)

    def wall(self, now_ns: int) -> float:
        """The Unix time of ``now_ns`` (on the measuring clock)."""
        return self.started_at + (now_ns - self.start_ns) / 1e9

    def record(
        self, name: str, outcome: str, latency_ns: int | None, now_ns: int, first_byte_ns: int = 0
    ) -> None:
        """Count one call of entry ``name`` that ended at ``now_ns`` (``first_byte_ns`` 0: unknown)."""
        self.entries[name].add(outcome, latency_ns, first_byte_ns)
        outcomes = self._overall.outcomes
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self._stale = True
        self.series.record(self.wall(now_ns), outcome, latency_ns)

    @property
    def overall(self) -> Counter:
        """All entries together. Its histograms are gathered from the entries' when read (once a second by
        the thresholds and the live view, once at the end), not recorded twice per call."""
        if self._stale:
            self._gather()
        return self._overall

    @overall.setter
    def overall(self, counter: Counter) -> None:
        self._overall = counter
        self._stale = False

    def _gather(self) -> None:
        counters = list(self.entries.values())
        if len(counters) == 1:  # the usual single-call scenario: the same histograms, nothing to add
            self._overall.histogram, self._overall.first_byte = counters[0].histogram, counters[0].first_byte
        else:
            self._overall.histogram = LatencyHistogram()
            self._overall.first_byte = None
            for counter in counters:
                self._overall.histogram.merge(counter.histogram)
                if counter.first_byte is not None:
                    self._overall.first_byte = self._overall.first_byte or LatencyHistogram()
                    self._overall.first_byte.merge(counter.first_byte)
        self._stale = False

    def record_dropped(self, intended_ns: int) -> None:
        """Count a request the open model did not start."""
        self.dropped += 1
        self.series.record(self.wall(intended_ns), DROPPED)

    def counter(self, call: str | None) -> Counter:
        """The counter of one entry, or the overall one."""
        return self.overall if call is None else self.entries[call]

    def calls(self) -> tuple[CallStats, ...]:
        """Per-entry stats, in scenario order."""
        return tuple(counter.stats(name) for name, counter in self.entries.items())
