"""A ``Monitor`` document, from validated YAML to :mod:`mcpctl.spec.monitor_model` records.

YAML → record rules the schema leaves open: a probe has exactly one of ``ping``, ``list``, ``call``
and ``read`` (``with`` only with ``call``) and its ``expect`` is built as a TestSuite test's; a server
without ``probe``, ``interval``, ``timeout`` or ``session`` takes the one of ``defaults`` (else ping,
10s, 5s, keep); a server's name defaults to its Servers name (an inline server must say ``name``);
a probe's timeout is shorter than its interval; ``retention`` is days (``7d``) or a duration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from mcpctl.spec.build_suite import DEFAULT_TIMEOUT as SUITE_TIMEOUT
from mcpctl.spec.build_suite import SuiteContext, build_expect, duration, parsed
from mcpctl.spec.model import Metadata, ServerDef
from mcpctl.spec.monitor_checks import (
    check_dependencies,
    check_labels,
    check_probe_expect,
    check_server_names,
    parse_condition,
    parse_retention,
)
from mcpctl.spec.monitor_model import (
    DEFAULT_CONCURRENCY,
    DEFAULT_INTERVAL,
    DEFAULT_OFFLINE_AFTER,
    DEFAULT_RETENTION,
    DEFAULT_TIMEOUT,
    DEFAULT_WINDOW,
    HealthCondition,
    HealthRules,
    MonitoredServer,
    MonitorSpec,
    Probe,
    ProbeKind,
    SessionPolicy,
)
from mcpctl.spec.semantics import Locks, PinnedTools, check_exclusive, one_of
from mcpctl.spec.units import Duration
from mcpctl.spec.validate import Cursor

PROBE_KINDS: tuple[ProbeKind, ...] = get_args(ProbeKind)
"""The keys of a probe, exactly one of which it has."""
_LISTS: tuple[Literal["tools", "resources", "prompts"], ...] = ("tools", "resources", "prompts")


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorContext:
    """What a monitor is built with besides its document."""

    base_dir: str
    """The spec file's directory: relative paths resolve against it."""
    locks: Locks
    server: Callable[[Cursor, str], tuple[str | ServerDef, PinnedTools | None]]
    """A ``server:`` field and the monitored server's name → the server (a Servers name, checked, or
    the inline server built) and its pinned tools when it is pinned."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Defaults:
    probe: Probe
    interval: Duration
    timeout: Duration
    session: SessionPolicy


def build_monitor(doc: Cursor, *, metadata: Metadata, spec_hash: str, ctx: MonitorContext) -> MonitorSpec:
    """The Monitor document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    defaults = _defaults(doc.get("defaults"), ctx)
    entries = doc.required("servers").elements()
    servers = [_server(entry, defaults, ctx) for entry in entries]
    check_server_names(
        [(s.name, e.required("server"), e.get("name")) for s, e in zip(servers, entries, strict=True)]
    )
    check_dependencies([(s.name, e.get("dependsOn")) for s, e in zip(servers, entries, strict=True)])
    retention = parsed(doc.get("retention"), parse_retention)
    return MonitorSpec(
        metadata=metadata,
        servers=tuple(servers),
        health=_health(doc.get("health")),
        retention=retention or DEFAULT_RETENTION,
        concurrency=doc.integer("concurrency") or DEFAULT_CONCURRENCY,
        spec_hash=spec_hash,
        source=doc.source(),
    )


def _defaults(cursor: Cursor | None, ctx: MonitorContext) -> _Defaults:
    if cursor is None:
        return _Defaults(probe=Probe(), interval=DEFAULT_INTERVAL, timeout=DEFAULT_TIMEOUT, session="keep")
    probe = cursor.get("probe")
    interval = duration(cursor.get("interval")) or DEFAULT_INTERVAL
    timeout = duration(cursor.get("timeout")) or DEFAULT_TIMEOUT
    _check_schedule(cursor, interval, timeout)
    return _Defaults(
        probe=_probe(probe, ctx, None) if probe is not None else Probe(),
        interval=interval,
        timeout=timeout,
        session=one_of(cursor.text("session"), get_args(SessionPolicy), "keep"),
    )


def _check_schedule(cursor: Cursor, interval: Duration, timeout: Duration) -> None:
    """A probe ends before the next is due (checked where interval or timeout is written)."""
    written = cursor.get("timeout") or cursor.get("interval")
    if written is not None and timeout.seconds >= interval.seconds:
        written.error(
            f"timeout ({timeout}) must be shorter than interval ({interval}): a probe ends before the next"
        )


def _server(entry: Cursor, defaults: _Defaults, ctx: MonitorContext) -> MonitoredServer:
    field = entry.required("server")
    name = entry.text("name")
    if name is None and isinstance(field.node.value, str):
        name = field.node.value
    elif name is None:
        field.error("an inline server needs name: the name the monitor shows it by")
    server, pinned = ctx.server(field, name or "")
    probe = entry.get("probe")
    interval = duration(entry.get("interval")) or defaults.interval
    timeout = duration(entry.get("timeout")) or defaults.timeout
    _check_schedule(entry, interval, timeout)
    depends_on = entry.get("dependsOn")
    labels = entry.get("labels")
    check_labels(labels)
    session = entry.text("session")
    return MonitoredServer(
        name=name or "",
        server=server,
        probe=_probe(probe, ctx, pinned) if probe is not None else defaults.probe,
        interval=interval,
        timeout=timeout,
        session=one_of(session, get_args(SessionPolicy), "keep") if session else defaults.session,
        depends_on=tuple(str(item.plain()) for item in depends_on.elements()) if depends_on else (),
        labels={key: str(value.plain()) for key, value in labels.items()} if labels is not None else {},
        source=entry.source(),
    )


def _probe(cursor: Cursor, ctx: MonitorContext, pinned: PinnedTools | None) -> Probe:
    written = check_exclusive(cursor, PROBE_KINDS, "probe")
    if written is None:
        cursor.error(f"a probe needs one of: {', '.join(PROBE_KINDS)}")
        return Probe()
    kind = one_of(written, PROBE_KINDS, "ping")
    arguments = cursor.get("with")
    if arguments is not None and kind != "call":
        arguments.error(f"with applies only to a call probe (this probe uses {kind})")
    field = cursor.required(kind)
    target = str(field.plain())
    listing = one_of(target, _LISTS, "tools") if kind == "list" else None
    check_probe_expect(cursor, kind, listing)
    if kind == "call" and pinned is not None:
        pinned.check(field, target)
    suite = SuiteContext(
        base_dir=ctx.base_dir,
        timeout=SUITE_TIMEOUT,
        retries=0,
        vars=frozenset(),
        locks=ctx.locks,
        pinned=pinned,
    )
    return Probe(
        kind=kind,
        listing=listing,
        tool=target if kind == "call" else None,
        arguments={key: value.plain() for key, value in arguments.items()}
        if kind == "call" and arguments
        else {},
        uri=target if kind == "read" else None,
        expect=build_expect(cursor.get("expect"), suite),
    )


def _health(cursor: Cursor | None) -> HealthRules:
    if cursor is None:
        return HealthRules()
    return HealthRules(
        window=duration(cursor.get("window")) or DEFAULT_WINDOW,
        degraded=_conditions(cursor.get("degraded")),
        unhealthy=_conditions(cursor.get("unhealthy")),
        offline_after=cursor.integer("offlineAfter") or DEFAULT_OFFLINE_AFTER,
    )


def _conditions(cursor: Cursor | None) -> tuple[HealthCondition, ...]:
    found = []
    for item in cursor.elements() if cursor is not None else []:
        parts = parsed(item, parse_condition)
        if parts is not None:
            metric, op, value = parts
            found.append(HealthCondition(metric=metric, op=op, value=value, text=str(item.plain()).strip()))
    return tuple(found)
