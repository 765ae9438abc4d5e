"""The httpx backend of the MCP HTTP transports: HTTPS, HTTP/1.1 keep-alive, one client per transport."""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
import trio

from mcpctl.errors import TransportError
from mcpctl.mcp.transports.http_backend import Headers, HttpResponse

# Measured (DESIGN.md §4): one shared pool degrades as concurrency grows, so keep the pool
# unbounded (no queueing inside httpx) and let callers bound concurrency themselves.
_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=256, keepalive_expiry=30.0)


@functools.cache
def _tls() -> ssl.SSLContext:
    # httpx builds (and loads the CA bundle into) a new context per client: ~17 ms of CPU, paid by every
    # session a monitor opens, so build it once; the context is only read once made
    return httpx.create_ssl_context()


class HttpxBackend:
    """One :class:`httpx.AsyncClient`; no redirects followed, no environment proxies read."""

    def __init__(self, *, connect_timeout: float) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(None, connect=connect_timeout),
            limits=_LIMITS,
            follow_redirects=False,
            trust_env=False,
            verify=_tls(),
        )

    @asynccontextmanager
    async def exchange(
        self, method: str, url: str, headers: Headers, body: bytes | None
    ) -> AsyncIterator[HttpResponse]:
        try:
            request = self._client.build_request(method, url, headers=list(headers), content=body)
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise TransportError(f"{method} {url}: {_describe(exc)}") from None
        chunks = _Chunks(response, f"{method} {url}")
        try:
            yield HttpResponse(status=response.status_code, headers=response.headers, chunks=chunks)
        finally:
            with trio.CancelScope(shield=True):
                try:
                    await chunks.aclose()
                    await response.aclose()
                except (httpx.HTTPError, OSError):
                    pass  # the connection is dropped either way

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True), suppress(httpx.HTTPError, OSError):
            await self._client.aclose()


class _Chunks:
    """A response body as an async iterator of byte chunks, with httpx errors translated."""

    def __init__(self, response: httpx.Response, where: str) -> None:
        self._response = response
        self._iter = response.aiter_bytes()
        self._where = where
        self._started = False
        self._finished = False

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        self._started = True
        try:
            return await self._iter.__anext__()
        except StopAsyncIteration:
            self._finished = True
            raise
        except (httpx.HTTPError, OSError) as exc:
            self._finished = True
            raise TransportError(f"{self._where}: {_describe(exc)}") from None
        except BaseException:
            self._finished = True
            raise

    async def aclose(self) -> None:
        """Abandon the body so that httpcore's nested generators all finish.

        Closing only the outer generator would leave the inner ones to the garbage collector
        (a ResourceWarning under trio); closing the socket first and reading once more makes
        every layer end by exception instead.
        """
        if not self._started or self._finished:
            return
        stream = self._response.extensions.get("network_stream")
        if stream is not None:
            await stream.aclose()
        try:
            while True:
                await self._iter.__anext__()
        except Exception:
            pass  # the expected end: a read on the closed socket failed
        self._finished = True


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc or type(exc).__name__})"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broken: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
