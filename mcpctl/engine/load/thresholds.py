"""Thresholds checked live, once a second, and at the end of a load test.

A latency metric reads the histogram of its call (or the overall one) in milliseconds; ``error_rate`` is the
share of calls whose outcome is not ``ok``; ``rate`` is calls ended per second of the time elapsed. With no
call ended yet, latency and error rate have no value and a threshold on them holds (as in k6); ``rate`` is
then 0. A threshold with ``after`` is not checked live before that many seconds.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from mcpctl.engine.load.metrics import Metrics, ThresholdResult
from mcpctl.spec.load_model import Comparison, Threshold

_OPS: dict[Comparison, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9}


def observe(threshold: Threshold, metrics: Metrics, elapsed: float) -> float | None:
    """The value of the threshold's metric now (``elapsed`` seconds since the start)."""
    counter = metrics.counter(threshold.call)
    if threshold.metric == "rate":
        return counter.count / elapsed if elapsed > 0 else 0.0
    if not counter.count:
        return None
    if threshold.metric == "error_rate":
        return counter.errors / counter.count
    if threshold.metric == "max":
        return counter.histogram.max
    if threshold.metric == "mean":
        return counter.histogram.mean
    return counter.histogram.percentile(_PERCENTILES[threshold.metric])


def holds(threshold: Threshold, value: float | None) -> bool:
    """Whether ``value`` satisfies the threshold (no value: it holds)."""
    return value is None or _OPS[threshold.op](value, threshold.value)


def describe(threshold: Threshold) -> str:
    """The threshold as a reader knows it: its text, and its call when it is on one."""
    return f"{threshold.text} (call {threshold.call})" if threshold.call else threshold.text


class Watch:
    """The thresholds of a run: when each first broke, and the one that aborted the run."""

    def __init__(self, thresholds: tuple[Threshold, ...]) -> None:
        self.thresholds = thresholds
        self.broke_at: dict[int, float] = {}
        self.aborted_by: int | None = None
        self.abort_value: float | None = None

    def check(self, metrics: Metrics, elapsed: float, *, second: int) -> bool:
        """Check every threshold due at ``elapsed`` seconds (the ``second``-th check); True when one with
        ``abort`` broke. A threshold's ``broke_at`` is that whole second."""
        for index, threshold in enumerate(self.thresholds):
            if threshold.after is not None and second < threshold.after.seconds:
                continue
            value = observe(threshold, metrics, elapsed)
            if holds(threshold, value):
                continue
            self.broke_at.setdefault(index, float(second))
            if threshold.abort:
                self.aborted_by, self.abort_value = index, value
                return True
        return False

    @property
    def abort_reason(self) -> str | None:
        """``threshold 'error_rate < 1%' broke at 2s (observed 0.5)``, if one aborted the run."""
        if self.aborted_by is None:
            return None
        threshold = self.thresholds[self.aborted_by]
        value = "no value" if self.abort_value is None else f"observed {self.abort_value:g}"
        at = self.broke_at[self.aborted_by]
        return f"threshold {describe(threshold)!r} broke at {at:g}s ({value})"

    def results(self, metrics: Metrics, elapsed: float) -> tuple[ThresholdResult, ...]:
        """Every threshold's verdict at the end (the aborting one keeps the value it broke with)."""
        results = []
        for index, threshold in enumerate(self.thresholds):
            aborted = index == self.aborted_by
            value = self.abort_value if aborted else observe(threshold, metrics, elapsed)
            results.append(
                ThresholdResult(
                    text=threshold.text,
                    call=threshold.call,
                    passed=not aborted and holds(threshold, value),
                    value=value,
                    broke_at=self.broke_at.get(index),
                    aborted=aborted,
                )
            )
        return tuple(results)
