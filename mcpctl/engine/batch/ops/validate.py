"""``validate``: reach each server over the run's shared session, list what it offers and check it.

One step per server. A step lists tools, resources (and resource templates) and prompts, asking only
for what the server declared in its capabilities, then checks what ``expect: tools: {schemaValid,
uniqueNames, pinned}`` checks in a TestSuite (the same code, :func:`mcpctl.engine.listing.check_listing`):
every tool's ``inputSchema`` and ``outputSchema`` is a valid JSON Schema, no name (URI for resources)
is listed twice, and the tools match the server's ``pin:`` lock file. Problems fail the step; a server
that cannot be reached in time is an error, retried as the plan's ``retry`` says. Read-only: a step
left in doubt by a crash simply runs again.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import trio

from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.run import Intent, RunContext
from mcpctl.engine.batch.steps import OpPlan, Outcome, PlannedStep, StepFailed, step_id
from mcpctl.engine.expect import Failure
from mcpctl.engine.listing import Listing, check_listing
from mcpctl.engine.retry import Attempt, with_retries
from mcpctl.errors import RequestTimeout, RpcError, ServerError, UsageError
from mcpctl.mcp.client import Client
from mcpctl.mcp.jsonrpc import METHOD_NOT_FOUND, Message
from mcpctl.spec.batch_model import ValidateOp
from mcpctl.spec.model import HttpServer, ListExpect, MockServerRef, ServerDef

T = TypeVar("T")

_NOUNS = {
    "tools": ("tool", "tools"),
    "resources": ("resource", "resources"),
    "resourceTemplates": ("resource template", "resource templates"),
    "prompts": ("prompt", "prompts"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Inspection:
    """What validating one server found: how many of each listing (``None``: capability not declared)
    and the problems (empty: passed)."""

    counts: Mapping[str, int | None]
    problems: tuple[str, ...]
    pinned: bool

    def summary(self) -> str:
        """``3 tools, 1 resource, 2 prompts; schemas valid; pin matches`` (for a server that passed)."""
        # resource templates are named only when there are some: most servers have none
        shown = {
            key: n
            for key, n in self.counts.items()
            if n is not None and (n > 0 or key != "resourceTemplates")
        }
        parts = [f"{n} {_NOUNS[key][0 if n == 1 else 1]}" for key, n in shown.items()] or ["nothing listed"]
        checks = ["schemas valid"] if self.counts.get("tools") is not None else []
        if self.pinned:
            checks.append("pin matches")
        return "; ".join([", ".join(parts), *checks])


async def check_server(run: RunContext, name: str, *, timeout: float) -> list[str]:
    """The problems of server ``name`` (empty: it passed), on the run's shared session, within
    ``timeout`` seconds. A problem's first line is its headline, further lines its details.

    Raises :class:`~mcpctl.errors.ServerError` (a subclass) when the server cannot be reached,
    breaks the protocol or does not answer in time.
    """
    return list((await inspect_server(run, name, timeout=timeout)).problems)


async def inspect_server(run: RunContext, name: str, *, timeout: float) -> Inspection:
    """:func:`check_server`, with the counts of what the server listed."""
    deadline = trio.current_time() + timeout
    server = run.specs.servers[name]
    client = await _timed("initialize", timeout, deadline, lambda: run.client(name))
    try:
        listed, problems = await _list_everything(client, timeout, deadline)
    except ServerError:
        # a retry starts on a new session: after a timeout, the late answer to the cancelled
        # request would reach this one as an unknown id and fail whatever is pending there
        run.forget_client(name, client)
        raise
    if "tools" in listed:
        expect = ListExpect(unique_names=True, schema_valid=True, pinned=server.pin)
        problems.extend(_problems(check_listing("tools", expect, listed["tools"])))
    others: tuple[Listing, ...] = ("resources", "prompts")
    for which in others:
        if which in listed:
            problems.extend(_problems(check_listing(which, ListExpect(unique_names=True), listed[which])))
    counts: dict[str, int | None] = {key: None for key in _NOUNS}
    counts.update({key: len(items) for key, items in listed.items()})
    return Inspection(counts=counts, problems=tuple(problems), pinned=server.pin is not None)


async def _list_everything(
    client: Client, timeout: float, deadline: float
) -> tuple[dict[str, list[Message]], list[str]]:
    """Every listing the server's capabilities declare, by result key; an error answer is a problem."""
    capabilities = client.negotiated.capabilities
    calls: list[tuple[str, str, str]] = [
        ("tools", "tools/list", "tools"),
        ("resources", "resources/list", "resources"),
        ("resources", "resources/templates/list", "resourceTemplates"),
        ("prompts", "prompts/list", "prompts"),
    ]
    listed: dict[str, list[Message]] = {}
    problems: list[str] = []
    for capability, method, key in calls:
        if capability not in capabilities:
            continue
        try:
            listed[key] = await _timed(
                method, timeout, deadline, functools.partial(client.list_all, method, key)
            )
        except RpcError as exc:
            if key == "resourceTemplates" and exc.code == METHOD_NOT_FOUND:
                listed[key] = []  # templates are optional even for servers with resources
                continue
            problems.append(str(exc) if exc.method else f"{method}: {exc}")
    return listed, problems


async def _timed(method: str, timeout: float, deadline: float, call: Callable[[], Awaitable[T]]) -> T:
    """``await call()`` before ``deadline``; past it, :class:`RequestTimeout` naming ``method``."""
    try:
        with trio.fail_at(deadline):
            return await call()
    except trio.TooSlowError:
        raise RequestTimeout(method=method, timeout=timeout) from None


def _problems(failures: Sequence[Failure]) -> list[str]:
    return ["\n".join([failure.message, *failure.details]) for failure in failures]


class ValidateOperation:
    """The ``validate`` operation of a plan: one step per server."""

    def __init__(self, op: ValidateOp, *, index: int, ctx: PlanContext) -> None:
        self.op = op
        self.index = index
        self.ctx = ctx

    def plan(self) -> OpPlan:
        """One step per server, in the order written; an unknown server is a :class:`UsageError`."""
        servers = self.ctx.specs.servers
        unknown = [name for name in self.op.servers if name not in servers]
        if unknown:
            known = ", ".join(sorted(servers)) or "none"
            raise UsageError(
                f"{self.op.source}: validate: unknown server {', '.join(map(repr, unknown))} "
                f"(servers defined: {known})"
            )
        steps = tuple(
            PlannedStep(
                id=step_id(self.index, "validate", name),
                op="validate",
                item=name,
                summary=f"validate {name} ({describe_server(servers[name], self.ctx.project_dir)})",
            )
            for name in self.op.servers
        )
        return OpPlan(
            index=self.index,
            op="validate",
            title=f"validate {', '.join(self.op.servers)}",
            steps=steps,
            counts={"validate": len(steps)},
        )

    async def apply(self, run: RunContext, plan: OpPlan) -> None:
        """Validate every server of ``plan`` through :meth:`RunContext.each` (no settle: read-only)."""
        timeout = run.timeout_of(self.op.timeout.seconds if self.op.timeout is not None else None)

        async def validate(step: PlannedStep, intent: Intent) -> Outcome:
            tries: list[Attempt] = []
            found = await with_retries(
                lambda: inspect_server(run, step.item, timeout=timeout),
                run.policy,
                rng=run.rng(step.id),
                on_attempt=tries.append,
            )
            attempts = len(tries)
            if found.problems:
                lines = [line for problem in found.problems for line in problem.splitlines()]
                first = found.problems[0].splitlines()[0]
                more = len(found.problems) - 1
                message = f"{first} (and {more} more problem{'s' if more > 1 else ''})" if more else first
                raise StepFailed(message, details=tuple(lines[1:]), attempts=attempts)
            return Outcome(message=found.summary(), attempts=attempts)

        await run.each(plan, plan.steps, validate)


def describe_server(server: ServerDef, base: str) -> str:
    """How a plan names a server: ``mock examples/weather.yaml``, its command, or its URL (and its pin)."""
    if isinstance(server, MockServerRef):
        what = f"mock {_shorter(server.spec, base)}"
    elif isinstance(server, HttpServer):
        what = server.url
    else:
        what = " ".join(server.command)
    return what if server.pin is None else f"{what}; pinned to {_shorter(server.pin, base)}"


def _shorter(path: str, base: str) -> str:
    """``path`` relative to ``base`` when it lies under it (``builtin:NAME`` as is)."""
    if not os.path.isabs(path) or not base:
        return path
    relative = os.path.relpath(path, base)
    return path if relative.startswith(os.pardir) else relative
