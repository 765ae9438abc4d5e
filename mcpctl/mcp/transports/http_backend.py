"""The small interface between the MCP HTTP transports and an HTTP client library.

Two implementations: :mod:`~mcpctl.mcp.transports.http_httpx` (the default; HTTPS, proxies)
and :mod:`~mcpctl.mcp.transports.http_lean` (plain HTTP/1.1 on trio sockets with the httptools
parser: the load path).
A backend translates its library's exceptions into :class:`~mcpctl.errors.TransportError`
where they enter, so the transports never see a foreign exception.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from mcpctl.errors import FrameTooLarge

BackendName = Literal["httpx", "lean"]
Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """A response whose body is read incrementally with ``chunks``."""

    status: int
    headers: Mapping[str, str]
    """Header names are lower-case."""
    chunks: AsyncIterator[bytes]

    @property
    def content_type(self) -> str:
        """The media type, lower-case, without parameters."""
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    async def read(self, limit: int) -> bytes:
        """The whole body; raises :class:`~mcpctl.errors.FrameTooLarge` past ``limit`` bytes."""
        parts: list[bytes] = []
        size = 0
        async for chunk in self.chunks:
            size += len(chunk)
            if size > limit:
                raise FrameTooLarge(size=size, limit=limit)
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)


class HttpBackend(Protocol):
    """Sends one HTTP request at a time per call; safe for concurrent callers."""

    def exchange(
        self, method: str, url: str, headers: Headers, body: bytes | None
    ) -> AbstractAsyncContextManager[HttpResponse]:
        """Send a request; the response is valid (and its connection held) inside the block.

        Raises :class:`~mcpctl.errors.TransportError` when the request cannot be sent or the
        connection breaks while reading; leaving the block early abandons the body.
        """
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


def make_backend(url: str, backend: BackendName, *, connect_timeout: float) -> HttpBackend:
    """The named HTTP backend for ``url``."""
    if backend == "lean":
        from mcpctl.mcp.transports.http_lean import LeanBackend

        return LeanBackend(url, connect_timeout=connect_timeout)
    from mcpctl.mcp.transports.http_httpx import HttpxBackend

    return HttpxBackend(connect_timeout=connect_timeout)
