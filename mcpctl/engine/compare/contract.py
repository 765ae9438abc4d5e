"""What a server declares, read over one session, and how two such contracts differ.

Tools are diffed by the pin lock's differ (:func:`mcpctl.spec.lockfile.diff_tools`), with server A in
the place of the lock: the same identity fields, the same unified diffs, ``--- A`` / ``+++ B`` for
``--- pinned`` / ``+++ server``. Resources (by URI), resource templates (by URI template) and prompts
(by name, their arguments by name) are compared field by field; ``_meta`` is left out everywhere, as
the lock leaves it out (vendor metadata that changes without changing the contract).
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpctl import __version__
from mcpctl.errors import RpcError
from mcpctl.mcp.client import Client, ServerTarget, open_client
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.session import ClientOptions
from mcpctl.spec.lockfile import (
    Lock,
    LockedTool,
    canonical_json,
    diff_tools,
    tool_digest,
    tool_identity,
)

Area = str
"""protocol, serverInfo, capabilities, instructions, tool, resource, template or prompt."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    """Everything a server declares, each list read to its last page."""

    protocol: str
    server_info: Message
    capabilities: Message
    instructions: str = ""
    tools: tuple[Message, ...] = ()
    resources: tuple[Message, ...] = ()
    templates: tuple[Message, ...] = ()
    prompts: tuple[Message, ...] = ()

    def counts(self) -> str:
        """``3 tools, 1 resource, 0 resource templates, 1 prompt``."""
        parts = (
            (len(self.tools), "tool"),
            (len(self.resources), "resource"),
            (len(self.templates), "resource template"),
            (len(self.prompts), "prompt"),
        )
        return ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One thing that differs between A and B; ``lines`` reads it, headline first."""

    area: Area
    subject: str
    """The tool, resource, template or prompt (its name or URI); the field for the other areas."""
    change: str
    """added (only in B), removed (only in A) or changed."""
    lines: tuple[str, ...]


async def read_contract(client: Client) -> Contract:
    """The contract of the server ``client`` is connected to; lists the server does not declare (by its
    capabilities) are empty, and a server without ``resources/templates/list`` has no templates."""
    caps = client.negotiated.capabilities
    tools = await client.list_tools() if "tools" in caps else []
    resources: list[Message] = []
    templates: list[Message] = []
    if "resources" in caps:
        resources = await client.list_resources()
        with contextlib.suppress(RpcError):  # an older server may not implement templates/list
            templates = await client.list_resource_templates()
    prompts = await client.list_prompts() if "prompts" in caps else []
    return Contract(
        protocol=client.negotiated.protocol_version,
        server_info=dict(client.negotiated.server_info),
        capabilities=dict(caps),
        instructions=client.negotiated.instructions or "",
        tools=tuple(tools),
        resources=tuple(resources),
        templates=tuple(templates),
        prompts=tuple(prompts),
    )


async def fetch_contract(target: ServerTarget, *, timeout: float) -> Contract:
    """Connect to ``target``, read its contract and disconnect (no tool is called)."""
    options = ClientOptions(client_version=__version__, timeout=timeout)
    async with open_client(target, options=options, connect_timeout=timeout) as client:
        return await read_contract(client)


def diff_contracts(a: Contract, b: Contract) -> list[Difference]:
    """How B differs from A, area by area in a fixed order; empty when the contracts are the same."""
    found: list[Difference] = []
    if a.protocol != b.protocol:
        line = f"protocol revision: {a.protocol} -> {b.protocol}"
        found.append(Difference(area="protocol", subject="protocolVersion", change="changed", lines=(line,)))
    found.extend(_mapping_diff("serverInfo", a.server_info, b.server_info))
    found.extend(_mapping_diff("capabilities", a.capabilities, b.capabilities))
    if a.instructions != b.instructions:
        lines = ("instructions changed", *_text_diff(a.instructions, b.instructions))
        found.append(Difference(area="instructions", subject="instructions", change="changed", lines=lines))
    found.extend(diff_tool_lists(a.tools, b.tools))
    found.extend(_items_diff("resource", "uri", a.resources, b.resources))
    found.extend(_items_diff("template", "uriTemplate", a.templates, b.templates))
    found.extend(_items_diff("prompt", "name", a.prompts, b.prompts))
    return found


def diff_tool_lists(a: Sequence[Message], b: Sequence[Message]) -> list[Difference]:
    """The tools of B against those of A, by the pin lock's differ."""
    lock = Lock(
        server="A",
        tools={
            str(tool.get("name")): LockedTool(
                name=str(tool.get("name")), sha256=tool_digest(tool), definition=tool_identity(tool)
            )
            for tool in a
        },
        server_info={},
        protocol_version="",
    )
    found = []
    for change in diff_tools(lock, b):
        if change.change == "added":
            lines: tuple[str, ...] = (f"tool {change.name!r}: only in B",)
        elif change.change == "removed":
            lines = (f"tool {change.name!r}: only in A",)
        else:
            lines = tuple(_relabel(line) for line in change.lines)
        found.append(Difference(area="tool", subject=change.name, change=change.change, lines=lines))
    return found


def _text_diff(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile="A", tofile="B", lineterm=""
    )
    return [f"  {line}" for line in diff]


def _relabel(line: str) -> str:
    # the lock's differ names its sides for a pin check; here they are the two servers
    return {"  --- pinned": "  --- A", "  +++ server": "  +++ B"}.get(line, line)


def _mapping_diff(area: Area, a: Mapping[str, object], b: Mapping[str, object]) -> list[Difference]:
    """Leaf by leaf (dotted paths), for serverInfo and capabilities."""
    left, right = _leaves(a), _leaves(b)
    found = []
    for path in sorted(set(left) | set(right)):
        was, now = left.get(path), right.get(path)
        if was == now:
            continue
        change = "added" if was is None else "removed" if now is None else "changed"
        line = f"{area}.{path}: {_or_unset(was)} -> {_or_unset(now)}"
        found.append(Difference(area=area, subject=path, change=change, lines=(line,)))
    return found


def _or_unset(value: str | None) -> str:
    return "(unset)" if value is None else value


def _leaves(value: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Every leaf of ``value`` as canonical JSON by dotted path (an empty object is a leaf: a capability
    declared without options, ``"logging": {}``)."""
    found: dict[str, str] = {}
    for key, item in value.items():
        if key == "_meta":
            continue
        path = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            found.update(_leaves(item, f"{path}."))
        else:
            found[path] = canonical_json(item)
    return found


def _items_diff(area: Area, key: str, a: Sequence[Message], b: Sequence[Message]) -> list[Difference]:
    left = {str(item.get(key)): item for item in a}
    right = {str(item.get(key)): item for item in b}
    found = []
    for name in sorted(set(left) | set(right)):
        if name not in right:
            found.append(
                Difference(area=area, subject=name, change="removed", lines=(f"{area} {name!r}: only in A",))
            )
        elif name not in left:
            found.append(
                Difference(area=area, subject=name, change="added", lines=(f"{area} {name!r}: only in B",))
            )
        else:
            lines = _field_lines(area, name, left[name], right[name])
            if lines:
                found.append(Difference(area=area, subject=name, change="changed", lines=tuple(lines)))
    return found


def _field_lines(area: Area, name: str, a: Message, b: Message) -> list[str]:
    lines = []
    for field in sorted((set(a) | set(b)) - {"_meta"}):
        if area == "prompt" and field == "arguments":
            lines.extend(_argument_lines(name, a.get(field), b.get(field)))
            continue
        was, now = _shown(a, field), _shown(b, field)
        if was != now:
            lines.append(f"{area} {name!r}: {field}: {was} -> {now}")
    return lines


def _argument_lines(prompt: str, a: object, b: object) -> list[str]:
    left = {str(arg.get("name")): arg for arg in a if isinstance(arg, dict)} if isinstance(a, list) else {}
    right = {str(arg.get("name")): arg for arg in b if isinstance(arg, dict)} if isinstance(b, list) else {}
    lines = []
    for name in sorted(set(left) | set(right)):
        where = f"prompt {prompt!r}: argument {name!r}"
        if name not in right:
            lines.append(f"{where}: only in A")
        elif name not in left:
            lines.append(f"{where}: only in B")
        else:
            for field in sorted(set(left[name]) | set(right[name])):
                was, now = _shown(left[name], field), _shown(right[name], field)
                if was != now:
                    lines.append(f"{where}: {field}: {was} -> {now}")
    return lines


def _shown(item: Mapping[str, object], field: str) -> str:
    return canonical_json(item[field]) if field in item else "(unset)"
