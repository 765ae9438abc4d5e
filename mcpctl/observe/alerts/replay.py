"""Replay synthetic series through the :class:`~mcpctl.observe.alerts.state.Evaluator` on a fake clock: the
alerts firing and pending at chosen steps, for unit tests of alert rules (``mcpctl alerts test``).

Step N is evaluated at time N * interval with value N of every series (``None`` once a series has ended).
A rule limited to some servers sees only their measurements, so it has an evaluator of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from mcpctl.observe.alerts.state import Evaluator, Measurements
from mcpctl.spec.alert_rules import Rule, Value

Series = Mapping[str, Mapping[str, Sequence[Value]]]
"""Values by server, then by metric, one per step."""
AlertKey = tuple[str, str]
"""(alert name, server)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopedRule:
    """A rule and the servers it applies to (empty: every server)."""

    rule: Rule
    servers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The alerts in each state after one evaluation."""

    firing: frozenset[AlertKey]
    pending: frozenset[AlertKey]


def replay(
    rules: Sequence[ScopedRule], series: Series, *, interval: float, steps: Collection[int]
) -> dict[int, Snapshot]:
    """Evaluate every step from 0 to the last of ``steps``; return the snapshots of ``steps``."""
    evaluators = [Evaluator([scoped.rule]) for scoped in rules]
    snapshots: dict[int, Snapshot] = {}
    for step in range(max(steps, default=-1) + 1):
        firing: set[AlertKey] = set()
        pending: set[AlertKey] = set()
        for scoped, evaluator in zip(rules, evaluators, strict=True):
            measurements = _measurements(series, step, scoped.servers)
            evaluator.evaluate(step * interval, measurements)
            for server in measurements:
                state = evaluator.state(scoped.rule.name, server)
                if state in ("firing", "pending"):
                    (firing if state == "firing" else pending).add((scoped.rule.name, server))
        if step in steps:
            snapshots[step] = Snapshot(firing=frozenset(firing), pending=frozenset(pending))
    return snapshots


def _measurements(series: Series, step: int, servers: tuple[str, ...]) -> Measurements:
    return {
        server: {metric: values[step] if step < len(values) else None for metric, values in metrics.items()}
        for server, metrics in series.items()
        if not servers or server in servers
    }
