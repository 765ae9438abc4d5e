"""Turn the SERVER given on a command line into a server target."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mcpctl.errors import UsageError
from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget
from mcpctl.mcp.jsonrpc import JSONValue

if TYPE_CHECKING:
    from mcpctl.mcp.auth.provider import AuthProvider


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """``Name: value`` strings to a dict; a malformed one is a usage error."""
    headers: dict[str, str] = {}
    for raw in values:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {raw!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def parse_env(values: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for raw in values:
        name, sep, value = raw.partition("=")
        if not sep or not name:
            raise UsageError(f"--env {raw!r}: expected NAME=value")
        env[name] = value
    return env


def resolve_target(
    *,
    server: str | None,
    command: Sequence[str],
    headers: Sequence[str],
    transport: str,
    env: Sequence[str],
    servers_file: str | None,
) -> ServerTarget:
    """A URL, a ``-- COMMAND`` or a name from a Servers spec, as a target."""
    if transport not in ("auto", "streamable", "sse"):
        raise UsageError(f"--transport {transport!r}: expected auto, streamable or sse")
    if command:
        if server is not None:
            raise UsageError(f"give either SERVER ({server!r}) or a command after --, not both")
        return StdioTarget(command=tuple(command), env=parse_env(env))
    if server is None:
        raise UsageError("no server given: pass a URL, a Servers name, or a command after --")
    if server.startswith(("http://", "https://")):
        bearer = os.environ.get("MCPCTL_BEARER_TOKEN") or None
        kind = (
            transport
            if transport != "auto"
            else ("sse" if server.rstrip("/").endswith("/sse") else "streamable")
        )
        parsed = parse_headers(headers)
        explicit = bearer is not None or any(name.lower() == "authorization" for name in parsed)
        return HttpTarget(
            url=server,
            headers=parsed,
            bearer_token=bearer,
            transport="sse" if kind == "sse" else "streamable",
            auth=None if explicit else _stored_login(server),
        )
    if servers_file is None:
        raise UsageError(
            f"SERVER {server!r} is not a URL: give an http(s):// URL, a command after --, "
            "or a Servers spec with --servers FILE"
        )
    return lookup(servers_file, server)


def _stored_login(url: str) -> AuthProvider | None:
    """The login ``mcpctl auth login URL`` stored for ``url``, if any (as ``gh`` uses its stored login)."""
    from mcpctl.mcp.auth.login import StoredLoginProvider, login_command
    from mcpctl.mcp.auth.store import open_login_store

    store = open_login_store()
    if store.get(url) is None:
        return None
    return StoredLoginProvider(url, store=store, command=login_command(url))


def lookup(path: str, name: str) -> ServerTarget:
    """The target of server ``name`` in the Servers documents of spec file ``path``."""
    from mcpctl.engine.targets import target_for
    from mcpctl.spec.build import load_specs

    servers = load_specs([], servers_files=[path], check_locks=False).servers
    if name not in servers:
        known = f" (known: {', '.join(sorted(servers))})" if servers else " (it defines no servers)"
        raise UsageError(f"{path}: no server named {name!r}{known}")
    return target_for(servers[name])


def target_of(conn: Mapping[str, Any]) -> ServerTarget:
    """The target of the connection options the CLI collected (``mcpctl.cli.app._connection``)."""
    return resolve_target(
        server=conn["server"],
        command=conn["command"],
        headers=conn["headers"],
        transport=conn["transport"],
        env=conn["env"],
        servers_file=conn["servers_file"],
    )


def coerce_arguments(words: Sequence[str], schema: JSONValue) -> dict[str, JSONValue]:
    """``key=value`` words to tool arguments, typed by the tool's input schema where it says."""
    import orjson

    props = schema.get("properties") if isinstance(schema, dict) else None
    args: dict[str, JSONValue] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UsageError(f"argument {word!r}: expected key=value")
        declared = props.get(key, {}).get("type") if isinstance(props, dict) else None
        if declared == "string":
            args[key] = value
            continue
        try:
            args[key] = orjson.loads(value)
        except orjson.JSONDecodeError:
            if declared not in (None, "string") and not (isinstance(declared, list) and "string" in declared):
                raise UsageError(
                    f"argument {key}={value!r}: the tool expects {declared}, not a string"
                ) from None
            args[key] = value
    return args


def parse_address(text: str, *, option: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (host 127.0.0.1 when left out; ``[::1]:PORT`` for IPv6) as ``(host, port)``."""
    host, sep, port = text.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise UsageError(f"{option} {text!r}: expected [HOST:]PORT, e.g. 127.0.0.1:8080")
    return (host.strip("[]") if sep and host else "127.0.0.1"), int(port)
