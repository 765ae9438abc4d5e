"""How the authorization code is obtained: the plug point between the OAuth flow and a user.

:class:`HeadlessAuthorizer` GETs the authorization URL and reads the code from the redirect's
``Location`` without following it: for authorization servers that approve without a login
(test IdPs, CI, the conformance suite). :class:`LoopbackAuthorizer` is for people: it listens
on ``127.0.0.1`` (RFC 8252 §7.3), prints the URL, opens a browser if it can, and waits for
the redirect.
"""

from __future__ import annotations

import contextlib
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol
from urllib.parse import parse_qs, urlsplit

import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.http import open_oauth_http

DEFAULT_PORT: Final = 33418
CALLBACK_PATH: Final = "/callback"
_MAX_REQUEST: Final = 16 * 1024
_DONE_PAGE: Final = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\nconnection: close\r\n\r\n"
    b"<!doctype html><title>mcpctl</title><p>Authorization received. You can close this window.</p>"
)
_NOT_FOUND: Final = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """The parameters the authorization server redirected back with."""

    code: str
    state: str


class Authorizer(Protocol):
    """Takes an authorization URL to the user (or a test IdP) and returns the redirect's code."""

    @property
    def redirect_uri(self) -> str:
        """Where the authorization server sends the browser back; registered with the client."""
        ...

    async def authorize(self, url: str) -> Redirect:
        """Complete the authorization at ``url``; raise :class:`~mcpctl.errors.AuthError` if refused."""
        ...


def parse_redirect(location: str) -> Redirect:
    """The ``code`` and ``state`` of a redirect URL, or the error it reports."""
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    if "error" in query:
        detail = f": {query['error_description']}" if "error_description" in query else ""
        raise AuthError(f"the authorization server refused: {query['error']}{detail}")
    code = query.get("code")
    if not code:
        raise AuthError(f"the authorization redirect carries no code: {location[:200]}")
    return Redirect(code=code, state=query.get("state", ""))


def loopback_redirect_uri(port: int) -> str:
    """The redirect URI of a loopback listener on ``port``."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadlessAuthorizer:
    """GET the authorization URL and take the code from its redirect, without a browser."""

    redirect_uri: str = loopback_redirect_uri(DEFAULT_PORT)

    async def authorize(self, url: str) -> Redirect:
        async with open_oauth_http() as http:
            reply = await http.get(url)
        location = reply.headers.get("location")
        if not 300 <= reply.status < 400 or not location:
            raise AuthError(
                f"GET {url.split('?')[0]}: expected a redirect with the code, got HTTP {reply.status}",
                hint="the authorization server wants a login: use the interactive (loopback) authorizer",
            )
        return parse_redirect(location)


def _announce(url: str) -> None:
    print(f"Open this URL to authorize mcpctl:\n  {url}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopbackAuthorizer:
    """Wait for the browser's redirect on ``http://127.0.0.1:<port>/callback``."""

    port: int = DEFAULT_PORT
    timeout: float = 300.0
    open_browser: bool = True
    announce: Callable[[str], None] = _announce

    @property
    def redirect_uri(self) -> str:
        return loopback_redirect_uri(self.port)

    async def authorize(self, url: str) -> Redirect:
        try:
            listeners = await trio.open_tcp_listeners(self.port, host="127.0.0.1")
        except OSError as exc:
            raise AuthError(
                f"cannot listen on 127.0.0.1:{self.port} for the authorization redirect: {exc}"
            ) from None
        try:
            self.announce(url)
            if self.open_browser:
                await trio.to_thread.run_sync(_open_browser, url)
            with trio.move_on_after(self.timeout):
                return await _wait_for_callback(listeners[0])
            raise AuthError(
                f"no authorization redirect within {self.timeout:g}s", hint="open the printed URL"
            )
        finally:
            for listener in listeners:
                await listener.aclose()


def _open_browser(url: str) -> None:
    with contextlib.suppress(webbrowser.Error):  # the printed URL is enough
        webbrowser.open(url)


async def _wait_for_callback(listener: trio.SocketListener) -> Redirect:
    while True:
        stream = await listener.accept()
        async with stream:
            target = await _request_target(stream)
            if target is None or urlsplit(target).path != CALLBACK_PATH:
                await _reply(stream, _NOT_FOUND)
                continue
            await _reply(stream, _DONE_PAGE)
            return parse_redirect(target)


async def _request_target(stream: trio.SocketStream) -> str | None:
    """The request-target of the request line, once the head has arrived."""
    data = b""
    with trio.move_on_after(10):
        while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
            chunk = await stream.receive_some(4096)
            if not chunk:
                break
            data += chunk
    parts = data.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return None
    return parts[1].decode("latin-1")


async def _reply(stream: trio.SocketStream, payload: bytes) -> None:
    with contextlib.suppress(trio.BrokenResourceError, OSError):  # the browser went away
        await stream.send_all(payload)
