"""mcpctl's client as the client of the official conformance suite's client scenarios.

    scripts/conformance.sh            # runs every client scenario with this as the client

The runner appends the test server's URL as the last argument and names the scenario in
MCP_CONFORMANCE_SCENARIO. This client connects with mcpctl's defaults (probe, then handshake),
lists the tools and calls each one with arguments made from its input schema, answering
elicitations headlessly with the schema defaults. Exit 0 when every step worked.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import trio

from mcpctl import __version__
from mcpctl.errors import McpctlError
from mcpctl.mcp.client import HttpTarget, open_client
from mcpctl.mcp.session import ClientOptions

SAMPLES: dict[str, Any] = {"number": 1, "integer": 2, "string": "test", "boolean": True}


def arguments(schema: Any) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    return {
        name: SAMPLES.get(prop.get("type"), "test") for name, prop in props.items() if isinstance(prop, dict)
    }


async def main(url: str) -> int:
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    options = ClientOptions(
        client_name="mcpctl-conformance", client_version=__version__, elicitation_reply="defaults"
    )
    async with open_client(HttpTarget(url=url), options=options) as client:
        print(f"{scenario}: negotiated {client.negotiated.protocol_version} ({client.negotiated.probe})")
        for tool in await client.list_tools():
            result = await client.call_tool(tool["name"], arguments(tool.get("inputSchema")), timeout=20)
            print(f"{scenario}: {tool['name']} -> {result.text[:200]!r} isError={result.is_error}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(trio.run(main, sys.argv[-1]))
    except McpctlError as exc:
        print(f"conformance client: {exc}", file=sys.stderr)
        sys.exit(1)
