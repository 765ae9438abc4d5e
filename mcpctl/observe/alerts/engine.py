"""One AlertRules document at work: its rules evaluated over a monitor's measurements, alerts labelled and
annotated, grouped and routed by its dispatcher, muted by silences, acks and inhibition.

One :class:`~mcpctl.observe.alerts.state.Evaluator` evaluates every rule, each over the servers it selects
(``servers`` and ``selector`` over the monitored servers' labels). An alert carries the
server's labels, then the rule's, then ``alertname``, ``server`` and ``severity``; its fingerprint is of
all of them. Annotations are the rule's templates rendered in the sandbox when the alert fires (a template
that fails at run time renders as its error text rather than losing the alert).

Inhibition: an alert of a server with an offline dependency (``impacted(server)`` not empty) does not
notify, and neither does one an ``inhibit`` rule's firing source alert covers. Nothing here reads a clock
or does I/O: the caller passes ``now``, feeds measurements, and sends the notifications :meth:`tick`
returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mcpctl.observe.alerts.alert import Alert, fingerprint
from mcpctl.observe.alerts.route import Dispatcher, EscalationStep, Notification
from mcpctl.observe.alerts.silence import Silence
from mcpctl.observe.alerts.state import AlertEvent, AlertState, Evaluator, Measurements
from mcpctl.spec.alert_matchers import matches_all
from mcpctl.spec.alert_model import AlertRule, AlertRulesSpec, InhibitRule
from mcpctl.spec.templating import TemplateError, compile_template

Labels = Mapping[str, Mapping[str, str]]
"""The monitored servers' own labels, by server name."""
Impacted = Callable[[str], tuple[str, ...]]
"""The offline dependencies of a server (empty: none)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracked:
    """An alert that is pending or firing now."""

    rule: str
    server: str
    state: AlertState
    since: float
    alert: Alert | None
    """The alert instance once it fired."""


class AlertEngine:
    """Evaluates one AlertRules document and decides its notifications."""

    def __init__(self, spec: AlertRulesSpec, *, clock: Callable[[], float], impacted: Impacted) -> None:
        self.spec = spec
        self._rules = spec.rules
        self._index = {rule.rule.name: index for index, rule in enumerate(spec.rules)}
        self._evaluator = Evaluator([rule.rule for rule in spec.rules])
        self._templates = [
            {name: compile_template(text) for name, text in rule.annotations.items()} for rule in spec.rules
        ]
        self._impacted = impacted
        self._firing: dict[str, Alert] = {}
        self._tracked: dict[tuple[str, str], Tracked] = {}
        self.dispatcher = Dispatcher(
            group_by=spec.route.group_by,
            group_wait=spec.route.group_wait.seconds,
            group_interval=spec.route.group_interval.seconds,
            repeat_interval=spec.route.repeat_interval.seconds,
            clock=clock,
            escalation=[
                EscalationStep(receivers=step.receivers, wait=step.wait.seconds) for step in spec.route.steps
            ],
            inhibit=self.inhibited,
        )

    def evaluate(self, now: float, measurements: Measurements, labels: Labels) -> list[AlertEvent]:
        """Evaluate every rule at ``now``; push the alerts that start or stop firing; return every change
        (with the alert, relabelled and annotated, on the changes that carry one)."""
        only = [
            {name for name in measurements if _selects(rule, name, labels)}
            if rule.servers or rule.selector
            else None
            for rule in self._rules
        ]
        events: list[AlertEvent] = []
        for event in self._evaluator.evaluate(now, measurements, only=only):
            if event.alert is not None:
                event = dataclasses.replace(event, alert=self._dress(self._index[event.rule], event, labels))
                self._remember(event)
                self.dispatcher.push(event.alert)  # type: ignore[arg-type]  # set just above
            self._track(event)
            events.append(event)
        return events

    def tick(self, now: float) -> list[Notification]:
        """The notifications due at ``now``."""
        return self.dispatcher.tick(now)

    def inhibited(self, alert: Alert) -> bool:
        """Whether ``alert`` is inhibited: its server's dependency is offline, or an inhibit rule's source
        alert fires."""
        if self._impacted(alert.labels.get("server", "")):
            return True
        return any(self._inhibits(rule, alert) for rule in self.spec.inhibit)

    def _inhibits(self, rule: InhibitRule, target: Alert) -> bool:
        if not matches_all(rule.target, target.labels):
            return False
        return any(
            source.fingerprint != target.fingerprint
            and matches_all(rule.source, source.labels)
            and all(source.labels.get(n, "") == target.labels.get(n, "") for n in rule.equal)
            for source in self._firing.values()
        )

    def add_silence(self, silence: Silence) -> None:
        """Mute matching alerts while ``silence`` is in force."""
        self.dispatcher.add_silence(silence)

    def ack(self, fingerprint: str) -> bool:
        """Acknowledge a firing alert (no notifications until it resolves); False if none fires with it."""
        return self.dispatcher.ack(fingerprint)

    def active(self) -> list[Tracked]:
        """The pending and firing alerts, oldest first."""
        return sorted(self._tracked.values(), key=lambda t: (t.since, t.rule, t.server))

    def firing(self, fp: str) -> Alert | None:
        """The firing alert with fingerprint ``fp``."""
        return self._firing.get(fp)

    def _dress(self, index: int, event: AlertEvent, labels: Labels) -> Alert:
        alert = event.alert
        assert alert is not None
        full = {**labels.get(event.server, {}), **alert.labels}
        context = {
            "alertname": event.rule,
            "server": event.server,
            "severity": full.get("severity", ""),
            "labels": full,
            "condition": alert.annotations.get("condition", ""),
            "value": alert.annotations.get("value", ""),
        }
        annotations = dict(alert.annotations)
        for name, template in self._templates[index].items():
            try:
                annotations[name] = template.render(context)
            except TemplateError as error:
                annotations[name] = f"(annotation {name} failed: {error})"
        return dataclasses.replace(alert, labels=full, annotations=annotations, fingerprint=fingerprint(full))

    def _remember(self, event: AlertEvent) -> None:
        alert = event.alert
        assert alert is not None
        if alert.status == "firing":
            self._firing[alert.fingerprint] = alert
        else:
            self._firing.pop(alert.fingerprint, None)

    def _track(self, event: AlertEvent) -> None:
        key = (event.rule, event.server)
        if event.state in ("pending", "firing"):
            alert = event.alert if event.alert is not None else None
            self._tracked[key] = Tracked(
                rule=event.rule, server=event.server, state=event.state, since=event.at, alert=alert
            )
        else:
            self._tracked.pop(key, None)


def _selects(rule: AlertRule, server: str, labels: Labels) -> bool:
    if rule.servers and server not in rule.servers:
        return False
    if rule.selector:
        own = labels.get(server, {})
        return all(own.get(name) == value for name, value in rule.selector.items())
    return True
