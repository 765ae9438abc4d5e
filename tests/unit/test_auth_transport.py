"""How the HTTP transport consults an auth provider, and the loopback authorizer's listener."""

from __future__ import annotations

import socket

import pytest
import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.authorizer import LoopbackAuthorizer, Redirect
from mcpctl.mcp.transports.http_auth import AUTH_ROUNDS, RequestAuth


class FakeProvider:
    def __init__(self, *, grant: bool = True) -> None:
        self.credential: str | None = None
        self.grant = grant
        self.challenges: list[tuple[int, str | None, str | None]] = []

    async def authorization(self) -> str | None:
        return self.credential

    async def challenge(self, *, status: int, www_authenticate: str | None, credential: str | None) -> bool:
        self.challenges.append((status, www_authenticate, credential))
        self.credential = f"Bearer t{len(self.challenges)}"
        return self.grant


async def test_stamp_replaces_a_static_authorization_header():
    provider = FakeProvider()
    auth = RequestAuth(provider)
    headers = [("accept", "x"), ("authorization", "Bearer static")]
    assert await auth.stamp(headers) == (headers, None)
    provider.credential = "Bearer dyn"
    assert await auth.stamp(headers) == ([("accept", "x"), ("authorization", "Bearer dyn")], "Bearer dyn")


async def test_retry_asks_the_provider_on_401_and_403_only():
    provider = FakeProvider()
    auth = RequestAuth(provider)
    assert not await auth.retry(500, {}, None, rounds=0, where="w")
    assert await auth.retry(401, {"www-authenticate": "Bearer"}, None, rounds=0, where="w")
    assert await auth.retry(403, {}, "Bearer t1", rounds=1, where="w")
    assert provider.challenges == [(401, "Bearer", None), (403, None, "Bearer t1")]
    assert not await RequestAuth(None).retry(401, {}, None, rounds=0, where="w")


async def test_retry_gives_up_after_the_bound():
    auth = RequestAuth(FakeProvider())
    with pytest.raises(AuthError, match=f"POST u: still HTTP 403 after {AUTH_ROUNDS} authorizations"):
        await auth.retry(403, {}, "Bearer t3", rounds=AUTH_ROUNDS, where="POST u")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_loopback_authorizer_takes_the_code_from_the_browser_redirect():
    announced: list[str] = []
    listening = trio.Event()

    def announce(url: str) -> None:
        announced.append(url)
        listening.set()

    authorizer = LoopbackAuthorizer(port=free_port(), open_browser=False, announce=announce)
    result: list[Redirect] = []
    replies: list[bytes] = []

    async def browser(target: str) -> None:
        stream = await trio.open_tcp_stream("127.0.0.1", authorizer.port)
        async with stream:
            await stream.send_all(f"GET {target} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
            replies.append(await stream.receive_some(4096))

    async def run() -> None:
        result.append(await authorizer.authorize("https://as.example/authorize?x=1"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await listening.wait()
        await browser("/favicon.ico")
        await browser("/callback?code=abc&state=xyz")
    assert announced == ["https://as.example/authorize?x=1"]
    assert replies[0].startswith(b"HTTP/1.1 404")
    assert replies[1].startswith(b"HTTP/1.1 200")
    assert result == [Redirect(code="abc", state="xyz")]
    assert authorizer.redirect_uri == f"http://127.0.0.1:{authorizer.port}/callback"


async def test_loopback_authorizer_times_out(autojump_clock):
    authorizer = LoopbackAuthorizer(port=free_port(), open_browser=False, timeout=5, announce=lambda _: None)
    with pytest.raises(AuthError, match="no authorization redirect within 5s"):
        await authorizer.authorize("https://as.example/authorize")
