"""An MCP server on the official Python SDK (mcp 2.x), for tests and benchmarks.

    python -m testing.servers.sdk_echo                          # stdio
    python -m testing.servers.sdk_echo --http --port 8765       # streamable HTTP, http://127.0.0.1:8765/mcp
    python -m testing.servers.sdk_echo --http --json-response   # JSON answers instead of SSE streams
    python -m testing.servers.sdk_echo --http --resumable       # an event store: SSE streams resume
    python -m testing.servers.sdk_echo --sse --port 8765        # legacy HTTP+SSE, http://127.0.0.1:8765/sse

Tools: echo(text), add(a, b), progress(steps), slow(seconds), poll(steps) (closes its SSE stream
half-way: the client must resume), list_changed() (a notification on the standalone stream).
MCPCTL_TEST_ECHO_DESCRIPTION, when set, replaces echo's description (a changed tool, for pin tests).
"""

from __future__ import annotations

import argparse
import itertools
import os
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.streamable_http import EventCallback, EventMessage, EventStore

mcp = MCPServer("mcpctl-sdk-echo", version="1.0.0", log_level="WARNING")


@mcp.tool(description=os.environ.get("MCPCTL_TEST_ECHO_DESCRIPTION"))
async def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@mcp.tool()
async def add(a: float, b: float) -> float:
    """Return a + b."""
    return a + b


@mcp.tool()
async def progress(steps: int, ctx: Context) -> str:
    """Report progress `steps` times, then answer."""
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step}")
    return f"done {steps}"


@mcp.tool()
async def slow(seconds: float, ctx: Context) -> str:
    """Sleep, then answer."""
    # asked for progress, report it once before sleeping: the SSE answer's head goes out at once
    await ctx.report_progress(0, seconds, "sleeping")
    await anyio.sleep(seconds)
    return f"slept {seconds}"


@mcp.tool()
async def poll(steps: int, ctx: Context) -> str:
    """Report progress, close the answer stream, keep working: the client resumes with Last-Event-ID."""
    await ctx.report_progress(1, steps, "before the break")
    await ctx.close_sse_stream()
    # The SDK server loses events stored while it replays a resumed stream (it registers the
    # live stream only after the replay): leave the client time to reconnect first.
    await anyio.sleep(0.5)
    for step in range(2, steps + 1):
        await ctx.report_progress(step, steps, f"step {step}")
    return f"polled {steps}"


@mcp.tool()
async def list_changed(ctx: Context) -> str:
    """Send notifications/tools/list_changed (unrelated to this request: the standalone stream)."""
    await ctx.session.send_tool_list_changed()
    return "sent"


@mcp.resource("echo://readme", name="readme", mime_type="text/plain")
async def readme() -> str:
    """A fixed text resource."""
    return "mcpctl sdk echo server"


@mcp.resource("echo://items/{item_id}", name="item", mime_type="application/json")
async def item(item_id: str) -> str:
    """A templated resource."""
    return f'{{"id": "{item_id}"}}'


@mcp.prompt()
async def greet(name: str) -> str:
    """Greet someone by name."""
    return f"Say hello to {name}."


class MemoryEventStore(EventStore):
    """Every event kept in memory, replayed per stream."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []
        self._ids = itertools.count(1)

    async def store_event(self, stream_id: str, message: Any) -> str:
        event_id = str(next(self._ids))
        self.events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id: str, send_callback: EventCallback) -> str | None:
        index = next((i for i, event in enumerate(self.events) if event[0] == last_event_id), None)
        if index is None:
            return None
        stream_id = self.events[index][1]
        for event_id, stream, message in self.events[index + 1 :]:
            if stream == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--http", action="store_true", help="serve streamable HTTP")
    mode.add_argument("--sse", action="store_true", help="serve the legacy HTTP+SSE transport")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--json-response", action="store_true")
    ap.add_argument("--stateless", action="store_true")
    ap.add_argument("--resumable", action="store_true", help="keep events so SSE streams can resume")
    args = ap.parse_args()
    if args.sse:
        mcp.run("sse", host="127.0.0.1", port=args.port)
    elif args.http:
        mcp.run(
            "streamable-http",
            host="127.0.0.1",
            port=args.port,
            json_response=args.json_response,
            stateless_http=args.stateless,
            event_store=MemoryEventStore() if args.resumable else None,
            retry_interval=50 if args.resumable else None,
        )
    else:
        mcp.run("stdio")


if __name__ == "__main__":
    main()
