"""What ``mcpctl init`` learns from a server: everything it lists (all pages), and the answers to one
call of each tool the safety rule allows, one read of each listed resource (up to a limit) and one
get of each prompt. Calls are sent one at a time: a first look should not load a server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

import trio

from mcpctl.engine.init.arguments import WORD, prompt_arguments, tool_arguments, writable
from mcpctl.engine.safety import Level, Skipped, select
from mcpctl.errors import McpctlError, RpcError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mock.record import Recordable

READ_LIMIT: Final = 20
"""Listed resources read (and tested) at most; the rest are named in a comment."""
NUMBER: Final = "1"
"""The second guess for a prompt argument the generated word did not satisfy."""
PROMPT_LIMIT: Final = 50
"""Prompts fetched (and tested) at most."""


class Surveyed(Recordable, Protocol):
    """What the survey needs of a connected server (:class:`mcpctl.mcp.client.Client` has it): what a
    recording needs (list, call, read, get), and completions for prompt arguments."""

    async def complete(
        self, ref: Message, argument: Mapping[str, str], *, context: Message | None = None
    ) -> Message: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolProbe:
    """One tool the rule allowed, the arguments it was called with and how it answered."""

    tool: Message
    arguments: dict[str, JSONValue] | None
    """``None``: no arguments valid for its schema were found (it was not called)."""
    outcome: Literal["answered", "tool-error", "rpc-error", "failed"] = "answered"
    """``answered`` (``isError: false``), ``tool-error`` (``isError: true``), ``rpc-error`` (a JSON-RPC
    error, :attr:`code`), or ``failed``: not called, no answer in time, the connection failed."""
    problem: str | None = None
    """What went wrong (``None``: it answered)."""
    code: int | None = None
    """The JSON-RPC error code of an ``rpc-error``."""
    structured: bool = False
    """It answered with ``structuredContent``."""

    @property
    def name(self) -> str:
        """The tool's name."""
        return str(self.tool.get("name"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceProbe:
    """One listed resource read: the ``mimeType`` of its first contents item, or the error."""

    uri: str
    mime_type: str | None = None
    text: bool = False
    """Its first contents item has text that is not blank."""
    problem: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptProbe:
    """One prompt fetched with generated arguments: how many messages it gave, or the error."""

    name: str
    arguments: dict[str, str]
    messages: int = 0
    problem: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Survey:
    """Everything ``mcpctl init`` writes its specs from."""

    server_info: Mapping[str, object]
    protocol: str
    tools: tuple[Message, ...]
    """Every listed tool, in listed order (the pin lock holds them all)."""
    called: tuple[ToolProbe, ...]
    skipped: tuple[Skipped, ...]
    """Tools the safety rule kept from being called, with why."""
    resources: tuple[ResourceProbe, ...] = ()
    unread: tuple[str, ...] = ()
    """Listed resources beyond :data:`READ_LIMIT` (not read)."""
    templates: tuple[str, ...] = ()
    """Resource templates (URI templates): listed, never expanded."""
    prompts: tuple[PromptProbe, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


async def survey(
    server: Surveyed,
    *,
    capabilities: Mapping[str, object],
    server_info: Mapping[str, object],
    protocol: str,
    allow: Level,
    call_timeout: float,
) -> Survey:
    """List what ``server`` offers and probe it as :mod:`mcpctl.engine.safety` allows at ``allow``."""
    tools = await server.list_tools() if "tools" in capabilities else []
    resources = await server.list_resources() if "resources" in capabilities else []
    templates = await _templates(server) if "resources" in capabilities else []
    prompts = await server.list_prompts() if "prompts" in capabilities else []
    selection = select(tools, allow)
    called = [await _call(server, tool, call_timeout) for tool in selection.chosen]
    uris = [str(r.get("uri")) for r in resources if isinstance(r.get("uri"), str)]
    reads = [await _read(server, uri, call_timeout) for uri in uris[:READ_LIMIT]]
    completes = "completions" in capabilities
    gets = [await _prompt(server, p, call_timeout, completes) for p in prompts[:PROMPT_LIMIT]]
    notes = []
    if len(prompts) > PROMPT_LIMIT:
        notes.append(
            f"{len(prompts) - PROMPT_LIMIT} prompts beyond the first {PROMPT_LIMIT} were not fetched"
        )
    return Survey(
        server_info=server_info,
        protocol=protocol,
        tools=tuple(tools),
        called=tuple(called),
        skipped=selection.skipped,
        resources=tuple(reads),
        unread=tuple(uris[READ_LIMIT:]),
        templates=tuple(str(t.get("uriTemplate")) for t in templates),
        prompts=tuple(gets),
        notes=tuple(notes),
    )


async def _templates(server: Surveyed) -> list[Message]:
    try:
        return await server.list_resource_templates()
    except RpcError:  # optional: servers without templates may not know the method
        return []


async def _call(server: Surveyed, tool: Message, timeout: float) -> ToolProbe:
    name = str(tool.get("name"))
    arguments = await trio.to_thread.run_sync(lambda: tool_arguments(tool.get("inputSchema"), name=name))
    if arguments is None:
        problem = "no arguments valid for its inputSchema were found"
        return ToolProbe(tool=tool, arguments=None, outcome="failed", problem=problem)
    with trio.move_on_after(timeout) as scope:
        try:
            answer = await server.call_tool(name, arguments)
        except RpcError as exc:
            problem = f"it answered error {exc.code}: {_line(exc.rpc_message)}"
            return ToolProbe(
                tool=tool, arguments=arguments, outcome="rpc-error", problem=problem, code=exc.code
            )
        except McpctlError as exc:
            problem = f"the call failed: {_line(exc)}"
            return ToolProbe(tool=tool, arguments=arguments, outcome="failed", problem=problem)
    if scope.cancelled_caught:
        problem = f"no answer within {timeout:g}s"
        return ToolProbe(tool=tool, arguments=arguments, outcome="failed", problem=problem)
    if answer.is_error:
        problem = f"it answered isError: true: {_line(answer.text)}"
        return ToolProbe(tool=tool, arguments=arguments, outcome="tool-error", problem=problem)
    return ToolProbe(tool=tool, arguments=arguments, structured=answer.structured_content is not None)


async def _read(server: Surveyed, uri: str, timeout: float) -> ResourceProbe:
    with trio.move_on_after(timeout) as scope:
        try:
            answer = await server.read_resource(uri)
        except McpctlError as exc:
            return ResourceProbe(uri=uri, problem=f"the read failed: {_line(exc)}")
    if scope.cancelled_caught:
        return ResourceProbe(uri=uri, problem=f"no answer within {timeout:g}s")
    contents = answer.get("contents")
    first = contents[0] if isinstance(contents, list) and contents else None
    if not isinstance(first, dict):
        return ResourceProbe(uri=uri, problem="the read answered no contents")
    mime, text = first.get("mimeType"), first.get("text")
    has_text = isinstance(text, str) and bool(text.strip())
    return ResourceProbe(uri=uri, mime_type=mime if isinstance(mime, str) else None, text=has_text)


async def _prompt(server: Surveyed, prompt: Message, timeout: float, completes: bool) -> PromptProbe:
    name, arguments = str(prompt.get("name")), prompt_arguments(prompt)
    with trio.move_on_after(timeout) as scope:
        try:
            if completes:
                arguments = await _completed(server, name, arguments)
            try:
                answer = await server.get_prompt(name, arguments)
            except RpcError:
                if WORD not in arguments.values():
                    raise
                # prompt arguments are all strings, numbers included: a number is the other guess
                arguments = {k: NUMBER if v == WORD else v for k, v in arguments.items()}
                answer = await server.get_prompt(name, arguments)
        except McpctlError as exc:
            return PromptProbe(name=name, arguments=arguments, problem=f"the get failed: {_line(exc)}")
    if scope.cancelled_caught:
        return PromptProbe(name=name, arguments=arguments, problem=f"no answer within {timeout:g}s")
    messages = answer.get("messages")
    return PromptProbe(
        name=name, arguments=arguments, messages=len(messages) if isinstance(messages, list) else 0
    )


async def _completed(server: Surveyed, name: str, arguments: dict[str, str]) -> dict[str, str]:
    """``arguments`` with each value the server suggests first (``completion/complete``) in place of
    the generated word: a prompt that takes one of a few values says which."""
    ref: Message = {"type": "ref/prompt", "name": name}
    chosen: dict[str, str] = {}
    for key, word in arguments.items():
        try:
            answer = await server.complete(
                ref, {"name": key, "value": ""}, context={"arguments": dict(chosen)}
            )
        except RpcError:  # a server may complete some arguments and not others
            answer = {}
        completion = answer.get("completion")
        values = completion.get("values") if isinstance(completion, dict) else None
        first = values[0] if isinstance(values, list) and values else None
        chosen[key] = first if isinstance(first, str) and writable(first) else word
    return chosen


def _line(text: object) -> str:
    lines = str(text).strip().splitlines()
    first = lines[0] if lines else "(no text)"
    return first if len(first) <= 200 else first[:199] + "…"
