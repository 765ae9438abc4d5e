"""Spec servers as client targets."""

from __future__ import annotations

from mcpctl.engine.targets import target_for
from mcpctl.mcp.auth import OAuthProvider
from mcpctl.mcp.client import HttpTarget, StdioTarget
from mcpctl.spec.model import BearerAuth, ClientCredentialsAuth, HttpServer, Source, StdioServer

SOURCE = Source(path="servers.yaml", line=3, column=5)


def test_stdio() -> None:
    server = StdioServer(name="s", command=("python", "-m", "srv"), env={"A": "1"}, cwd="/srv", source=SOURCE)
    assert target_for(server) == StdioTarget(command=("python", "-m", "srv"), env={"A": "1"}, cwd="/srv")


def test_http_with_headers_and_transport() -> None:
    server = HttpServer(
        name="h", url="http://127.0.0.1:9/sse", headers={"X-Team": "core"}, transport="sse", source=SOURCE
    )
    assert target_for(server, backend="lean") == HttpTarget(
        url="http://127.0.0.1:9/sse", headers={"X-Team": "core"}, transport="sse", backend="lean"
    )


def test_bearer_auth_becomes_the_bearer_token() -> None:
    server = HttpServer(name="h", url="https://x/mcp", auth=BearerAuth(token="t0k"), source=SOURCE)
    assert target_for(server) == HttpTarget(url="https://x/mcp", bearer_token="t0k")


def test_client_credentials_become_an_oauth_provider() -> None:
    auth = ClientCredentialsAuth(client_id="ci", client_secret="cs")
    target = target_for(HttpServer(name="h", url="https://x/mcp", auth=auth, source=SOURCE))
    assert isinstance(target, HttpTarget)
    assert target.bearer_token is None
    provider = target.auth
    assert isinstance(provider, OAuthProvider)
    assert provider.server_url == "https://x/mcp"
    assert provider.config.grant == "client_credentials"
    assert provider.config.client is not None
    assert (provider.config.client.client_id, provider.config.client.client_secret) == ("ci", "cs")
