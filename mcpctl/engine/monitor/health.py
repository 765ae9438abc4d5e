"""Health from measurements: pure functions of a window's stats, the rules and failed connects in a row.

The worst state whose conditions hold wins: ``offline`` after ``offlineAfter`` failed connects in a row,
then ``unhealthy`` (also when no probe in the window connected at all), then ``degraded``, else ``healthy``.
Failed connects are not errors of the error rate: once a server is back, its outage does not keep it
unhealthy while the failures age out of the window. The reasons say which conditions held, with the
measured value before the threshold as written (``p99 412ms > 250ms``). A condition over an empty window
does not hold: no probe answered yet is no evidence of slowness.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mcpctl.engine.monitor.window import WindowStats
from mcpctl.spec.monitor_model import Health, HealthCondition, HealthRules

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """A server's state and why (empty reasons when healthy)."""

    state: Health
    reasons: tuple[str, ...] = ()


def measured(stats: WindowStats, condition: HealthCondition) -> float:
    """The value ``condition`` compares: milliseconds for a latency, a fraction for ``error_rate``."""
    if condition.metric == "error_rate":
        return stats.error_rate
    return float(getattr(stats, condition.metric))


def _shown(condition: HealthCondition, value: float) -> str:
    if condition.metric == "error_rate":
        return f"{round(value * 100, 1):g}%"
    return f"{value:.0f}ms" if value >= 10 else f"{round(value, 2):g}ms"


def reason(stats: WindowStats, condition: HealthCondition) -> str | None:
    """``"p99 412ms > 250ms"`` when ``condition`` holds over ``stats``, else ``None``."""
    if stats.count == 0:
        return None
    value = measured(stats, condition)
    if not _OPS[condition.op](value, condition.value):
        return None
    _, op, threshold = condition.text.partition(condition.op)
    threshold = threshold.strip() if op else str(condition.value)
    return f"{condition.metric} {_shown(condition, value)} {condition.op} {threshold}"


def evaluate(stats: WindowStats, rules: HealthRules, *, failed_connects: int) -> Verdict:
    """The state of a server with ``stats`` over the window and ``failed_connects`` in a row."""
    if rules.offline_after > 0 and failed_connects >= rules.offline_after:
        return Verdict(state="offline", reasons=(f"{failed_connects} failed connects in a row",))
    if stats.count == 0 and stats.unreachable:
        failed = "1 failed connect" if stats.unreachable == 1 else f"{stats.unreachable} failed connects"
        return Verdict(state="unhealthy", reasons=(f"no probe connected in the window ({failed})",))
    tiers: tuple[tuple[Health, tuple[HealthCondition, ...]], ...] = (
        ("unhealthy", rules.unhealthy),
        ("degraded", rules.degraded),
    )
    for state, conditions in tiers:
        held = tuple(text for c in conditions if (text := reason(stats, c)) is not None)
        if held:
            return Verdict(state=state, reasons=held)
    return Verdict(state="healthy")


def impacted_by(depends_on: tuple[str, ...], states: Mapping[str, Health | None]) -> tuple[str, ...]:
    """The dependencies among ``depends_on`` that are offline (a server with any is impacted)."""
    return tuple(name for name in depends_on if states.get(name) == "offline")
