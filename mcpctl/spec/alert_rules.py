"""Alerting rules: a named condition over one measurement of a server, with ``for`` and ``keep_firing_for``.

A condition compares one metric with a threshold written in the metric's own unit::

    p99 > 500ms          latencies (p50, p90, p99) are durations; measurements are in milliseconds
    error_rate > 5%      a percentage; measurements are fractions (0.05)
    throughput < 10/s    a rate; measurements are calls per second
    health == offline    a word, compared with == or != only; measurements are strings

Thresholds are parsed with :mod:`mcpctl.spec.units`, so rules accept exactly the units specs do.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast, get_args

from mcpctl.spec.monitor_model import HEALTH_STATES
from mcpctl.spec.units import Duration, parse_duration, parse_percent, parse_rate

Metric = Literal["p50", "p90", "p99", "error_rate", "throughput", "health"]
Op = Literal[">", ">=", "<", "<=", "==", "!="]
Value = float | str | None
"""A measurement: a number, a word (``health``), or ``None`` when there is none."""

METRICS: tuple[Metric, ...] = get_args(Metric)
_LATENCIES = ("p50", "p90", "p99")
_CONDITION = re.compile(r"\s*([a-z_0-9]+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*")
_EXAMPLES = "(p99 > 500ms, error_rate > 5%, throughput < 10/s, health == offline)"
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """``metric op threshold``; the threshold is in the measurement's unit (ms, fraction, per second, word)."""

    metric: Metric
    op: Op
    threshold: float | str
    text: str
    """The threshold as written in the spec (``500ms``), for messages."""

    def holds(self, value: float | str) -> bool:
        """Whether a (present) measurement meets the condition; a word never meets a numeric one."""
        threshold = self.threshold
        if isinstance(threshold, str) or isinstance(value, str):
            if not (isinstance(threshold, str) and isinstance(value, str)) or self.op not in ("==", "!="):
                return False
            return (value == threshold) == (self.op == "==")
        return _COMPARE[self.op](value, threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.text}"


def parse_condition(text: str) -> Condition:
    """Parse ``p99 > 500ms``, ``error_rate > 5%``, ``throughput < 10/s`` or ``health == offline``."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a condition: write a metric, a comparison and a value {_EXAMPLES}")
    metric, op, written = match.groups()
    if metric not in METRICS:
        raise ValueError(f"{text!r}: unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    try:
        threshold = _threshold(metric, op, written)
    except ValueError as error:
        raise ValueError(f"{text!r}: {error}") from None
    return Condition(metric=cast(Metric, metric), op=cast(Op, op), threshold=threshold, text=written)


def _threshold(metric: str, op: str, written: str) -> float | str:
    if metric in _LATENCIES:
        return parse_duration(written).ms
    if metric == "error_rate":
        return parse_percent(written).fraction
    if metric == "throughput":
        return parse_rate(written).per_second
    if op not in ("==", "!="):
        raise ValueError(f"health compares with == or != only, not {op}")
    if written not in HEALTH_STATES:
        raise ValueError(f"{written!r} is not a health state ({', '.join(HEALTH_STATES)})")
    return written


def format_value(metric: Metric, value: float | str) -> str:
    """A measurement in the unit its rules are written in: ``612ms``, ``7.5%``, ``3/s``, ``offline``."""
    if isinstance(value, str):
        return value
    if metric in _LATENCIES:
        return str(Duration(seconds=max(value, 0.0) / 1000))
    if metric == "error_rate":
        return f"{value * 100:.6g}%"
    if metric == "throughput":
        return f"{value:.6g}/s"
    return f"{value:.6g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """An alerting rule, evaluated for every server that has measurements."""

    name: str
    """The ``alertname`` label of its alerts."""
    condition: Condition
    for_: float = 0.0
    """Seconds the condition must hold, evaluation after evaluation, before the alert fires (pending until)."""
    keep_firing_for: float = 0.0
    """Seconds a firing alert keeps firing after the condition first stops holding (against flapping)."""
    severity: str = "warning"
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels of its alerts; ``alertname``, ``server`` and ``severity`` cannot be overridden."""

    def __post_init__(self) -> None:
        if self.for_ < 0 or self.keep_firing_for < 0:
            raise ValueError(f"rule {self.name!r}: for and keep_firing_for cannot be negative")
