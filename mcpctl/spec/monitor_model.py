"""Typed, frozen records of ``kind: Monitor``: servers probed on a schedule, measured, and judged healthy,
degraded, unhealthy or offline.

Each monitored server has a ``probe`` (``ping``, a ``list``, a tool ``call`` with an ``expect`` block as
in a TestSuite, or a resource ``read``), an ``interval`` and a ``timeout``, and keeps one session or opens
one per probe (which also measures connect and initialize). ``health`` maps measurements over a rolling
window to the four states; ``dependsOn`` names the servers a server needs (one whose dependency is
offline is shown as impacted, and its own alerts are inhibited).

Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.model import Expect, Metadata, ServerDef, Source
from mcpctl.spec.node import Plain
from mcpctl.spec.units import Duration

Health = Literal["healthy", "degraded", "unhealthy", "offline"]
HEALTH_STATES: tuple[Health, ...] = ("healthy", "degraded", "unhealthy", "offline")
"""The health states, best first."""
ProbeKind = Literal["ping", "list", "call", "read"]
SessionPolicy = Literal["keep", "per-probe"]
HealthMetric = Literal["p50", "p90", "p99", "error_rate"]
Comparison = Literal["<", "<=", ">", ">="]
DEFAULT_INTERVAL = Duration(seconds=10.0)
DEFAULT_TIMEOUT = Duration(seconds=5.0)
DEFAULT_WINDOW = Duration(seconds=300.0)
DEFAULT_RETENTION = Duration(seconds=7 * 86400.0)
DEFAULT_OFFLINE_AFTER = 3
DEFAULT_CONCURRENCY = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What is sent each ``interval``: ``ping``, ``list`` (tools, resources or prompts), ``call`` (a tool
    with ``with`` arguments and an ``expect`` block) or ``read`` (a resource)."""

    kind: ProbeKind = "ping"
    listing: Literal["tools", "resources", "prompts"] | None = None
    """``list``: which list."""
    tool: str | None = None
    """``call``: the tool."""
    arguments: Mapping[str, Plain] = field(default_factory=dict)
    """``call``: the ``with`` arguments (templates are not rendered: a probe sends the same call)."""
    uri: str | None = None
    """``read``: the resource URI."""
    expect: Expect = field(default_factory=Expect)
    """What the answer must satisfy, as in a TestSuite test (a probe that fails it counts as an error)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthCondition:
    """One condition over the rolling window: ``p99 > 500ms``, ``error_rate > 1%``."""

    metric: HealthMetric
    op: Comparison
    value: float
    """Milliseconds for a latency, a fraction for ``error_rate``."""
    text: str
    """As written, for reasons and messages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthRules:
    """``health``: how measurements map to states (the worst state whose conditions hold wins)."""

    window: Duration = DEFAULT_WINDOW
    """The rolling window the conditions are measured over."""
    degraded: tuple[HealthCondition, ...] = ()
    """Any of these holding makes a server degraded."""
    unhealthy: tuple[HealthCondition, ...] = ()
    """Any of these holding makes a server unhealthy."""
    offline_after: int = DEFAULT_OFFLINE_AFTER
    """Failed connects in a row after which a server is offline."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitoredServer:
    """One server of the monitor, with its probe and schedule."""

    name: str
    """Unique in the monitor (default: the Servers name)."""
    server: str | ServerDef
    """A Servers name, or the server written inline."""
    probe: Probe
    interval: Duration = DEFAULT_INTERVAL
    timeout: Duration = DEFAULT_TIMEOUT
    session: SessionPolicy = "keep"
    """``keep``: one session for every probe; ``per-probe``: a new session each time (measures connect
    and initialize too)."""
    depends_on: tuple[str, ...] = ()
    """Names of the monitored servers this one needs."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels for metrics and alert routing (``server`` is added)."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorSpec:
    """A validated ``kind: Monitor`` document."""

    metadata: Metadata
    servers: tuple[MonitoredServer, ...]
    health: HealthRules = field(default_factory=HealthRules)
    retention: Duration = DEFAULT_RETENTION
    """How long samples' hourly rollups and events are kept in the state store."""
    concurrency: int = DEFAULT_CONCURRENCY
    """Probes in flight at once, over all servers."""
    spec_hash: str
    source: Source
