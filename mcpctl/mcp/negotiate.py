"""Settling the protocol era and revision with a server.

``auto`` follows the official SDK's rules: probe ``server/discover`` at the newest modern
revision; anything that is not positive evidence of a modern server (a JSON-RPC error, an
HTTP 4xx, a probe timeout, a result naming no modern revision) falls back to the
``initialize`` handshake. Only a ``-32022`` naming modern revisions alone, none of them ours,
is a real incompatibility. A pinned revision skips the probe (or the handshake) entirely.
"""

from __future__ import annotations

from mcpctl.errors import HttpStatusError, ProtocolError, RequestTimeout, RpcError, UsageError
from mcpctl.mcp.jsonrpc import UNSUPPORTED_PROTOCOL_VERSION, Message
from mcpctl.mcp.protocol import (
    DISCOVER_TIMEOUT,
    HANDSHAKE_VERSIONS,
    KNOWN_VERSIONS,
    LATEST_HANDSHAKE_VERSION,
    LATEST_MODERN_VERSION,
    MODERN_VERSIONS,
    SERVER_INFO_META,
    era_of,
)
from mcpctl.mcp.results import Negotiated
from mcpctl.mcp.session import ClientSession


async def negotiate(session: ClientSession, protocol: str = "auto") -> Negotiated:
    """Connect ``session``: ``protocol`` is ``"auto"`` or a revision from KNOWN_VERSIONS."""
    if protocol == "auto":
        return await _auto(session)
    if protocol not in KNOWN_VERSIONS:
        known = ", ".join(KNOWN_VERSIONS)
        raise UsageError(f"unknown protocol revision {protocol!r} (known: auto, {known})")
    if era_of(protocol) == "modern":
        return _adopt_discover(session, await _discover(session, protocol), probe="server/discover (pinned)")
    return await initialize(session, protocol, probe="initialize (pinned)")


async def _auto(session: ClientSession) -> Negotiated:
    version = LATEST_MODERN_VERSION
    for attempt in range(2):
        try:
            result = await _discover(session, version)
        except RpcError as exc:
            supported = _supported(exc)
            mutual = [v for v in MODERN_VERSIONS if v in supported]
            if exc.code == UNSUPPORTED_PROTOCOL_VERSION and mutual and attempt == 0:
                version = mutual[-1]
                continue
            if (
                exc.code == UNSUPPORTED_PROTOCOL_VERSION
                and supported
                and not set(supported) & set(HANDSHAKE_VERSIONS)
            ):
                raise ProtocolError(
                    f"server speaks only {', '.join(supported)}; mcpctl speaks {', '.join(KNOWN_VERSIONS)}"
                ) from None
            return await initialize(session, probe=f"server/discover → error {exc.code} → initialize")
        except RequestTimeout:
            return await initialize(session, probe="server/discover timed out → initialize")
        except HttpStatusError as exc:
            if not 400 <= exc.status < 500:
                raise
            return await initialize(session, probe=f"server/discover → HTTP {exc.status} → initialize")
        versions = result.get("supportedVersions")
        if not isinstance(versions, list) or not set(versions) & set(MODERN_VERSIONS):
            return await initialize(session, probe="server/discover named no modern revision → initialize")
        return _adopt_discover(session, result, probe="server/discover")
    raise AssertionError("unreachable")


async def _discover(session: ClientSession, version: str) -> Message:
    params = {"_meta": session.envelope(version)}
    return await session.request("server/discover", params, timeout=DISCOVER_TIMEOUT)


def _adopt_discover(session: ClientSession, result: Message, *, probe: str) -> Negotiated:
    versions = result.get("supportedVersions")
    mutual = [v for v in MODERN_VERSIONS if isinstance(versions, list) and v in versions]
    if not mutual:
        raise ProtocolError(f"server/discover: no mutual modern revision (server offers {versions!r})")
    version = mutual[-1]
    session.adopt(protocol_version=version, era="modern")
    meta = result.get("_meta")
    info = meta.get(SERVER_INFO_META) if isinstance(meta, dict) else None
    return Negotiated(
        protocol_version=version,
        era="modern",
        server_info=info if isinstance(info, dict) else {},
        capabilities=_dict(result.get("capabilities")),
        instructions=_str(result.get("instructions")),
        probe=probe,
    )


async def initialize(
    session: ClientSession, version: str = LATEST_HANDSHAKE_VERSION, *, probe: str
) -> Negotiated:
    """The handshake: ``initialize`` offering ``version``, then ``notifications/initialized``."""
    params = {
        "protocolVersion": version,
        "capabilities": session.options.capabilities(),
        "clientInfo": session.options.client_info(),
    }
    result = await session.request("initialize", params)
    answered = result.get("protocolVersion")
    if answered not in HANDSHAKE_VERSIONS:
        raise ProtocolError(
            f"initialize: server chose protocol revision {answered!r}, which mcpctl does not speak "
            f"(offered {version}; known: {', '.join(HANDSHAKE_VERSIONS)})"
        )
    session.adopt(protocol_version=answered, era="handshake")
    await session.notify("notifications/initialized")
    return Negotiated(
        protocol_version=answered,
        era="handshake",
        server_info=_dict(result.get("serverInfo")),
        capabilities=_dict(result.get("capabilities")),
        instructions=_str(result.get("instructions")),
        probe=probe,
    )


def _supported(exc: RpcError) -> list[str]:
    data = exc.data
    supported = data.get("supported") if isinstance(data, dict) else None
    return [v for v in supported if isinstance(v, str)] if isinstance(supported, list) else []


def _dict(value: object) -> Message:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
