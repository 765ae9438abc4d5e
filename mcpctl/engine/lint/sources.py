"""What lint reads: the tools of running servers, MockServer specs, tools.json files and client configs.

Running servers are listed the way ``mcpctl pin`` lists them (:func:`mcpctl.engine.pin.read_tools`, all
pages), through :func:`mcpctl.engine.targets.target_for` like every runner. MockServer specs (a file,
``builtin:NAME`` or a Servers ``mock:`` entry) are listed in-process from the same entries the served
mock sends (:meth:`ServedMock.tool_list`): no child process for a spec mcpctl itself would serve.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mcpctl.engine.lint.model import HttpFacts, ListedServer
from mcpctl.errors import RpcError, ServerError, UsageError
from mcpctl.mcp.client import HttpTarget, ServerTarget
from mcpctl.spec.model import HttpServer, MockServerRef, ServerDef, Source

_KEY_HEADERS = ("authorization", "key", "token", "auth", "secret", "cookie")


def read_json(path: str) -> Any:
    """The JSON document at ``path``; unreadable or invalid JSON is bad input."""
    try:
        with open(path, "rb") as handle:
            return orjson.loads(handle.read())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: invalid JSON: {exc}") from None


def is_client_config(document: object) -> bool:
    """Whether a JSON document is a client config (``mcpServers`` or ``servers``) rather than tools."""
    return isinstance(document, dict) and ("mcpServers" in document or "servers" in document)


def tools_file(path: str, document: object) -> ListedServer:
    """A ``tools/list`` result (``{"tools": [...]}``, or the JSON-RPC answer carrying one) or a bare list."""
    if isinstance(document, dict) and isinstance(document.get("result"), dict):
        document = document["result"]
    tools = document.get("tools") if isinstance(document, dict) else document
    if not isinstance(tools, list) or not all(isinstance(tool, dict) for tool in tools):
        raise UsageError(
            f'{path}: expected a tools/list result ({{"tools": [...]}}), a list of tool objects, '
            "or a client config (mcpServers or servers)"
        )
    name = os.path.splitext(os.path.basename(path))[0]
    return ListedServer(name=name, tools=tools, source=Source(path=path, line=1, column=1))


def mock_listing(name: str, ref: str, *, source: Source | None) -> ListedServer:
    """The tools the MockServer spec ``ref`` (a file or ``builtin:NAME``) lists in its first scenario."""
    from mcpctl.mock import builtin
    from mcpctl.mock.app import ServedMock
    from mcpctl.spec.build import load_specs

    path = builtin.path_of(ref) if ref.startswith(builtin.PREFIX) else ref
    mocks = load_specs([path]).mocks
    if not mocks:
        raise UsageError(f"{ref}: no MockServer document")
    tools = [tool for mock in mocks for tool in ServedMock(mock).tool_list()]
    written = {tool.name: tool.source for mock in mocks for tool in mock.tools}
    return ListedServer(name=name, tools=_plain(tools), source=source, tool_sources=written)


def http_facts(server: HttpServer) -> HttpFacts:
    """The URL of ``server`` and whether its spec gives credentials (auth, or a key-like header)."""
    headers = {**server.headers}
    keyed = any(part in header.lower() for header in headers for part in _KEY_HEADERS)
    return HttpFacts(url=server.url, authenticated=server.auth is not None or keyed)


def target_facts(target: ServerTarget) -> HttpFacts | None:
    """:func:`http_facts` for a target given on the command line (a URL)."""
    if not isinstance(target, HttpTarget):
        return None
    keyed = any(part in header.lower() for header in target.headers for part in _KEY_HEADERS)
    authenticated = target.bearer_token is not None or target.auth is not None or keyed
    return HttpFacts(url=target.url, authenticated=authenticated)


async def list_server(server: ServerDef, *, timeout: float) -> ListedServer:
    """The tools of a server from a spec or client config (a mock: in-process)."""
    from mcpctl.engine.targets import target_for

    if isinstance(server, MockServerRef):
        # findings point at the Servers entry (where ignore comments go), not into the mock's file
        listed = mock_listing(server.name, server.spec, source=server.source)
        return dataclasses.replace(listed, tool_sources={})
    facts = http_facts(server) if isinstance(server, HttpServer) else None
    return await list_target(
        server.name, target_for(server), source=server.source, http=facts, timeout=timeout
    )


async def list_target(
    name: str, target: ServerTarget, *, source: Source | None, http: HttpFacts | None, timeout: float
) -> ListedServer:
    """Connect to ``target`` and list every tool; a server that refuses tools/list is unreachable (3)."""
    from mcpctl.engine.pin import read_tools

    try:
        tools, _, _ = await read_tools(target, timeout=timeout)
    except RpcError as exc:
        raise ServerError(f"{name}: tools/list failed: {exc}") from None
    return ListedServer(name=name, tools=tools, source=source, http=http)


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlTarget:
    """A server given on the command line by its URL."""

    name: str
    target: ServerTarget


Pending = ListedServer | ServerDef | UrlTarget
"""Something to lint: listed already (tools.json, a mock), or a server to connect to."""


async def list_all(pending: Sequence[Pending], *, timeout: float) -> list[ListedServer]:
    """Every ``pending`` server listed, at once, in their order."""
    import trio

    listed: dict[int, ListedServer] = {}

    async def one(index: int, item: Pending) -> None:
        if isinstance(item, ListedServer):
            listed[index] = item
        elif isinstance(item, UrlTarget):
            facts = target_facts(item.target)
            listed[index] = await list_target(
                item.name, item.target, source=None, http=facts, timeout=timeout
            )
        else:
            listed[index] = await list_server(item, timeout=timeout)

    async with trio.open_nursery() as nursery:
        for index, item in enumerate(pending):
            nursery.start_soon(one, index, item)
    return [listed[i] for i in range(len(pending))]


def _plain(value: Any) -> Any:
    """Spec mappings (read-only views) as plain dicts and lists, as a server would send them."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
