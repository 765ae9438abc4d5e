"""The HTTP headers of the MCP wire: credentials, and the 2026-07-28 per-request routing headers
(``Mcp-Method``, ``Mcp-Name``) with the value encoding the SDK uses for them."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Final

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.protocol import PROTOCOL_VERSION_META

NAME_BEARING_METHODS: Final[Mapping[str, str]] = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
}
"""Methods whose target (this ``params`` key) is mirrored into the ``Mcp-Name`` header."""

_HEADER_SAFE: Final = re.compile(r"[\x20-\x7e]*")
_B64_SENTINEL: Final = re.compile(r"=\?base64\?(.*)\?=")


def encode_header_value(value: str) -> str:
    """A value as it travels in an ``Mcp-*`` header: verbatim if printable ASCII without edge
    spaces, else UTF-8 base64 inside ``=?base64?...?=``."""
    if _HEADER_SAFE.fullmatch(value) and value == value.strip() and not _B64_SENTINEL.fullmatch(value):
        return value
    return f"=?base64?{base64.b64encode(value.encode()).decode('ascii')}?="


def decode_header_value(value: str) -> str | None:
    """Inverse of :func:`encode_header_value`; ``None`` for a malformed sentinel."""
    match = _B64_SENTINEL.fullmatch(value)
    if match is None:
        return value
    try:
        decoded = base64.b64decode(match.group(1), validate=True)
        if base64.b64encode(decoded).decode("ascii") != match.group(1):
            return None
        return decoded.decode()
    except (ValueError, UnicodeDecodeError):
        return None


def auth_headers(headers: Mapping[str, str] | None, bearer_token: str | None) -> list[tuple[str, str]]:
    """The caller's headers plus ``Authorization: Bearer`` (kept out of error messages)."""
    out = [(name.lower(), value) for name, value in (headers or {}).items()]
    if bearer_token:
        out = [(k, v) for k, v in out if k != "authorization"] + [("authorization", f"Bearer {bearer_token}")]
    return out


def request_headers(
    base: list[tuple[str, str]], msg: Message, *, modern_version: str | None
) -> list[tuple[str, str]]:
    """``base`` for a request, plus the modern routing headers when ``msg`` carries the 2026-07-28
    envelope (or the session is modern: ``modern_version``)."""
    version = _envelope_version(msg) or modern_version
    if version is None:
        return base
    method: str = msg["method"]
    headers = [(k, v) for k, v in base if k != "mcp-protocol-version"]
    headers += [("mcp-protocol-version", version), ("mcp-method", method)]
    key = NAME_BEARING_METHODS.get(method)
    params = msg.get("params")
    if key is not None and isinstance(params, dict) and isinstance(name := params.get(key), str):
        headers.append(("mcp-name", encode_header_value(name)))
    return headers


def _envelope_version(msg: Message) -> str | None:
    params = msg.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    version = meta.get(PROTOCOL_VERSION_META) if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None
