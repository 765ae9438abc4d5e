"""Trends across runs: per case (suite kind and name, case name), its status, p50/p99 and duration run after
run, and whether the newest run departs from the ones before it.

A change is flagged by a stated rule, not by eye: a status that flipped (passed before, not now), or a
number outside the median of the earlier runs +/- 3 scaled median absolute deviations (MAD x 1.4826, the
robust stand-in for a standard deviation; with a floor of 5 % of the median so that a perfectly steady
history does not flag a 1 % wobble). It needs at least 3 earlier runs to judge a number.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from mcpctl.engine.results import CaseResult, RunResult
from mcpctl.observe.sparkline import sparkline

MAD_SCALE = 1.4826
MAD_LIMIT = 3.0
FLOOR = 0.05
MIN_HISTORY = 3


@dataclass(slots=True, kw_only=True)
class CaseTrend:
    """One case over the runs that have it, oldest first."""

    suite: str
    """``Kind/name``."""
    case: str
    runs: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    p50: list[float | None] = field(default_factory=list)
    p99: list[float | None] = field(default_factory=list)
    duration_ms: list[float] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    """What the newest run changed, in words (empty: nothing significant)."""

    @property
    def success_rate(self) -> float:
        """Passed runs over the runs that have the case."""
        return sum(1 for s in self.statuses if s == "passed") / len(self.statuses) if self.statuses else 0.0


def trend_sparkline(trend: CaseTrend) -> str:
    """A text sparkline of the case's p99 over the runs (its duration when it has no latencies)."""
    history = trend.p99 if any(v is not None for v in trend.p99) else trend.duration_ms
    return sparkline(list(history))


def status_letters(trend: CaseTrend) -> str:
    """One character per run, oldest first: ``.`` passed, else the status's initial (F, E, S)."""
    return "".join("." if s == "passed" else s[:1].upper() for s in trend.statuses)


def trends(runs: Sequence[RunResult], *, match: str | None = None) -> list[CaseTrend]:
    """The trend of every case in ``runs`` (given oldest first) whose suite matches ``match`` (a spec path,
    ``Kind/name`` or a name; ``None``: all), each with its flags."""
    found: dict[tuple[str, str], CaseTrend] = {}
    for run in runs:
        for suite in run.suites:
            label = f"{suite.kind}/{suite.name}"
            if match is not None and match not in (suite.spec_path, label, suite.name):
                continue
            for case in suite.cases:
                trend = found.setdefault((label, case.name), CaseTrend(suite=label, case=case.name))
                _add(trend, run.run_id, case)
    for trend in found.values():
        trend.flags = _flags(trend)
    return list(found.values())


def _add(trend: CaseTrend, run_id: str, case: CaseResult) -> None:
    trend.runs.append(run_id)
    trend.statuses.append(case.status)
    trend.p50.append(case.latency.p50 if case.latency is not None else None)
    trend.p99.append(case.latency.p99 if case.latency is not None else None)
    trend.duration_ms.append(case.duration_ms)


def _flags(trend: CaseTrend) -> list[str]:
    flags = []
    if (
        len(trend.statuses) >= 2
        and trend.statuses[-2] == "passed"
        and trend.statuses[-1] not in ("passed", "skipped")
    ):
        flags.append(f"now {trend.statuses[-1]} (passed in the run before)")
    for name, values in (("p50", trend.p50), ("p99", trend.p99)):
        flag = outlier(name, [v for v in values if v is not None])
        if flag is not None:
            flags.append(flag)
    return flags


def outlier(name: str, values: Sequence[float]) -> str | None:
    """Why the last of ``values`` departs from the ones before it, or ``None``."""
    if len(values) < MIN_HISTORY + 1:
        return None
    history, last = values[:-1], values[-1]
    middle = statistics.median(history)
    spread = max(MAD_SCALE * statistics.median(abs(v - middle) for v in history), FLOOR * abs(middle))
    if spread == 0 or abs(last - middle) <= MAD_LIMIT * spread:
        return None
    direction = "up" if last > middle else "down"
    change = f"{(last / middle - 1) * 100:+.0f}%" if middle else f"{last - middle:+.3g}"
    return (
        f"{name} {direction} {change}: {last:.3g} ms against a median of {middle:.3g} ms over"
        f" {len(history)} runs (beyond {MAD_LIMIT:g} scaled MADs)"
    )
