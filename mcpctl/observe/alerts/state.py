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

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.observe.alerts.alert import Alert, AlertStatus, fingerprint
from mcpctl.spec.alert_rules import Rule, Value, format_value
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


@functools.lru_cache(maxsize=256)  # a handful of distinct for/keep_firing_for values, formatted per event
def _span(seconds: float) -> str:
    return str(Duration(seconds=seconds))


class Evaluator:
    """Evaluates every rule for every server it has seen, and reports the state changes."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)} repeated")
        self._rules = tuple(rules)
        self._tracks: dict[str, list[_Track]] = {}

    def evaluate(self, now: float, measurements: Measurements) -> list[AlertEvent]:
        """Advance every (rule, server) pair to ``now``; return the changes, in rule order per server.

        A server seen once stays evaluated: when it is missing later, its rules go to ``nodata``.
        """
        for server in measurements:
            if server not in self._tracks:
                self._tracks[server] = [_Track() for _ in self._rules]
        events: list[AlertEvent] = []
        for server, tracks in self._tracks.items():
            values = measurements.get(server, _NO_VALUES)
            for rule, track in zip(self._rules, tracks, strict=True):
                event = self._step(rule, server, track, now, values.get(rule.condition.metric))
                if event is not None:
                    events.append(event)
        return events

    def state(self, rule: str, server: str) -> AlertState:
        """The current state of one pair (``inactive`` for a server never seen)."""
        tracks = self._tracks.get(server)
        if tracks is None:
            return "inactive"
        return next(t.state for r, t in zip(self._rules, tracks, strict=True) if r.name == rule)

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
