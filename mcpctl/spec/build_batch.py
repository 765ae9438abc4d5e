"""A ``BatchPlan`` document, from validated YAML to :mod:`mcpctl.spec.batch_model` records.

Defaults are applied here, durations, percentages and sizes parsed, paths resolved against the plan
file's directory; meaning is checked on the way (:mod:`mcpctl.spec.batch_checks`). Problems go to
the document's :class:`~mcpctl.spec.validate.Problems`; the records built alongside are then thrown
away.

YAML → record rules the schema leaves open: a ``to``/``in`` item that is a string is a client's own
config file; ``maxFailPercentage: 10`` means 10%; ``memoryLimit`` is bytes, or a size whose unit is
B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import get_args

from mcpctl.spec.batch_checks import (
    check_known,
    check_names,
    check_output,
    check_record_templates,
    records_format,
)
from mcpctl.spec.batch_model import (
    BatchPlanSpec,
    ClientName,
    ConfigTarget,
    DeployOp,
    EntryStyle,
    ErrorKind,
    ExecuteOp,
    Operation,
    Retry,
    TestOp,
    UpdateOp,
    ValidateOp,
)
from mcpctl.spec.build_suite import duration, parsed, resolve
from mcpctl.spec.model import Metadata, ServerDef
from mcpctl.spec.semantics import (
    Locks,
    Scope,
    check_exclusive,
    check_templates,
    check_unique,
    one_of,
    pinned_tools,
)
from mcpctl.spec.units import Duration, Percent, parse_percent
from mcpctl.spec.validate import Cursor

OPERATIONS = ("validate", "test", "deploy", "update", "execute")
"""The keys of an operation item, exactly one of which it has."""
DEFAULT_TIMEOUT = Duration(seconds=60.0)
SIZE_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
"""``memoryLimit`` units → bytes."""
_DEFAULTS = Retry()
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)")
_NO_SERVERS = "no servers are defined: add a Servers document or pass --servers"
_NO_SUITES = "no TestSuite documents are loaded: pass the files that define them with the plan"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanContext:
    """What a plan is checked against: the documents loaded with it."""

    base_dir: str
    """The plan file's directory: relative paths resolve against it."""
    servers: Mapping[str, ServerDef]
    suites: Collection[str]
    """The names of the TestSuite documents loaded with the plan."""
    locks: Locks
    """The lock files read for the servers' ``pin:`` (an execute must call a pinned tool)."""


def build_batch(doc: Cursor, *, metadata: Metadata, spec_hash: str, ctx: PlanContext) -> BatchPlanSpec:
    """The BatchPlan document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    vars_field = doc.get("vars")
    variables = {key: value.plain() for key, value in vars_field.items()} if vars_field is not None else {}
    check_templates(vars_field, Scope(vars=frozenset(variables), steps={}))
    operations = doc.required("operations").elements()
    built = [_operation(item, ctx, frozenset(variables)) for item in operations]
    return BatchPlanSpec(
        metadata=metadata,
        operations=tuple(op for op in built if op is not None),
        concurrency=doc.integer("concurrency") or 10,
        timeout=duration(doc.get("timeout")) or DEFAULT_TIMEOUT,
        retry=_retry(doc.get("retry")),
        max_fail_percentage=_percent(doc.get("maxFailPercentage")),
        on_failure=one_of(doc.text("onFailure"), ("continue", "halt", "rollback"), "halt"),
        memory_limit=_memory(doc.get("memoryLimit")),
        vars=variables,
        source=doc.source(),
        spec_hash=spec_hash,
    )


def _retry(cursor: Cursor | None) -> Retry:
    if cursor is None:
        return Retry()
    written = cursor.get("backoff")
    backoff = duration(written) or _DEFAULTS.backoff
    ceiling = duration(cursor.get("maxBackoff")) or _DEFAULTS.max_backoff
    if written is not None and backoff.seconds > ceiling.seconds:
        written.error(f"backoff ({backoff}) is above maxBackoff ({ceiling})")
    errors, statuses, codes = cursor.get("errors"), cursor.get("statuses"), cursor.get("codes")
    kinds: tuple[ErrorKind, ...] = get_args(ErrorKind)
    return Retry(
        attempts=cursor.integer("attempts") or 1,
        backoff=backoff,
        max_backoff=ceiling,
        jitter="none" if cursor.text("jitter") == "none" else "full",
        errors=tuple(one_of(str(i.plain()), kinds, "timeout") for i in errors.elements())
        if errors is not None
        else _DEFAULTS.errors,
        statuses=tuple(_ints(statuses)) if statuses is not None else _DEFAULTS.statuses,
        codes=tuple(_ints(codes)) if codes is not None else _DEFAULTS.codes,
    )


def _ints(cursor: Cursor) -> list[int]:
    return [value for item in cursor.elements() if isinstance(value := item.plain(), int)]


def _percent(cursor: Cursor | None) -> Percent | None:
    if cursor is None or isinstance(cursor.node.value, str):
        return parsed(cursor, parse_percent)
    value = cursor.node.value
    assert isinstance(value, int | float)  # the schema allows a string or a number from 0 to 100
    return Percent(fraction=float(Decimal(str(value)) / 100))


def _memory(cursor: Cursor | None) -> int | None:
    if cursor is None:
        return None
    value = cursor.node.value
    if isinstance(value, int):
        return value
    return parsed(cursor, parse_size)


def parse_size(text: str) -> int:
    """``512MiB`` → 536870912: a number and a unit of :data:`SIZE_UNITS`; at least one byte."""
    match = _SIZE.fullmatch(text.strip())
    if match is None or match.group(2) not in SIZE_UNITS:
        units = ", ".join(SIZE_UNITS)
        raise ValueError(f"{text!r} is not a size: use bytes or a number and a unit ({units}), e.g. 512MiB")
    size = int(Decimal(match.group(1)) * SIZE_UNITS[match.group(2)])
    if size < 1:
        raise ValueError(f"{text!r} is not a size: it must be at least 1 byte")
    return size


# -- operations ---------------------------------------------------------------------------------


def _operation(item: Cursor, ctx: PlanContext, variables: frozenset[str]) -> Operation | None:
    name = check_exclusive(item, OPERATIONS, "operation")
    body = item.get(name) if name is not None else None
    if name is None or body is None:
        item.error(f"an operation needs one of: {', '.join(OPERATIONS)}")
        return None
    timeout = duration(body.get("timeout"))
    if name == "validate":
        return ValidateOp(servers=_servers(body, ctx), timeout=timeout, source=item.source())
    if name == "test":
        names = check_names(body.required("suites"), noun="suite", known=ctx.suites, none=_NO_SUITES)
        return TestOp(suites=tuple(names), timeout=timeout, source=item.source())
    if name == "deploy":
        return DeployOp(
            servers=_servers(body, ctx),
            to=_targets(body.required("to"), ctx, "deploy"),
            force=body.flag("force") or False,
            validate_first=body.flag("validateFirst") or False,
            timeout=timeout,
            source=item.source(),
        )
    if name == "update":
        return _update(body, ctx, timeout, item)
    return _execute(body, ctx, variables, timeout, item)


def _servers(body: Cursor, ctx: PlanContext) -> tuple[str, ...]:
    return tuple(check_names(body.required("servers"), noun="server", known=ctx.servers, none=_NO_SERVERS))


def _update(body: Cursor, ctx: PlanContext, timeout: Duration | None, item: Cursor) -> UpdateOp:
    fields = body.get("fields")
    written = [(str(field.plain()), field) for field in fields.elements()] if fields is not None else []
    check_unique(written, "update", noun="field")
    op = UpdateOp(
        servers=_servers(body, ctx),
        in_=_targets(body.required("in"), ctx, "update"),
        timeout=timeout,
        source=item.source(),
    )
    return op if fields is None else replace(op, fields=tuple(dict.fromkeys(name for name, _ in written)))


def _execute(
    body: Cursor, ctx: PlanContext, variables: frozenset[str], timeout: Duration | None, item: Cursor
) -> ExecuteOp:
    server_field, tool_field = body.required("server"), body.required("tool")
    input_field, output_field = body.required("input"), body.required("output")
    server, tool = str(server_field.plain()), str(tool_field.plain())
    check_known(server_field, server, noun="server", known=ctx.servers, none=_NO_SERVERS)
    _check_pinned(tool_field, tool, ctx.servers.get(server), ctx.locks)
    source = resolve(ctx.base_dir, str(input_field.plain()))
    output = resolve(ctx.base_dir, str(output_field.plain()))
    check_output(output_field, output, source)
    arguments = body.get("with")
    check_record_templates(arguments, variables)
    return ExecuteOp(
        server=server,
        tool=tool,
        input=source,
        format=records_format(input_field, source, body.get("format"), what="input"),
        key=body.text("key"),
        with_={key: value.plain() for key, value in arguments.items()} if arguments is not None else {},
        output=output,
        timeout=timeout,
        source=item.source(),
    )


def _check_pinned(field: Cursor, tool: str, server: ServerDef | None, locks: Locks) -> None:
    """A call to a pinned server must name a pinned tool (its lock was read, and reported, already)."""
    lock = locks.peek(server.pin) if server is not None and server.pin is not None else None
    if server is not None and server.pin is not None and lock is not None:
        pinned_tools(server.name, server.pin, lock).check(field, tool)


# -- config targets -----------------------------------------------------------------------------


def _targets(cursor: Cursor, ctx: PlanContext, what: str) -> tuple[ConfigTarget, ...]:
    built = [(_target(item, ctx), item) for item in cursor.elements()]
    check_unique([(target.ident, item) for target, item in built], what, noun="target")
    return tuple(target for target, _ in built)


def _target(item: Cursor, ctx: PlanContext) -> ConfigTarget:
    clients: tuple[ClientName, ...] = get_args(ClientName)
    if isinstance(item.node.value, str):
        return ConfigTarget(client=one_of(item.node.value, clients, "cursor"), source=item.source())
    client = item.text("client")
    file = item.text("file")
    if client is not None:
        for name in ("key", "style"):
            field = item.get(name)
            if field is not None:
                field.error(
                    f"{name} applies only to a custom file (this target is client {client!r})", key=True
                )
    styles: tuple[EntryStyle, ...] = get_args(EntryStyle)
    return ConfigTarget(
        client=one_of(client, clients, "cursor") if client is not None else None,
        file=resolve(ctx.base_dir, file) if file is not None else None,
        key=item.text("key") or "mcpServers",
        style=one_of(item.text("style"), styles, "plain"),
        source=item.source(),
    )
