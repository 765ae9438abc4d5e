"""Rules over servers: the HTTP transport, and what one server's tools do to another's."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from mcpctl.engine.lint.model import ListedServer
from mcpctl.engine.lint.text import Problem

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]")
_QUOTED = re.compile(r"[`'\"]([A-Za-z0-9_.-]+)[`'\"]")


def transport_problems(server: ListedServer) -> Iterator[Problem]:
    """Plain ``http://`` to a host other than this machine; HTTP without configured credentials."""
    if server.http is None:
        return
    parts = urlsplit(server.http.url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        yield "MCP024", f"{server.http.url}: plain http:// to {parts.hostname}"
    if not server.http.authenticated:
        yield "MCP025", f"{server.http.url}: no credentials configured"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def collisions(servers: Sequence[ListedServer]) -> Iterator[tuple[str, str, str]]:
    """(server, tool, message) for every tool whose name another server also offers, or that one
    server lists more than once (MCP008)."""
    owners: dict[str, list[str]] = defaultdict(list)
    for server in servers:
        listed = Counter(str(tool.get("name")) for tool in server.tools)
        for name, count in listed.items():
            owners[name].append(server.name)
            if count > 1:
                yield server.name, name, f"tool {name!r} is listed {count} times by {server.name}"
    for name, names in owners.items():
        if len(names) > 1:
            for owner in names:
                others = ", ".join(n for n in names if n != owner)
                yield owner, name, f"tool {name!r} is also offered by {others}"


def shadowing(servers: Sequence[ListedServer]) -> Iterator[tuple[str, str, str]]:
    """(server, tool, message) for every description naming a tool only another server offers (MCP009).

    A plain English tool name (``search``) counts only when quoted; names with ``_``, ``-``, ``.`` or
    a capital inside count anywhere: they cannot be ordinary words.
    """
    owner: dict[str, set[str]] = defaultdict(set)
    for server in servers:
        for tool in server.tools:
            owner[str(tool.get("name"))].add(server.name)
    if len({name for names in owner.values() for name in names}) < 2:
        return
    for server in servers:
        for tool in server.tools:
            description = tool.get("description")
            if not isinstance(description, str):
                continue
            for named in sorted(_mentions(description) & owner.keys()):
                if server.name not in owner[named]:
                    others = ", ".join(sorted(owner[named]))
                    yield server.name, str(tool.get("name")), f"description names {named!r} of {others}"


def _mentions(description: str) -> set[str]:
    words = {w for w in _IDENTIFIER.findall(description) if any(c in w for c in "_.-") or not w.islower()}
    return words | set(_QUOTED.findall(description))
