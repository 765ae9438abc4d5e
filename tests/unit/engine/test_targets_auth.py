"""The new ``auth:`` shapes as client targets: every runner opens servers through target_for."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.targets import target_for
from mcpctl.errors import AuthError
from mcpctl.mcp.auth import OAuthProvider
from mcpctl.mcp.auth.login import RedactingTokenStore, ScopedProvider, StoredLoginProvider
from mcpctl.mcp.auth.tokens import Token
from mcpctl.mcp.client import HttpTarget
from mcpctl.spec.env import Secrets
from mcpctl.spec.model import BearerAuth, ClientCredentialsAuth, HeadersAuth, HttpServer, OAuthAuth, Source

SOURCE = Source(path="servers.yaml", line=3, column=5)
URL = "https://x/mcp"


@pytest.fixture(autouse=True)
def _file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPCTL_TOKEN_STORE", "file")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def http(auth: object, *, secrets: Secrets | None = None) -> HttpServer:
    return HttpServer(
        name="issues",
        url=URL,
        headers={"X-Team": "core"},
        auth=auth,
        source=SOURCE,
        secrets=secrets if secrets is not None else Secrets(),
    )  # type: ignore[arg-type]


def test_headers_auth_adds_its_headers() -> None:
    target = target_for(http(HeadersAuth(headers={"X-Api-Key": "k"})))
    assert target == HttpTarget(url=URL, headers={"X-Team": "core", "X-Api-Key": "k"})


def test_the_bearer_shorthand_is_a_bearer_token() -> None:
    assert target_for(http(BearerAuth(token="t0k"))) == HttpTarget(
        url=URL, headers={"X-Team": "core"}, bearer_token="t0k"
    )


async def test_oauth_client_credentials_asks_for_the_scopes_and_redacts_its_tokens() -> None:
    secrets = Secrets()
    auth = OAuthAuth(grant="client_credentials", client_id="ci", client_secret="cs", scopes=("a", "b"))
    target = target_for(http(auth, secrets=secrets))
    assert isinstance(target, HttpTarget)
    provider = target.auth
    assert isinstance(provider, ScopedProvider)
    assert provider.scopes == ("a", "b")
    inner = provider.inner
    assert isinstance(inner, OAuthProvider)
    assert inner.config.grant == "client_credentials"
    assert inner.config.client is not None
    assert inner.config.client.client_id == "ci"
    assert isinstance(inner.store, RedactingTokenStore)
    inner.store.put(URL, Token(access_token="issued-at"))
    assert secrets.redact("issued-at") == "***"


def test_the_typed_client_credentials_now_ask_for_their_scope() -> None:
    target = target_for(http(ClientCredentialsAuth(client_id="ci", client_secret="cs", scope=("r",))))
    assert isinstance(target, HttpTarget)
    assert isinstance(target.auth, ScopedProvider)
    assert target.auth.scopes == ("r",)


async def test_authorization_code_uses_the_stored_login_and_never_a_browser() -> None:
    target = target_for(http(OAuthAuth()))
    assert isinstance(target, HttpTarget)
    provider = target.auth
    assert isinstance(provider, StoredLoginProvider)
    with pytest.raises(AuthError) as caught:
        await provider.authorization()
    assert str(caught.value) == f"not logged in to {URL}: run mcpctl auth login issues --servers servers.yaml"
