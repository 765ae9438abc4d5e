"""The official Python SDK client (``mcp`` on PyPI) driving a server: list, call, read and get,
printing what it saw as one JSON object. For interop tests of mcpctl's mock.

    python -m testing.clients.sdk_client stdio COMMAND [ARGS...]
    python -m testing.clients.sdk_client http URL
    env: TOOL, TOOL_ARGS (JSON), RESOURCE, PROMPT, PROMPT_ARGS (JSON)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


@contextlib.asynccontextmanager
async def connect(mode: str, rest: list[str]):
    if mode == "stdio":
        params = StdioServerParameters(command=rest[0], args=rest[1:], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            yield read, write
    else:
        async with streamable_http_client(rest[0]) as streams:
            yield streams[0], streams[1]


async def main() -> None:
    mode, *rest = sys.argv[1:]
    async with connect(mode, rest) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        out: dict = {
            "server": init.server_info.model_dump(exclude_none=True),
            "protocol": init.protocol_version,
        }
        out["tools"] = [tool.name for tool in (await session.list_tools()).tools]
        if os.environ.get("TOOL"):
            result = await session.call_tool(
                os.environ["TOOL"], json.loads(os.environ.get("TOOL_ARGS", "{}"))
            )
            out["call"] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        if os.environ.get("RESOURCE"):
            out["resources"] = [str(r.uri) for r in (await session.list_resources()).resources]
            read_result = await session.read_resource(os.environ["RESOURCE"])
            out["read"] = read_result.model_dump(mode="json", by_alias=True, exclude_none=True)
        if os.environ.get("PROMPT"):
            out["prompts"] = [p.name for p in (await session.list_prompts()).prompts]
            prompt = await session.get_prompt(
                os.environ["PROMPT"], json.loads(os.environ.get("PROMPT_ARGS", "{}"))
            )
            out["prompt"] = prompt.model_dump(mode="json", by_alias=True, exclude_none=True)
    print(json.dumps(out))


if __name__ == "__main__":
    anyio.run(main)
