"""Read what ``mcpctl pin`` locks: a server's whole tool list and who the server says it is."""

from __future__ import annotations

from collections.abc import Mapping

from mcpctl import __version__
from mcpctl.mcp.client import ServerTarget, open_client
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.session import ClientOptions


async def read_tools(
    target: ServerTarget, *, timeout: float, protocol: str = "auto"
) -> tuple[list[Message], Mapping[str, object], str]:
    """Every tool of ``target`` (all pages), its ``serverInfo`` and the negotiated protocol revision."""
    options = ClientOptions(client_version=__version__, timeout=timeout)
    async with open_client(target, options=options, protocol=protocol, connect_timeout=timeout) as client:
        tools = await client.list_tools()
        return tools, client.negotiated.server_info, client.negotiated.protocol_version
