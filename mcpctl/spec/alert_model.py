"""Typed, frozen records of ``kind: AlertRules`` (alerting rules over a Monitor's measurements, and how
their alerts are grouped) and ``kind: AlertTest`` (a promtool-style unit test of an AlertRules file).

The rules themselves are :class:`mcpctl.spec.alert_rules.Rule` records, the pure alert core's own, so
what is validated is exactly what is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mcpctl.spec.alert_rules import Rule, Value
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.units import Duration

ANNOTATION_NAMES = ("alertname", "condition", "labels", "server", "severity", "value")
"""The names an annotation template can read."""
RESERVED_LABELS = ("alertname", "server", "severity")
"""Labels mcpctl sets on every alert, which a rule's ``labels`` cannot set."""
DEFAULT_TEST_INTERVAL = Duration(seconds=60.0)
DEFAULT_GROUP_WAIT = Duration(seconds=30.0)
DEFAULT_GROUP_INTERVAL = Duration(seconds=300.0)
DEFAULT_REPEAT_INTERVAL = Duration(seconds=4 * 3600.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """One rule of an AlertRules document."""

    rule: Rule
    """The condition, ``for``, ``keepFiringFor``, severity and labels, as the evaluator takes them."""
    servers: tuple[str, ...] = ()
    """Only these monitored servers (empty: every server)."""
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


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRulesSpec:
    """A validated ``kind: AlertRules`` document."""

    metadata: Metadata
    rules: tuple[AlertRule, ...]
    route: AlertRoute = field(default_factory=AlertRoute)
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
