"""Alerting inside a running monitor: each AlertRules document evaluated on its own schedule over the
monitor's measurements, its notifications delivered off the probe path, and everything that happens to an
alert kept in the event log and the state store.

Acks and silences come from the store (``mcpctl alerts ack|silence|unsilence`` write them there, from any
process), read at every evaluation. Delivery runs in the :class:`~mcpctl.observe.alerts.deliver.Deliverer`'s
own tasks: a slow or dead receiver delays nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import trio

from mcpctl.engine.monitor.loop import MonitorState, run_schedule
from mcpctl.observe.alerts.deliver import Deliverer, DeliveryResult
from mcpctl.observe.alerts.engine import AlertEngine
from mcpctl.observe.alerts.route import Notification
from mcpctl.observe.alerts.silence import Silence
from mcpctl.observe.alerts.state import AlertEvent, Measurements
from mcpctl.spec.alert_matchers import parse_matcher
from mcpctl.spec.alert_model import CONSOLE, AlertRulesSpec
from mcpctl.spec.receiver_model import Receiver
from mcpctl.store import alerts as stored
from mcpctl.store.db import Store

Row = tuple[str, float, str, str, str, str, stored.Json]
"""A history row: (monitor, at, event, fingerprint, alertname, server, detail)."""
HISTORY_NAMES = {"pending": "pending", "firing": "fired", "resolved": "resolved", "nodata": "nodata"}
"""The history event of an alert state change (a pending alert that clears is ``cleared``)."""


def measurements(state: MonitorState) -> Measurements:
    """Every judged server's window measurements as of its last probe, in the alert rules' units."""
    found: dict[str, dict[str, float | str | None]] = {}
    for name, server in state.servers.items():
        stats = server.stats
        if server.health is None or stats is None:
            continue
        found[name] = {
            "p50": stats.p50,
            "p90": stats.p90,
            "p99": stats.p99,
            "error_rate": stats.error_rate if stats.count else None,
            "throughput": stats.calls_per_second,
            "health": server.health,
        }
    return found


def receivers_of(spec: AlertRulesSpec) -> dict[str, Receiver]:
    """The document's receivers by name, with the implicit ``console`` one when none has that name."""
    found = {receiver.name: receiver for receiver in spec.receivers}
    found.setdefault(CONSOLE, Receiver(name=CONSOLE, kind="console", source=spec.source))
    return found


class Alerting:
    """Runs the AlertRules documents of one monitor."""

    def __init__(
        self,
        specs: Sequence[AlertRulesSpec],
        state: MonitorState,
        *,
        store: Store | None,
        redact: Callable[[str], str],
        external_url: str,
    ) -> None:
        self.state = state
        self.store = store
        self.monitor = state.spec.metadata.name
        self._redact = redact
        self._external_url = external_url
        self.engines = [AlertEngine(spec, clock=state.wall, impacted=state.impacted) for spec in specs]
        self._deliverers = [
            Deliverer(
                receivers_of(spec),
                on_result=functools.partial(self._delivered, spec.metadata.name),
                redact=redact,
                external_url=external_url,
                wall=state.wall,
            )
            for spec in specs
        ]
        self._last_ack = 0
        self._silences: set[str] = set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver and evaluate until cancelled."""
        if self.store is not None:
            self._last_ack = max((a.id for a in stored.acks_after(self.store, 0)), default=0)
        async with trio.open_nursery() as nursery:
            for deliverer in self._deliverers:
                await nursery.start(deliverer.run)
            for engine, deliverer in zip(self.engines, self._deliverers, strict=True):
                tick = functools.partial(self._cycle, engine, deliverer)
                nursery.start_soon(run_schedule, engine.spec.evaluation_interval.seconds, tick)
            task_status.started()

    async def _cycle(self, engine: AlertEngine, deliverer: Deliverer, k: int, due: float) -> None:
        now = self.state.wall()
        history: list[Row] = []
        if self.store is not None:
            history += self._read_store(engine, now)
        labels = {name: s.spec.labels for name, s in self.state.servers.items()}
        changes = engine.evaluate(now, measurements(self.state), labels)
        for change in changes:
            history += self._changed(engine, change, now)
        # the time now, not the cycle start: an alert pushed during this evaluation with groupWait 0s is due
        for notification in engine.tick(self.state.wall()):
            deliverer.submit(notification)
            history += self._notified(notification)
        if self.store is not None and (history or changes):
            stored.record_history(self.store, history)
            stored.set_active(self.store, self.monitor, self._active(now))

    def _read_store(self, engine: AlertEngine, now: float) -> list[Row]:
        assert self.store is not None
        rows: list[Row] = []
        for ack in stored.acks_after(self.store, self._last_ack):
            self._last_ack = ack.id
            alert = engine.firing(ack.fingerprint)
            if alert is not None and engine.ack(ack.fingerprint):
                detail = {"author": ack.author, "comment": ack.comment}
                rows.append(
                    (
                        self.monitor,
                        now,
                        "acked",
                        ack.fingerprint,
                        alert.name,
                        alert.labels.get("server", ""),
                        detail,
                    )
                )
                self.state.events.append(
                    "alert_ack", {"fingerprint": ack.fingerprint, "alertname": alert.name, **detail}
                )
        in_force = {s.id: s for s in stored.silences(self.store, now=now)}
        for silence_id in self._silences - in_force.keys():
            engine.dispatcher.remove_silence(silence_id)
        for silence_id in in_force.keys() - self._silences:
            found = in_force[silence_id]
            engine.add_silence(
                Silence(
                    id=found.id,
                    matchers=tuple(parse_matcher(m) for m in found.matchers),
                    starts_at=found.starts_at,
                    ends_at=found.ends_at,
                    comment=found.comment,
                )
            )
        self._silences = set(in_force)
        return rows

    def _changed(self, engine: AlertEngine, change: AlertEvent, now: float) -> list[Row]:
        alert = change.alert
        fp = alert.fingerprint if alert is not None else f"{change.rule}/{change.server}"
        fields = {
            "rule": change.rule,
            "server": change.server,
            "from": change.previous,
            "to": change.state,
            "reason": change.reason,
            "fingerprint": fp,
            "value": change.value,
            "labels": dict(alert.labels) if alert is not None else {},
            "annotations": dict(alert.annotations) if alert is not None else {},
        }
        self.state.events.append("alert", fields, ts=change.at)
        name = HISTORY_NAMES.get(change.state, "cleared")
        detail: stored.Json = {"reason": change.reason, "value": change.value}
        rows: list[Row] = [(self.monitor, change.at, name, fp, change.rule, change.server, detail)]
        if alert is not None and change.state == "firing":
            muted = engine.dispatcher.muted_by(alert, now)
            if muted in ("silenced", "inhibited"):
                rows.append((self.monitor, change.at, muted, fp, change.rule, change.server, {}))
        return rows

    def _notified(self, n: Notification) -> list[Row]:
        self.state.events.append(
            "notification",
            {
                "group": n.group_key,
                "status": n.status,
                "why": n.why,
                "step": n.step,
                "receivers": list(n.receivers),
                "alerts": [
                    {
                        "alertname": a.name,
                        "server": a.labels.get("server", ""),
                        "status": a.status,
                        "fingerprint": a.fingerprint,
                    }
                    for a in n.alerts
                ],
            },
            ts=n.at,
        )
        detail = {"receivers": list(n.receivers), "why": n.why, "step": n.step, "group": n.group_key}
        return [
            (
                self.monitor,
                n.at,
                "notified",
                a.fingerprint,
                a.name,
                a.labels.get("server", ""),
                {**detail, "status": a.status},
            )
            for a in n.alerts
        ]

    def _delivered(self, rules: str, result: DeliveryResult) -> None:
        fields = {
            "rules": rules,
            "receiver": result.receiver,
            "kind": result.kind,
            "group": result.group_key,
            "ok": result.ok,
            "final": result.final,
            "attempt": result.attempt,
            "error": result.error,
            "elapsed": result.elapsed,
        }
        self.state.events.append("delivery", fields)
        if self.store is None or result.ok or not result.final:
            return
        detail = {"receiver": result.receiver, "attempt": result.attempt, "error": result.error}
        stored.record_history(
            self.store,
            [(self.monitor, result.at, "delivery_failed", fp, "", "", detail) for fp in result.fingerprints],
        )

    def _active(self, now: float) -> list[stored.ActiveAlert]:
        found = []
        tracks = [(engine, tracked) for engine in self.engines for tracked in engine.active()]
        for engine, tracked in tracks:
            alert = tracked.alert
            record: dict[str, object] = {"severity": "", "labels": {}, "annotations": {}}
            if alert is not None:
                record = {
                    "severity": alert.labels.get("severity", ""),
                    "labels": dict(alert.labels),
                    "annotations": dict(alert.annotations),
                    "muted": engine.dispatcher.muted_by(alert, now),
                }
            found.append(
                stored.ActiveAlert(
                    monitor=self.monitor,
                    alertname=tracked.rule,
                    server=tracked.server,
                    state=tracked.state,
                    since=tracked.since,
                    fingerprint=alert.fingerprint
                    if alert is not None
                    else f"{tracked.rule}/{tracked.server}",
                    record=record,
                )
            )
        return found
