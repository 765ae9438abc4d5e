"""The HTTP exchanges of the OAuth client; the one auth module that imports httpx.

Auth is not a hot path, so each flow opens a short-lived client with
:func:`open_oauth_http`. Redirects are never followed (an authorization endpoint's
redirect carries the code) and httpx errors become :class:`~mcpctl.errors.AuthError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Final

import httpx
import orjson

from mcpctl.errors import AuthError
from mcpctl.mcp.jsonrpc import JSONValue

TIMEOUT: Final = 30.0
_MAX_BODY: Final = 1 << 20

JsonObject = dict[str, JSONValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One HTTP answer, read whole."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json_object(self) -> JsonObject | None:
        """The body as a JSON object, or ``None`` when it is not one."""
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None


class OAuthHttp:
    """GETs and POSTs for discovery, registration and token requests."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def get(self, url: str) -> Reply:
        """GET ``url`` (no redirects followed)."""
        return await self._send("GET", url, headers={"accept": "application/json"})

    async def get_json(self, url: str) -> JsonObject | None:
        """The JSON object at ``url``, or ``None`` if the server has none there (any non-2xx)."""
        reply = await self.get(url)
        return reply.json_object() if 200 <= reply.status < 300 else None

    async def post_form(
        self, url: str, form: Mapping[str, str], *, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """POST ``form`` as ``application/x-www-form-urlencoded``."""
        return await self._send(
            "POST", url, headers={"accept": "application/json", **(headers or {})}, data=form
        )

    async def post_json(self, url: str, body: JSONValue) -> Reply:
        """POST ``body`` as JSON."""
        return await self._send(
            "POST",
            url,
            headers={"accept": "application/json", "content-type": "application/json"},
            content=orjson.dumps(body),
        )

    async def post(self, url: str, body: bytes, *, headers: Mapping[str, str]) -> Reply:
        """POST ``body`` with ``headers`` as given (probing a server's answers to credentials)."""
        return await self._send("POST", url, headers=headers, content=body)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Reply:
        try:
            response = await self._client.request(
                method, url, headers=dict(headers), data=data, content=content
            )
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise AuthError(f"{method} {url}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
        return Reply(status=response.status_code, headers=response.headers, body=response.content[:_MAX_BODY])


@asynccontextmanager
async def open_oauth_http(*, timeout: float = TIMEOUT) -> AsyncIterator[OAuthHttp]:
    """A short-lived :class:`OAuthHttp`; its connections close on exit."""
    client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)
    try:
        yield OAuthHttp(client)
    finally:
        with suppress(httpx.HTTPError, OSError):  # closing is best effort
            await client.aclose()
