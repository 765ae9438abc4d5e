"""Dispatch: alerts in aggregation groups, and when each group notifies, as Alertmanager decides it.

Alerts with equal values of the ``group_by`` labels share a group. A new group waits ``group_wait`` before
its first flush (to batch alerts that start together), then flushes every ``group_interval``. A flush
notifies when the group holds a firing alert not in its last notification, when an alert of the last
notification resolved (once: resolved alerts leave the group at the flush that reports them), when the
escalation moves on, or, for an unchanged firing group, when ``repeat_interval`` has passed since the last
notification. Repeats are decided at flushes only, so the repeat interval is rounded up to a multiple of
``group_interval``, as Alertmanager does (``repeat 9m``, ``group_interval 5m`` → every 10m).

Muted alerts are left out of a flush: those a :class:`Silence` in force matches, and those the ``inhibit``
hook (``alert -> bool``; dependency inhibition plugs in there) says are inhibited. An acknowledged firing
alert is left out too, until it resolves; its resolution is still notified once. A resolved alert is
reported only to those who were told it fired.

Escalation is a list of steps (receivers, wait). A group's first firing notification goes to step 0; while
the group still has unacknowledged firing alerts ``wait`` seconds after its step was first notified, the
next flush notifies the next step's receivers, and later repeats go to them. A group with nothing firing
unacknowledged starts again at step 0. Like repeats, escalations happen at flushes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.observe.alerts.alert import Alert, AlertStatus
from mcpctl.observe.alerts.silence import Silence
from mcpctl.observe.alerts.state import AlertEvent

Why = Literal["new", "resolved", "repeat", "escalation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationStep:
    """Who is notified at one step, and how long an unacknowledged firing group stays at it."""

    receivers: tuple[str, ...]
    wait: float = 0.0
    """Seconds from this step's first notification to the next step (ignored on the last step)."""

    def __post_init__(self) -> None:
        if not self.receivers or self.wait < 0:
            raise ValueError("an escalation step needs receivers and a wait that is not negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One message for one group, shaped like an Alertmanager webhook (version 4) payload."""

    group_key: str
    """``{alertname="HighP99",server="a"}``: the ``group_by`` labels and their values."""
    group_labels: Mapping[str, str]
    status: AlertStatus
    """``firing`` when any alert in it fires, else ``resolved``."""
    alerts: tuple[Alert, ...]
    """Firing alerts first, then resolved ones, each in label order."""
    receivers: tuple[str, ...]
    step: int
    """The escalation step whose receivers these are (0 for the first)."""
    at: float
    why: Why
    """What made the group notify: a new firing alert, a resolution, a repeat or an escalation."""

    @property
    def common_labels(self) -> dict[str, str]:
        """Labels every alert has with the same value."""
        return _common([alert.labels for alert in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        """Annotations every alert has with the same value."""
        return _common([alert.annotations for alert in self.alerts])


def _common(maps: Sequence[Mapping[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}


class _Group:
    __slots__ = (
        "alerts",
        "key",
        "labels",
        "last_firing",
        "last_sent",
        "next_flush",
        "step",
        "step_since",
        "told",
    )

    def __init__(self, key: str, labels: dict[str, str], first_flush: float) -> None:
        self.key = key
        self.labels = labels
        self.alerts: dict[str, Alert] = {}
        self.next_flush = first_flush
        self.last_firing: frozenset[str] = frozenset()
        """Alerts the last notification reported firing: one not in it is new."""
        self.told: set[str] = set()
        """Alerts ever reported firing and not yet reported resolved (acked ones included)."""
        self.last_sent: float | None = None
        self.step = 0
        self.step_since: float | None = None


class Dispatcher:
    """Groups alerts and decides, at each :meth:`tick`, which groups notify whom."""

    def __init__(
        self,
        *,
        group_by: Sequence[str],
        group_wait: float,
        group_interval: float,
        repeat_interval: float,
        clock: Callable[[], float],
        escalation: Sequence[EscalationStep] = (EscalationStep(receivers=("default",)),),
        silences: Iterable[Silence] = (),
        inhibit: Callable[[Alert], bool] | None = None,
    ) -> None:
        if group_wait < 0 or group_interval <= 0 or repeat_interval <= 0:
            raise ValueError(
                "group_wait must not be negative; group_interval and repeat_interval must be > 0"
            )
        if not escalation:
            raise ValueError("escalation needs at least one step")
        self._group_by = tuple(sorted(set(group_by)))
        self._group_wait = group_wait
        self._group_interval = group_interval
        # Flushes happen every group_interval, so a repeat can only happen on one (Alertmanager's rounding).
        self._repeat = math.ceil(repeat_interval / group_interval - 1e-9) * group_interval
        self._clock = clock
        self._steps = tuple(escalation)
        self._silences = list(silences)
        self._inhibit = inhibit
        self._groups: dict[str, _Group] = {}
        self._acked: set[str] = set()

    @property
    def repeat_interval(self) -> float:
        """The repeat interval in force: the one asked for, rounded up to a multiple of group_interval."""
        return self._repeat

    def group_key(self, labels: Mapping[str, str]) -> str:
        """The key of the group alerts with these labels fall in."""
        return "{" + ",".join(f'{name}="{labels.get(name, "")}"' for name in self._group_by) + "}"

    def push(self, alert: Alert) -> None:
        """Add or update an alert (by fingerprint); a new group's first flush is ``group_wait`` from now."""
        key = self.group_key(alert.labels)
        group = self._groups.get(key)
        if alert.status == "resolved":
            self._acked.discard(alert.fingerprint)
            if group is None or alert.fingerprint not in group.alerts:
                return  # nothing was firing, so there is nothing to resolve
        if group is None:
            labels = {name: alert.labels[name] for name in self._group_by if name in alert.labels}
            group = self._groups[key] = _Group(key, labels, self._clock() + self._group_wait)
        group.alerts[alert.fingerprint] = alert

    def ingest(self, events: Iterable[AlertEvent]) -> None:
        """Push the alerts of evaluator events that start or end firing; other changes notify nobody."""
        for event in events:
            if event.alert is not None:
                self.push(event.alert)

    def add_silence(self, silence: Silence) -> None:
        """Mute matching alerts while the silence is in force."""
        self._silences.append(silence)

    def remove_silence(self, silence_id: str) -> bool:
        """End the silence ``silence_id`` now (muted alerts notify at the next flush); False if unknown."""
        kept = [s for s in self._silences if s.id != silence_id]
        removed = len(kept) != len(self._silences)
        self._silences = kept
        return removed

    def muted_by(self, alert: Alert, now: float) -> str | None:
        """Why ``alert`` does not notify at ``now``: ``silenced``, ``inhibited`` or ``acked``; None if it does."""
        if any(silence.mutes(alert.labels, now) for silence in self._silences):
            return "silenced"
        if self._inhibit is not None and self._inhibit(alert):
            return "inhibited"
        return "acked" if alert.fingerprint in self._acked else None

    def ack(self, fingerprint: str) -> bool:
        """Acknowledge a firing alert: no more notifications for it until it resolves. False if unknown."""
        found = (g.alerts.get(fingerprint) for g in self._groups.values())
        if not any(alert is not None and alert.status == "firing" for alert in found):
            return False
        self._acked.add(fingerprint)
        return True

    def ack_group(self, key: str) -> int:
        """Acknowledge every firing alert of a group; return how many."""
        group = self._groups.get(key)
        firing = [] if group is None else [fp for fp, a in group.alerts.items() if a.status == "firing"]
        self._acked.update(firing)
        return len(firing)

    def alerts(self, key: str) -> tuple[Alert, ...]:
        """The alerts a group holds now (empty for no such group)."""
        group = self._groups.get(key)
        return () if group is None else tuple(group.alerts.values())

    def tick(self, now: float | None = None) -> list[Notification]:
        """Flush every group whose flush time has come; return the notifications due, by group key."""
        now = self._clock() if now is None else now
        self._silences = [s for s in self._silences if s.ends_at > now]
        notifications: list[Notification] = []
        for key in sorted(self._groups):
            group = self._groups[key]
            if now < group.next_flush:
                continue
            notification = self._flush(group, now)
            if notification is not None:
                notifications.append(notification)
            # The next flush keeps to the group's own schedule even when ticks come late or coarse.
            group.next_flush += (math.floor((now - group.next_flush) / self._group_interval) + 1) * (
                self._group_interval
            )
            if not group.alerts:
                del self._groups[key]
        return notifications

    def _muted(self, alert: Alert, now: float) -> bool:
        if any(silence.mutes(alert.labels, now) for silence in self._silences):
            return True
        return self._inhibit is not None and self._inhibit(alert)

    def _flush(self, group: _Group, now: float) -> Notification | None:
        visible = [a for a in group.alerts.values() if not self._muted(a, now)]
        firing = [a for a in visible if a.status == "firing" and a.fingerprint not in self._acked]
        resolved = [a for a in visible if a.status == "resolved" and a.fingerprint in group.told]
        gone = {fp for fp, a in group.alerts.items() if a.status == "resolved"}
        for fp in gone:
            del group.alerts[fp]
        # A resolution is reported at this flush or never (muted): if the alert fires again, that is new.
        group.last_firing -= gone
        group.told -= gone
        why = self._why(group, now, firing, resolved)
        if why is None:
            return None
        group.last_firing = frozenset(a.fingerprint for a in firing)
        group.told.update(group.last_firing)
        group.last_sent = now
        if firing and group.step_since is None:
            group.step_since = now
        return Notification(
            group_key=group.key,
            group_labels=dict(group.labels),
            status="firing" if firing else "resolved",
            alerts=tuple(sorted(firing, key=_order) + sorted(resolved, key=_order)),
            receivers=self._steps[group.step].receivers,
            step=group.step,
            at=now,
            why=why,
        )

    def _why(self, group: _Group, now: float, firing: list[Alert], resolved: list[Alert]) -> Why | None:
        if not firing:
            group.step, group.step_since = 0, None
        elif (
            group.step_since is not None
            and group.step + 1 < len(self._steps)
            and now - group.step_since >= self._steps[group.step].wait
        ):
            group.step, group.step_since = group.step + 1, now
            return "escalation"
        if not {a.fingerprint for a in firing} <= group.last_firing:
            return "new"
        if resolved:
            return "resolved"
        if firing and group.last_sent is not None and now - group.last_sent >= self._repeat:
            return "repeat"
        return None


def _order(alert: Alert) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(alert.labels.items()))
