"""A small MockApp for the HTTP transport's tests: echo, progress, list_changed, slow and failing calls."""

from __future__ import annotations

from typing import Any

import trio

from mcpctl.mcp.jsonrpc import METHOD_NOT_FOUND, Message, error, notification, result
from mcpctl.mock.session import Notify

HANDSHAKE = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
TOOLS = [
    {"name": "echo", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "slow", "inputSchema": {"type": "object"}},
    {"name": "fail", "inputSchema": {"type": "object"}},
]


class FakeSession:
    def __init__(self, app: FakeApp, unsolicited: Notify) -> None:
        self.app = app
        self.unsolicited = unsolicited
        self.seen: list[str] = []
        self.closed = False

    async def handle(self, message: Message, related: Notify) -> Message | None:
        method = message.get("method")
        self.seen.append(method or "response")
        if "id" not in message or method is None:
            return None
        params: dict[str, Any] = message.get("params") or {}
        if method == "initialize":
            version = params.get("protocolVersion")
            if version == "bad":
                return error(message["id"], -32602, "unsupported protocol version")
            return result(
                message["id"],
                {
                    "protocolVersion": version if version in HANDSHAKE else "2025-11-25",
                    "capabilities": {"tools": {"listChanged": True}},
                    "serverInfo": {"name": "fake-mock", "version": "0"},
                },
            )
        if method == "ping":
            return result(message["id"], {})
        if method == "tools/list":
            return result(message["id"], {"tools": TOOLS})
        if method == "tools/call":
            return await self._call(message, params, related)
        return error(message["id"], METHOD_NOT_FOUND, f"Method not found: {method}")

    async def _call(self, message: Message, params: dict[str, Any], related: Notify) -> Message:
        args = params.get("arguments") or {}
        token = (params.get("_meta") or {}).get("progressToken")
        if token is not None:
            for step in (1, 2):
                await related(
                    notification(
                        "notifications/progress", {"progressToken": token, "progress": step, "total": 2}
                    )
                )
        if args.get("list_changed"):
            await self.unsolicited(notification("notifications/tools/list_changed"))
        if params.get("name") == "slow":
            await trio.sleep(args.get("seconds", 0.2))
        if params.get("name") == "fail":
            raise RuntimeError("the fake app broke")
        text = str(args.get("text", ""))
        return result(message["id"], {"content": [{"type": "text", "text": text}], "isError": False})

    def close(self) -> None:
        self.closed = True
        self.app.closed += 1


class FakeApp:
    def __init__(self) -> None:
        self.sessions: list[FakeSession] = []
        self.closed = 0

    def open_session(self, unsolicited: Notify) -> FakeSession:
        session = FakeSession(self, unsolicited)
        self.sessions.append(session)
        return session
