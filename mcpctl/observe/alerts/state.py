"""Rule evaluation: per (rule, server), the Prometheus alert states, and an event for every change.

A (rule, server) pair starts ``inactive``. When its condition holds it becomes ``pending``, and ``firing``
once the condition has held at every evaluation for ``for_`` seconds (at once when ``for_`` is 0). A pending
alert whose condition stops holding goes back to ``inactive``. A firing alert whose condition stops holding
(or whose measurement disappears) keeps firing until ``keep_firing_for`` seconds have passed since the first
evaluation that found it not holding (Prometheus counts from there too), then becomes ``resolved``, which
behaves as ``inactive`` afterwards. A missing measurement (no server entry, no metric, or ``None``) is the
explicit ``nodata`` state: an unknown value neither fires nor clears a pending alert quietly, it says so.

Times are whatever clock the caller uses (float seconds); nothing here reads one.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.observe.alerts.alert import Alert, AlertStatus, fingerprint
from mcpctl.spec.alert_rules import Condition, Rule, Value, format_value
from mcpctl.spec.units import Duration

AlertState = Literal["inactive", "pending", "firing", "resolved", "nodata"]
Measurements = Mapping[str, Mapping[str, Value]]
"""Measurements by server, then by metric name (``p99`` in ms, ``error_rate`` as a fraction, …)."""

_NO_VALUES: Mapping[str, Value] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent:
    """One state change of one rule for one server."""

    rule: str
    server: str
    at: float
    previous: AlertState
    state: AlertState
    reason: str
    """Why, in words: ``p99 > 500ms held for 1m (612ms)``."""
    value: Value
    """The measurement that caused the change (``None`` for nodata)."""
    alert: Alert | None = None
    """The alert instance when the change starts firing (status firing) or ends it (status resolved)."""


class _Track:
    """The mutable state of one (rule, server) pair; internal, so a slotted class, not a record."""

    __slots__ = ("fingerprint", "fired_at", "keep_since", "labels", "since", "state")

    def __init__(self) -> None:
        self.state: AlertState = "inactive"
        self.since = 0.0
        self.keep_since: float | None = None
        self.fired_at = 0.0
        self.labels: dict[str, str] | None = None
        self.fingerprint = ""


class _Columns:
    """One cycle's measurements by metric: values per server, numbers sorted for bisection, words grouped."""

    def __init__(self, measurements: Measurements, seen: Mapping[str, int]) -> None:
        self._measurements = measurements
        self._seen = seen
        self._values: dict[str, dict[str, Value]] = {}
        self._numbers: dict[str, tuple[list[float], list[str]]] = {}
        self._missing: dict[str, list[str]] = {}
        self._words: dict[str, dict[str, list[str]]] = {}

    def values(self, metric: str) -> dict[str, Value]:
        """Every seen server's value of ``metric`` (``None`` when it has none)."""
        found = self._values.get(metric)
        if found is None:
            found = {s: self._measurements.get(s, _NO_VALUES).get(metric) for s in self._seen}
            self._values[metric] = found
        return found

    def due(self, condition: Condition, tracks: Mapping[str, _Track]) -> set[str]:
        """The servers a rule must step: its condition holds, its pair is not inactive, or no value."""
        metric = condition.metric
        if metric not in self._missing:
            values = self.values(metric)
            self._missing[metric] = [s for s, v in values.items() if v is None]
        due = set(tracks)
        due.update(self._missing[metric])
        due.update(self._holding(condition))
        return due

    def _holding(self, condition: Condition) -> list[str]:
        threshold = condition.threshold
        values = self.values(condition.metric)
        if isinstance(threshold, str):
            words = self._words.get(condition.metric)
            if words is None:
                words = self._words[condition.metric] = {}
                for server, value in values.items():
                    if isinstance(value, str):
                        words.setdefault(value, []).append(server)
            if condition.op == "==":
                return words.get(threshold, [])
            if condition.op == "!=":
                return [s for word, found in words.items() if word != threshold for s in found]
            return []  # a word only compares with == and !=
        numbers = self._numbers.get(condition.metric)
        if numbers is None:
            pairs = sorted((float(v), s) for s, v in values.items() if isinstance(v, int | float))
            numbers = self._numbers[condition.metric] = ([v for v, _ in pairs], [s for _, s in pairs])
        keys, servers = numbers
        op = condition.op
        if op in (">", ">="):
            start = (bisect.bisect_right if op == ">" else bisect.bisect_left)(keys, threshold)
            return servers[start:]
        if op in ("<", "<="):
            end = (bisect.bisect_left if op == "<" else bisect.bisect_right)(keys, threshold)
            return servers[:end]
        low, high = bisect.bisect_left(keys, threshold), bisect.bisect_right(keys, threshold)
        return servers[low:high] if op == "==" else servers[:low] + servers[high:]


@functools.lru_cache(maxsize=256)  # a handful of distinct for/keep_firing_for values, formatted per event
def _span(seconds: float) -> str:
    return str(Duration(seconds=seconds))


class Evaluator:
    """Evaluates every rule for every server it has seen, and reports the state changes.

    A cycle costs in proportion to the pairs that matter, not to rules x servers: per metric the values
    are sorted once, each rule finds the servers its condition holds for by bisection (or by word), and
    only those, the pairs not ``inactive`` and the servers without a value are stepped. An inactive pair
    whose condition does not hold has nothing to do, so a thousand quiet rules over hundreds of servers
    take milliseconds.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)} repeated")
        self._rules = tuple(rules)
        self._index = {rule.name: index for index, rule in enumerate(rules)}
        self._tracks: list[dict[str, _Track]] = [{} for _ in self._rules]
        """Per rule, the pairs that are not inactive (an inactive pair has no track)."""
        self._seen: dict[str, int] = {}
        """Every server seen, in the order first seen (events are reported in that order)."""

    def evaluate(
        self, now: float, measurements: Measurements, *, only: Sequence[Collection[str] | None] = ()
    ) -> list[AlertEvent]:
        """Advance every (rule, server) pair to ``now``; return the changes, in rule order per server.

        A server seen once stays evaluated: when it is missing later, its rules go to ``nodata``.
        ``only[i]``, when given and not ``None``, limits rule ``i`` to those servers.
        """
        for server in measurements:
            if server not in self._seen:
                self._seen[server] = len(self._seen)
        columns = _Columns(measurements, self._seen)
        found: list[tuple[int, int, AlertEvent]] = []
        for index, (rule, tracks) in enumerate(zip(self._rules, self._tracks, strict=True)):
            metric = rule.condition.metric
            values = columns.values(metric)
            scope = only[index] if index < len(only) else None
            due = columns.due(rule.condition, tracks)
            for server in due if scope is None else due.intersection(scope):
                track = tracks.get(server)
                if track is None:
                    track = tracks[server] = _Track()
                event = self._step(rule, server, track, now, values.get(server))
                if track.state in ("inactive", "resolved"):
                    del tracks[server]  # resolved behaves as inactive from the next evaluation on
                if event is not None:
                    found.append((self._seen[server], index, event))
        found.sort(key=lambda item: (item[0], item[1]))
        return [event for _, _, event in found]

    def state(self, rule: str, server: str) -> AlertState:
        """The current state of one pair (``inactive`` for a server never seen; a resolved pair reads as
        ``inactive``, since it behaves as one)."""
        track = self._tracks[self._index[rule]].get(server)
        return "inactive" if track is None else track.state

    def _step(self, rule: Rule, server: str, track: _Track, now: float, value: Value) -> AlertEvent | None:
        state = track.state
        if value is None:
            if state == "firing":
                return self._cool(rule, server, track, now, None)
            if state == "nodata":
                return None
            return self._move(
                rule, server, track, now, "nodata", f"no {rule.condition.metric} measurement", None
            )
        if rule.condition.holds(value):
            return self._hold(rule, server, track, now, value)
        if state == "firing":
            return self._cool(rule, server, track, now, value)
        if state == "pending":
            reason = f"{rule.condition} no longer holds ({format_value(rule.condition.metric, value)})"
            return self._move(rule, server, track, now, "inactive", reason, value)
        if state == "nodata":
            reason = f"{rule.condition.metric} measured again ({format_value(rule.condition.metric, value)})"
            return self._move(rule, server, track, now, "inactive", reason, value)
        return None

    def _hold(
        self, rule: Rule, server: str, track: _Track, now: float, value: float | str
    ) -> AlertEvent | None:
        # The common case (still firing, still pending) returns before any text is formatted.
        track.keep_since = None
        if track.state == "firing":
            return None
        if track.state == "pending":
            if now - track.since < rule.for_:
                return None
            shown = format_value(rule.condition.metric, value)
            reason = f"{rule.condition} held for {_span(rule.for_)} ({shown})"
            return self._fire(rule, server, track, now, value, shown, reason)
        track.since = now
        shown = format_value(rule.condition.metric, value)
        if rule.for_ == 0:
            return self._fire(rule, server, track, now, value, shown, f"{rule.condition} holds ({shown})")
        reason = f"{rule.condition} holds ({shown}); fires if it still holds after {_span(rule.for_)}"
        return self._move(rule, server, track, now, "pending", reason, value)

    def _fire(
        self, rule: Rule, server: str, track: _Track, now: float, value: float | str, shown: str, reason: str
    ) -> AlertEvent:
        track.fired_at = now
        if track.labels is None:
            track.labels = {
                **rule.labels,
                "alertname": rule.name,
                "server": server,
                "severity": rule.severity,
            }
            track.fingerprint = fingerprint(track.labels)
        alert = self._alert(rule, track, shown, "firing", None)
        return self._move(rule, server, track, now, "firing", reason, value, alert)

    def _cool(self, rule: Rule, server: str, track: _Track, now: float, value: Value) -> AlertEvent | None:
        """A firing alert whose condition does not hold: resolve it once keep_firing_for has passed."""
        if track.keep_since is None:
            track.keep_since = now
        if now - track.keep_since < rule.keep_firing_for:
            return None
        track.keep_since = None
        shown = "" if value is None else format_value(rule.condition.metric, value)
        if value is None:
            reason = f"no {rule.condition.metric} measurement"
        else:
            reason = f"{rule.condition} no longer holds ({shown})"
        if rule.keep_firing_for:
            reason += f"; kept firing for {_span(rule.keep_firing_for)}"
        alert = self._alert(rule, track, shown, "resolved", now)
        state: AlertState = "nodata" if value is None else "resolved"
        return self._move(rule, server, track, now, state, reason, value, alert)

    def _alert(
        self, rule: Rule, track: _Track, shown: str, status: AlertStatus, ends_at: float | None
    ) -> Alert:
        assert track.labels is not None  # set when the pair first fired
        return Alert(
            labels=track.labels,
            annotations={"condition": str(rule.condition), "value": shown},
            status=status,
            starts_at=track.fired_at,
            ends_at=ends_at,
            fingerprint=track.fingerprint,
        )

    @staticmethod
    def _move(
        rule: Rule,
        server: str,
        track: _Track,
        now: float,
        state: AlertState,
        reason: str,
        value: Value,
        alert: Alert | None = None,
    ) -> AlertEvent:
        event = AlertEvent(
            rule=rule.name,
            server=server,
            at=now,
            previous=track.state,
            state=state,
            reason=reason,
            value=value,
            alert=alert,
        )
        track.state = state
        return event
