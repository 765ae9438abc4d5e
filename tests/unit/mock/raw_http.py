"""A raw HTTP/1.1 client for poking at serve_http: exact bytes out, parsed responses back."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httptools
import orjson
import trio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
BOTH = "application/json, text/event-stream"
OPEN: list[RawClient] = []
"""Every connection made; a fixture closes them after each test."""


async def close_all() -> None:
    while OPEN:
        await trio.aclose_forcefully(OPEN.pop().stream)


@dataclass
class Response:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.body)

    def events(self) -> list[dict[str, str]]:
        """The SSE events of the body: each a dict of its fields (data joined)."""
        found = []
        for block in self.body.decode().split("\n\n"):
            if not block.strip():
                continue
            event: dict[str, str] = {}
            for line in block.split("\n"):
                name, _, value = line.partition(":")
                event[name] = value.removeprefix(" ")
            found.append(event)
        return found

    def messages(self) -> list[Any]:
        return [orjson.loads(e["data"]) for e in self.events() if "data" in e]


class _Parse:
    def __init__(self) -> None:
        self.done: deque[Response] = deque()
        self.current = Response()
        self.head_done = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers[name.decode().lower()] = value.decode()

    def on_headers_complete(self) -> None:
        self.current.status = self.parser.get_status_code()
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.current.body += body

    def on_message_complete(self) -> None:
        self.done.append(self.current)
        self.current = Response()
        self.head_done = False


class RawClient:
    """One connection; ``request`` sends and reads one response, ``head``/``read_until`` stream one."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self._parse = _Parse()
        self.eof = False

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        client = cls(await trio.open_tcp_stream("127.0.0.1", port))
        OPEN.append(client)
        return client

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def _feed(self) -> None:
        data = await self.stream.receive_some(1 << 16)
        if not data:
            self.eof = True
            raise EOFError("server closed the connection")
        self._parse.parser.feed_data(data)

    async def response(self) -> Response:
        with trio.fail_after(5):
            while not self._parse.done:
                await self._feed()
            return self._parse.done.popleft()

    async def head(self) -> Response:
        """Read until a streamed response's head is in; its body keeps growing with ``read_until``."""
        with trio.fail_after(5):
            while not self._parse.head_done and not self._parse.done:
                await self._feed()
        return self._parse.done[0] if self._parse.done else self._parse.current

    async def read_until(self, marker: bytes, timeout: float = 5) -> bytes:
        with trio.fail_after(timeout):
            while marker not in self._parse.current.body:
                await self._feed()
        return self._parse.current.body

    async def read_events(self, count: int, timeout: float = 5) -> list[bytes]:
        """The first ``count`` events (or comments) of a streamed body, once they are in."""
        with trio.fail_after(timeout):
            while self._parse.current.body.count(b"\n\n") < count:
                await self._feed()
        return self._parse.current.body.split(b"\n\n")[:count]

    async def closed(self) -> bool:
        """Whether the server closes the connection (reads to EOF, 5 s at most)."""
        with trio.fail_after(5):
            try:
                while await self.stream.receive_some(1 << 16):
                    pass
            except trio.BrokenResourceError:
                pass
        return True

    async def request(
        self,
        method: str = "POST",
        body: Any = None,
        *,
        path: str = "/mcp",
        headers: dict[str, str | None] | None = None,
        raw_body: bytes | None = None,
    ) -> Response:
        await self.send(build(method, body, path=path, headers=headers, raw_body=raw_body))
        return await self.response()

    async def aclose(self) -> None:
        await self.stream.aclose()


def build(
    method: str = "POST",
    body: Any = None,
    *,
    path: str = "/mcp",
    headers: dict[str, str | None] | None = None,
    raw_body: bytes | None = None,
) -> bytes:
    """A request's bytes; by default a JSON POST accepting both answer types, Host 127.0.0.1."""
    payload = raw_body if raw_body is not None else (orjson.dumps(body) if body is not None else b"")
    base: dict[str, str | None] = {"host": "127.0.0.1", "accept": BOTH}
    if method == "POST":
        base["content-type"] = "application/json"
    base.update(headers or {})
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in base.items() if v is not None]
    if method == "POST" or payload:
        lines.append(f"content-length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
