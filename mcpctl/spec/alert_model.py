"""Typed, frozen records of ``kind: AlertRules`` (alerting rules over a Monitor's measurements, and how
their alerts are grouped) and ``kind: AlertTest`` (a promtool-style unit test of an AlertRules file).

The rules themselves are :class:`mcpctl.spec.alert_rules.Rule` records, the pure alert core's own, so
what is validated is exactly what is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mcpctl.spec.alert_matchers import Matcher
from mcpctl.spec.alert_rules import Rule, Value
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.receiver_model import Receiver
from mcpctl.spec.units import Duration

ANNOTATION_NAMES = ("alertname", "condition", "labels", "server", "severity", "value")
"""The names an annotation template can read."""
RESERVED_LABELS = ("alertname", "server", "severity")
"""Labels mcpctl sets on every alert, which a rule's ``labels`` cannot set."""
DEFAULT_TEST_INTERVAL = Duration(seconds=60.0)
DEFAULT_GROUP_WAIT = Duration(seconds=30.0)
DEFAULT_GROUP_INTERVAL = Duration(seconds=300.0)
DEFAULT_REPEAT_INTERVAL = Duration(seconds=4 * 3600.0)
DEFAULT_EVALUATION_INTERVAL = Duration(seconds=1.0)
NO_WAIT = Duration(seconds=0.0)
CONSOLE = "console"
"""The receiver notified when a route names none; without a receiver of that name, it prints on stderr."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """One rule of an AlertRules document."""

    rule: Rule
    """The condition, ``for``, ``keepFiringFor``, severity and labels, as the evaluator takes them."""
    servers: tuple[str, ...] = ()
    """Only these monitored servers (empty: every server)."""
    selector: Mapping[str, str] = field(default_factory=dict)
    """Only monitored servers whose labels have these values (empty: every server)."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Templates (compile-checked), rendered when an alert fires."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRoute:
    """How alerts are grouped and how often a group notifies (Alertmanager's route)."""

    group_by: tuple[str, ...] = ("alertname",)
    group_wait: Duration = DEFAULT_GROUP_WAIT
    group_interval: Duration = DEFAULT_GROUP_INTERVAL
    repeat_interval: Duration = DEFAULT_REPEAT_INTERVAL
    """As written: the dispatcher rounds it up to a multiple of ``group_interval``."""
    escalation: tuple[Escalation, ...] = ()
    """The steps; empty means one step notifying :data:`CONSOLE`."""

    @property
    def steps(self) -> tuple[Escalation, ...]:
        """The escalation steps in force (one console step when none is written)."""
        return self.escalation or (Escalation(receivers=(CONSOLE,)),)


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """One escalation step: these receivers, then (while firing and not acked) ``wait`` before the next."""

    receivers: tuple[str, ...]
    wait: Duration = NO_WAIT


@dataclass(frozen=True, slots=True, kw_only=True)
class InhibitRule:
    """While an alert matching ``source`` fires, alerts matching ``target`` with the same ``equal`` labels
    do not notify (Alertmanager's inhibit_rules)."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRulesSpec:
    """A validated ``kind: AlertRules`` document."""

    metadata: Metadata
    rules: tuple[AlertRule, ...]
    route: AlertRoute = field(default_factory=AlertRoute)
    receivers: tuple[Receiver, ...] = ()
    inhibit: tuple[InhibitRule, ...] = ()
    evaluation_interval: Duration = DEFAULT_EVALUATION_INTERVAL
    spec_hash: str
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpectedAlert:
    """An alert a test expects: its rule's name and its server."""

    alert: str
    server: str
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTestCase:
    """The alerts expected at one time."""

    at: Duration
    firing: tuple[ExpectedAlert, ...]
    pending: tuple[ExpectedAlert, ...] | None = None
    """``None``: pending alerts are not checked."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTestSpec:
    """A validated ``kind: AlertTest`` document."""

    metadata: Metadata
    rules_file: str
    """The AlertRules file under test, resolved against the test file's directory."""
    rules_source: Source
    """Where ``rules:`` is written, for errors about the file it names."""
    interval: Duration = DEFAULT_TEST_INTERVAL
    series: Mapping[str, Mapping[str, tuple[Value, ...]]]
    """Values by server, then by metric, one per evaluation step."""
    tests: tuple[AlertTestCase, ...]
    spec_hash: str
    source: Source
