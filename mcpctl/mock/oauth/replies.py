"""The HTTP answers of the authorization server and the resource guard, written whole.

The MCP endpoint's status lines (:mod:`mcpctl.mock.http_wire`) know the statuses an MCP server
answers; OAuth also needs 201, 302 and 401, so its answers are framed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final

import orjson

from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock.http_wire import HttpConnection

_REASONS: Final = {
    200: "OK",
    201: "Created",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
}
NO_STORE: Final = (("cache-control", "no-store"), ("pragma", "no-cache"))
"""Token and registration answers carry credentials: no cache may keep them (RFC 6749 §5.1)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One whole HTTP answer."""

    status: int
    body: bytes = b""
    headers: Sequence[tuple[str, str]] = ()


def json_reply(
    status: int, value: Mapping[str, JSONValue], *, headers: Sequence[tuple[str, str]] = ()
) -> Reply:
    """``value`` as an ``application/json`` answer."""
    return Reply(
        status=status,
        body=orjson.dumps(value),
        headers=(("content-type", "application/json"), *headers),
    )


def oauth_error(
    error: str, description: str, *, status: int = 400, headers: Sequence[tuple[str, str]] = ()
) -> Reply:
    """An RFC 6749 §5.2 error answer."""
    body: dict[str, JSONValue] = {"error": error, "error_description": description}
    return json_reply(status, body, headers=(*NO_STORE, *headers))


def redirect(location: str) -> Reply:
    """A 302 to ``location`` (how /authorize answers a browser)."""
    return Reply(status=302, headers=(("location", location), ("cache-control", "no-store")))


def encode(reply: Reply, *, keep_alive: bool) -> bytes:
    """The bytes of ``reply`` on an HTTP/1.1 connection."""
    lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}"]
    lines.append(f"date: {formatdate(usegmt=True)}")
    lines.extend(f"{name}: {value}" for name, value in reply.headers)
    lines.append(f"content-length: {len(reply.body)}")
    if not keep_alive:
        lines.append("connection: close")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + reply.body


async def send(conn: HttpConnection, reply: Reply, *, keep_alive: bool) -> bool:
    """Write ``reply``; whether the connection may carry another request."""
    return await conn.send(encode(reply, keep_alive=keep_alive)) and keep_alive
