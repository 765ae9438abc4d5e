"""What a set of specs does to each server it names: the tools it calls (with which arguments, and
whether it expects an error), the resources it reads and the prompts it fetches. Pure: nothing is run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mcpctl.engine.runner import server_label
from mcpctl.spec.batch_model import ExecuteOp
from mcpctl.spec.build import SpecSet
from mcpctl.spec.model import Action, CallTool, Expect, GetPrompt, ReadResource, ServerDef, Source
from mcpctl.spec.node import Plain


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One call of a tool written in a spec."""

    arguments: Mapping[str, Plain] | None
    """As written (templates unrendered); ``None``: only known at run time (a BatchPlan record)."""
    expects_error: bool
    """The spec expects ``isError: true`` or a JSON-RPC error."""
    source: Source


@dataclass(slots=True, kw_only=True)
class ServerUsage:
    """Everything the specs do to one server."""

    label: str
    """The server's name in the specs (or its command, URL or mock when written inline)."""
    server: ServerDef
    calls: dict[str, list[ToolCall]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    """Resource URIs read, as written."""
    prompts: dict[str, int] = field(default_factory=dict)
    """Prompt name to how many times the specs fetch it."""

    def add(self, action: Action, expect: Expect | None, source: Source) -> None:
        """Note ``action`` (with what ``expect`` says of errors)."""
        if isinstance(action, CallTool):
            self.call(action.tool, action.arguments, expects_error=_expects_error(expect), source=source)
        elif isinstance(action, ReadResource):
            self.reads.append(action.uri)
        elif isinstance(action, GetPrompt):
            self.prompts[action.name] = self.prompts.get(action.name, 0) + 1

    def call(
        self, tool: str, arguments: Mapping[str, Plain] | None, *, expects_error: bool, source: Source
    ) -> None:
        """Note a call of ``tool``."""
        entry = ToolCall(arguments=arguments, expects_error=expects_error, source=source)
        self.calls.setdefault(tool, []).append(entry)


def _expects_error(expect: Expect | None) -> bool:
    return expect is not None and (expect.is_error is True or expect.error is not None)


def collect_usage(specs: SpecSet) -> dict[str, ServerUsage]:
    """Each server the specs name (by label, in the order first named) and what they do to it."""
    found: dict[str, ServerUsage] = {}

    def of(server: str | ServerDef) -> ServerUsage:
        label = server_label(server)
        if label not in found:
            definition = specs.servers[server] if isinstance(server, str) else server
            found[label] = ServerUsage(label=label, server=definition)
        return found[label]

    for suite in specs.suites:
        usage = of(suite.server)
        for test in suite.tests:
            if test.skip is not None:
                continue
            if test.action is not None:
                usage.add(test.action, test.expect, test.source)
            for step in test.steps:
                usage.add(step.action, step.expect, step.source)
    for load in specs.loads:
        usage = of(load.server)
        for entry in load.scenario:
            if isinstance(entry.action, CallTool | ReadResource | GetPrompt):
                usage.add(entry.action, None, entry.source)
    for monitor in specs.monitors:
        for watched in monitor.servers:
            usage, probe = of(watched.server), watched.probe
            if probe.kind == "call" and probe.tool is not None:
                usage.add(CallTool(tool=probe.tool, arguments=probe.arguments), probe.expect, watched.source)
            elif probe.kind == "read" and probe.uri is not None:
                usage.reads.append(probe.uri)
    for plan in specs.plans:
        for op in plan.operations:
            if isinstance(op, ExecuteOp):
                # an empty ``with`` passes each record as the arguments: known only when it runs
                of(op.server).call(op.tool, op.with_ or None, expects_error=False, source=op.source)
    return found
