"""``mcpctl fuzz``: choose the tools it may call, plan inputs for each, call them within a budget
(calls or time) under trio, judge every answer, reconnect after a crash, then abuse the protocol.

Which tools: the ones the user named (``--tool``) are called whatever their annotations; otherwise
those the safety rule (:mod:`mcpctl.engine.safety`, DESIGN.md §4) allows at ``allow``. The rest are
listed as skipped, with why.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import trio

from mcpctl.engine.fuzz.abuse import CHECKS, OpenTransport, abuse
from mcpctl.engine.fuzz.findings import Finding, FindingKind, Verdict, deduplicated, judge_error, judge_result
from mcpctl.engine.fuzz.inputs import Case, edge_cases, inline_refs
from mcpctl.engine.fuzz.instances import random_cases
from mcpctl.engine.fuzz.mutate import mutations
from mcpctl.engine.safety import Level, Skipped, select
from mcpctl.errors import ServerError, UsageError
from mcpctl.mcp.client import Client
from mcpctl.mcp.jsonrpc import JSONValue, Message

DEFAULT_BUDGET = 500
"""Calls when neither a budget nor a duration is given: ~50 a tool on a 10-tool server."""
RANDOM_PER_TOOL = (10, 100)
"""Fewest and most random instances planned for one tool."""
MAX_HANGS = 2
"""Hangs after which a tool is left alone: each costs a timeout and a reconnection."""

Connect = Callable[[], AbstractAsyncContextManager[Client]]
Reproduce = Callable[[str, JSONValue], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzOptions:
    """What to fuzz and for how long."""

    budget: int | None = None
    """Tool calls in all; with neither budget nor duration, ``DEFAULT_BUDGET``."""
    duration: float | None = None
    """Seconds of tool calls (protocol checks come after)."""
    seed: int = 0
    tools: tuple[str, ...] = ()
    """Fuzz only these (named by the user: called whatever their annotations)."""
    allow: Level = "read-only"
    """How far the safety rule lets fuzzing go with tools the user did not name."""
    protocol: bool = True
    timeout: float = 10.0


@dataclass(slots=True, kw_only=True)
class ToolStats:
    """Calls made to one tool, by the schema's verdict on their inputs, and its findings."""

    tool: str
    planned: int = 0
    calls: int = 0
    valid: int = 0
    invalid: int = 0
    findings: int = 0
    """Calls that showed a problem (before de-duplication)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzReport:
    """Everything a fuzz run found and did."""

    server: str
    seed: int
    budget: int | None
    duration: float | None
    calls: int
    stopped: str
    """``budget``, ``duration``, ``exhausted`` (every planned input was sent) or ``server lost``."""
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    stats: tuple[ToolStats, ...]
    notes: tuple[str, ...] = ()
    protocol_checks: int = 0


# -- choosing tools ---------------------------------------------------------------------------------
def select_tools(
    tools: list[Message], *, named: tuple[str, ...], allow: Level
) -> tuple[list[Message], list[Skipped]]:
    """The tools to call and the ones skipped (with why); an unknown named tool is a usage error."""
    by_name = {str(t.get("name")): t for t in tools}
    unknown = [n for n in named if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise UsageError(f"--tool {unknown[0]!r}: the server has no such tool (it offers: {known})")
    if named:
        return [by_name[n] for n in dict.fromkeys(named)], []
    selection = select(tools, allow)
    return list(selection.chosen), list(selection.skipped)


# -- planning -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    tool: str
    cases: tuple[Case, ...]
    note: str | None = None


def plan_tool(tool: Message, *, randoms: int, seed: int) -> Plan:
    """A tool's inputs in the order they are sent: edge cases, mutations, then random instances."""
    name = str(tool.get("name"))
    raw = tool.get("inputSchema")
    schema: dict[str, Any] = inline_refs(raw) if isinstance(raw, dict) else {"type": "object"}
    tool_seed = (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32
    generated = random_cases(schema, count=randoms, seed=tool_seed)
    fallback = next((case.arguments for case in generated.cases if case.valid), None)
    edges = edge_cases(schema, fallback=fallback)
    base = next((case.arguments for case in edges if case.valid), edges[0].arguments)
    invalid = mutations(schema, base)
    note = (
        f"{name}: {generated.problem}; fuzzed with edge cases and mutations only"
        if generated.problem
        else None
    )
    return Plan(tool=name, cases=(*edges, *invalid, *generated.cases), note=note)


def call_budget(options: FuzzOptions) -> int | None:
    """The calls allowed: ``budget``, else ``DEFAULT_BUDGET`` unless a duration bounds the run."""
    if options.budget is not None:
        return options.budget
    return None if options.duration is not None else DEFAULT_BUDGET


def plan_all(tools: list[Message], options: FuzzOptions) -> list[Plan]:
    """Plans for every tool (blocking: hypothesis runs here)."""
    budget = call_budget(options)
    share = budget // max(len(tools), 1) if budget is not None else RANDOM_PER_TOOL[1]
    low, high = RANDOM_PER_TOOL
    return [plan_tool(tool, randoms=min(max(share // 2, low), high), seed=options.seed) for tool in tools]


def interleaved(plans: list[Plan]) -> list[tuple[str, Case]]:
    """One case of each tool in turn, so a small budget still reaches every tool's edge cases."""
    order: list[tuple[str, Case]] = []
    longest = max((len(p.cases) for p in plans), default=0)
    for index in range(longest):
        order.extend((p.tool, p.cases[index]) for p in plans if index < len(p.cases))
    return order


# -- calling ---------------------------------------------------------------------------------------------
class _Link:
    """The current connection, reopened after a crash (a new session; a new process over stdio)."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Client | None = None

    async def client(self) -> Client:
        if self._client is None:
            stack = contextlib.AsyncExitStack()
            try:
                self._client = await stack.enter_async_context(self._connect())
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack
        return self._client

    async def drop(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(ServerError):
                await stack.aclose()


async def call_once(client: Client, tool: str, case: Case, timeout: float) -> Verdict:
    """Send one case and judge the answer."""
    params: Message = {"name": tool, "arguments": case.arguments}
    try:
        reply = await client.exchange("tools/call", params, timeout=timeout)
    except ServerError as exc:
        return judge_error(exc, valid=case.valid)
    if reply.error is not None:
        return judge_error(reply.error, valid=case.valid)
    return judge_result(reply.result or {}, valid=case.valid, case=case.label)


@dataclass(slots=True, kw_only=True)
class _Run:
    options: FuzzOptions
    reproduce: Reproduce
    link: _Link
    stats: dict[str, ToolStats]
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: int = 0

    async def send(self, tool: str, case: Case) -> FindingKind | None:
        """Call ``tool`` with ``case``, record what it shows; the kind of finding, if any."""
        client = await self.link.client()
        verdict = await call_once(client, tool, case, self.options.timeout)
        self.calls += 1
        stats = self.stats[tool]
        stats.calls += 1
        stats.valid += case.valid
        stats.invalid += not case.valid
        if verdict.kind is not None:
            stats.findings += 1
            self.findings.append(
                Finding(
                    kind=verdict.kind,
                    target=tool,
                    case=case.label,
                    arguments=case.arguments,
                    detail=verdict.detail,
                    reproducer=self.reproduce(tool, case.arguments),
                    signature=verdict.signature,
                )
            )
        if verdict.reconnect:
            await self.link.drop()
        return verdict.kind


async def fuzz(
    *, connect: Connect, open_transport: OpenTransport, options: FuzzOptions, reproduce: Reproduce
) -> FuzzReport:
    """Fuzz the server ``connect`` reaches; ``open_transport`` opens raw connections for the
    protocol checks; ``reproduce(tool, arguments)`` writes a finding's reproducer."""
    link = _Link(connect)
    try:
        client = await link.client()
        server, listed = client.negotiated.server_name, await client.list_tools()
        chosen, skipped = select_tools(listed, named=options.tools, allow=options.allow)
        plans = await trio.to_thread.run_sync(plan_all, chosen, options)
        stats = {p.tool: ToolStats(tool=p.tool, planned=len(p.cases)) for p in plans}
        run = _Run(options=options, reproduce=reproduce, link=link, stats=stats)
        stopped = await _call_all(run, interleaved(plans))
    finally:
        await link.drop()
    notes = [p.note for p in plans if p.note] + run.notes
    if stopped == "server lost":
        notes.append("the server could not be started again after a crash: fuzzing stopped early")
    checks = 0
    if options.protocol:
        found, more = await abuse(open_transport, timeout=options.timeout)
        run.findings.extend(found)
        notes.extend(more)
        checks = len(CHECKS) - len(more)
    return FuzzReport(
        server=server,
        seed=options.seed,
        budget=options.budget,
        duration=options.duration,
        calls=run.calls,
        stopped=stopped,
        findings=tuple(deduplicated(run.findings)),
        skipped=tuple(skipped),
        stats=tuple(stats.values()),
        notes=tuple(notes),
        protocol_checks=checks,
    )


async def _call_all(run: _Run, order: list[tuple[str, Case]]) -> str:
    options = run.options
    budget = call_budget(options)
    deadline = trio.current_time() + options.duration if options.duration is not None else None
    hangs: dict[str, int] = {}
    for tool, case in order:
        if budget is not None and run.calls >= budget:
            return "budget"
        if hangs.get(tool, 0) >= MAX_HANGS:
            continue
        if deadline is not None and trio.current_time() >= deadline:
            return "duration"
        try:
            kind = await run.send(tool, case)
        except ServerError:  # the server cannot be started again: nothing more to learn
            return "server lost"
        if kind == "hang":
            hangs[tool] = hangs.get(tool, 0) + 1
            if hangs[tool] == MAX_HANGS:
                run.notes.append(f"{tool}: left alone after {MAX_HANGS} hangs")
    return "exhausted"
