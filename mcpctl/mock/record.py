"""Record a real MCP server as a ``MockServer`` document: its tools (schemas and annotations),
resources, resource templates and prompts, and the real answers to the probes it was given.

Recorded answers become exact-match ``responses`` (see :mod:`mcpctl.mock.tape`). Resources
are read (side-effect free by MCP's rules) so every fixed resource has its text or blob; prompts
without required arguments are fetched. Tools are called only as far as ``allow`` permits (the
safety rule of :mod:`mcpctl.engine.safety`, DESIGN.md §4); what was not recorded is listed in
:attr:`Recording.notes`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson

from mcpctl.engine.safety import Level, refusal
from mcpctl.errors import RpcError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.results import CallResult
from mcpctl.mock.probes import Probe
from mcpctl.mock.tape import ServerFacts, Tape, build_document, call_answer, rpc_error

Permission = Level
"""Which tools a recording may call (the safety rule's level: read-only, non-destructive or all)."""
READ_LIMIT = 100
"""Listed resources read at most (the rest get a placeholder text, and a note)."""


class Recordable(Protocol):
    """What recording needs of a connected server (:class:`mcpctl.mcp.client.Client` has it)."""

    async def list_tools(self) -> list[Message]: ...
    async def list_resources(self) -> list[Message]: ...
    async def list_resource_templates(self) -> list[Message]: ...
    async def list_prompts(self) -> list[Message]: ...
    async def call_tool(self, name: str, arguments: Mapping[str, JSONValue] | None = None) -> CallResult: ...
    async def read_resource(self, uri: str) -> Message: ...
    async def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> Message: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A recorded MockServer document and notes on what it could not hold."""

    document: dict[str, JSONValue]
    notes: tuple[str, ...]
    summary: str
    facts: ServerFacts

    def header(self, *, at: float | None = None) -> str:
        """The comment lines a written recording starts with: what, when, from where, what not."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))
        info = self.facts.info
        lines = [
            f"Recorded by mcpctl mock record at {stamp}",
            f"from {self.facts.source} ({info.get('name', '?')} {info.get('version', '')}, "
            f"protocol {self.facts.protocol or '?'})",
            self.summary,
            "Replay it with: mcpctl mock serve FILE",
        ]
        if self.notes:
            lines.append("Notes (what was skipped or recorded with limits):")
            lines += [f"  - {note}" for note in self.notes]
        return "".join(f"# {' '.join(line.splitlines())}\n" for line in lines)


async def record_server(
    server: Recordable,
    *,
    facts: ServerFacts,
    probes: Sequence[Probe] = (),
    allow: Permission = "read-only",
    name: str | None = None,
) -> Recording:
    """List everything ``server`` offers, send ``probes`` (as ``allow`` permits), and return the
    MockServer document that replays it."""
    caps = facts.capabilities
    tools = await server.list_tools() if "tools" in caps else []
    resources = await server.list_resources() if "resources" in caps else []
    templates = await _templates(server) if "resources" in caps else []
    prompts = await server.list_prompts() if "prompts" in caps else []
    tape = Tape(tools={str(tool.get("name")): tool for tool in tools})
    for probe in probes:
        await _send(server, probe, tape, allow)
    await _read_listed(server, resources, tape)
    await _get_plain_prompts(server, prompts, tape)
    document = build_document(facts, name, tape, resources, templates, prompts)
    recorded = sum(len(by_args) for by_args in tape.answers.values())
    summary = (
        f"{len(tools)} tools ({tape.calls} calls recorded as {recorded} responses), "
        f"{len(document.get('resources', []))} resources, {len(document.get('resourceTemplates', []))} "
        f"resource templates, {len(prompts)} prompts ({len(tape.prompts)} recorded)"
    )
    return Recording(document=document, notes=tuple(tape.notes), summary=summary, facts=facts)


async def _templates(server: Recordable) -> list[Message]:
    try:
        return await server.list_resource_templates()
    except RpcError:  # optional: servers without templates may not know the method
        return []


async def _send(server: Recordable, probe: Probe, tape: Tape, allow: Permission) -> None:
    where = f"{probe.origin}: {probe.label()}"
    if probe.kind == "call":
        tool = tape.tools.get(probe.name)
        reason = "the server does not list it" if tool is None else refusal(tool, allow)
        if reason is not None:
            tape.notes.append(f"{where}: not called: {reason}")
            return
        tape.calls += 1
        try:
            answer = call_answer(await server.call_tool(probe.name, dict(probe.arguments)))
        except RpcError as exc:
            answer = {"error": rpc_error(exc)}
        key = orjson.dumps(dict(probe.arguments), option=orjson.OPT_SORT_KEYS).decode()
        _, answers = tape.answers.setdefault(probe.name, {}).setdefault(key, (dict(probe.arguments), []))
        answers.append(answer)
        return
    try:
        if probe.kind == "read":
            if probe.name not in tape.reads:
                tape.reads[probe.name] = await server.read_resource(probe.name)
        elif probe.name in tape.prompts:
            tape.notes.append(f"{where}: prompts have no rules: the first answer recorded stands")
        else:
            arguments = {key: _word(value) for key, value in probe.arguments.items()}
            tape.prompts[probe.name] = await _prompt_messages(server, probe.name, arguments)
            if arguments:
                tape.notes.append(f"{where}: recorded for these arguments only (prompts have no rules)")
    except RpcError as exc:
        tape.notes.append(f"{where}: the server answered error {exc.code}: {exc.rpc_message}")


def _word(value: JSONValue) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


async def _prompt_messages(server: Recordable, name: str, arguments: Mapping[str, str]) -> list[Message]:
    answer = await server.get_prompt(name, arguments)
    messages = answer.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


async def _read_listed(server: Recordable, resources: Sequence[Message], tape: Tape) -> None:
    unread = [str(r.get("uri")) for r in resources if r.get("uri") not in tape.reads]
    for uri in unread[:READ_LIMIT]:
        try:
            tape.reads[uri] = await server.read_resource(uri)
        except RpcError as exc:
            tape.notes.append(f"read {uri}: the server answered error {exc.code}: {exc.rpc_message}")
    if len(unread) > READ_LIMIT:
        tape.notes.append(f"{len(unread) - READ_LIMIT} resources beyond the first {READ_LIMIT} were not read")


async def _get_plain_prompts(server: Recordable, prompts: Sequence[Message], tape: Tape) -> None:
    for prompt in prompts:
        name = str(prompt.get("name"))
        arguments = prompt.get("arguments")
        required = [a for a in arguments if isinstance(a, dict) and a.get("required")] if arguments else []
        if name in tape.prompts or required:
            continue
        try:
            tape.prompts[name] = await _prompt_messages(server, name, {})
        except RpcError as exc:
            tape.notes.append(f"prompt {name}: the server answered error {exc.code}: {exc.rpc_message}")
