"""Stored logins in use: the provider of a run (no browser, one refresh at a time), scopes, redaction."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth import grants
from mcpctl.mcp.auth.login import (
    LoginTokens,
    RedactingTokenStore,
    StoredLoginProvider,
    login_command,
    scoped_challenge,
)
from mcpctl.mcp.auth.store import FileBackend, Login, LoginStore
from mcpctl.mcp.auth.tokens import MemoryTokenStore, Token
from mcpctl.spec.env import Secrets
from tests.unit.test_auth_store import URL, login

COMMAND = login_command("issues", servers_file="servers.yaml")


def expired(login_: Login, *, refresh: str | None = "rt-1") -> Login:
    token = Token(
        access_token="old-at", expires_at=time.time() - 60, refresh_token=refresh, scope=("mcp:read",)
    )
    return replace(login_, token=token)


@pytest.fixture
def store(tmp_path: Path) -> LoginStore:
    return LoginStore(FileBackend(tmp_path / "tokens.json"))


def test_login_command() -> None:
    assert COMMAND == "mcpctl auth login issues --servers servers.yaml"
    assert login_command(URL) == f"mcpctl auth login {URL}"


def test_scoped_challenge_adds_the_configured_scopes() -> None:
    assert scoped_challenge(None, ()) is None
    assert scoped_challenge('Bearer realm="x"', ()) == 'Bearer realm="x"'
    assert scoped_challenge(None, ["a", "b"]) == 'Bearer scope="a b"'
    header = 'Bearer error="insufficient_scope", scope="a", resource_metadata="http://h/.well-known/x"'
    assert scoped_challenge(header, ["b", "a"]) == (
        'Bearer error="insufficient_scope", scope="a b", resource_metadata="http://h/.well-known/x"'
    )


def test_the_redacting_store_reports_every_token_it_handles() -> None:
    secrets = Secrets()
    tokens = RedactingTokenStore(MemoryTokenStore(), secrets.add)
    tokens.put(URL, Token(access_token="at-9", refresh_token="rt-9"))
    assert secrets.redact("at-9 rt-9") == "*** ***"
    tokens.forget(URL)
    assert tokens.get(URL) is None


def test_a_failed_refresh_keeps_the_client_and_adopts_a_newer_login(store: LoginStore) -> None:
    stale = expired(login())
    store.put(stale)
    tokens = LoginTokens(store, stale)
    tokens.forget(URL)
    kept = store.get(URL)
    assert kept is not None
    assert kept.token is None
    assert kept.client == login().client
    store.put(login(access="someone-else"))  # another process logged in meanwhile
    tokens = LoginTokens(store, stale)
    tokens.forget(URL)
    assert tokens.get(URL) == login(access="someone-else").token


async def test_not_logged_in_names_the_command(store: LoginStore) -> None:
    provider = StoredLoginProvider(URL, store=store, command=COMMAND)
    with pytest.raises(AuthError) as caught:
        await provider.authorization()
    assert str(caught.value) == f"not logged in to {URL}: run mcpctl auth login issues --servers servers.yaml"


async def test_the_stored_token_is_served_and_its_secrets_registered(store: LoginStore) -> None:
    store.put(login())
    secrets = Secrets()
    provider = StoredLoginProvider(URL, store=store, command=COMMAND, on_secret=secrets.add)
    assert await provider.authorization() == "Bearer at-1"
    assert secrets.redact("at-1 rt-1 cs-1") == "*** *** ***"


async def test_an_expired_token_without_refresh_token_asks_for_a_login(store: LoginStore) -> None:
    store.put(expired(login(), refresh=None))
    provider = StoredLoginProvider(URL, store=store, command=COMMAND)
    with pytest.raises(AuthError) as caught:
        await provider.authorization()
    assert str(caught.value) == f"the login to {URL} has expired: run {COMMAND}"
    kept = store.get(URL)
    assert kept is not None
    assert kept.token is None


async def test_a_missing_scope_is_not_cured_by_a_browser(store: LoginStore) -> None:
    store.put(login())
    provider = StoredLoginProvider(URL, store=store, command=COMMAND)
    with pytest.raises(AuthError) as caught:
        await provider.challenge(
            status=403,
            www_authenticate='Bearer error="insufficient_scope", scope="mcp:read mcp:write"',
            credential="Bearer at-1",
        )
    assert str(caught.value) == (
        f"the login to {URL} lacks the scopes this request needs (mcp:read mcp:write): "
        f"run {COMMAND} --scope mcp:read --scope mcp:write"
    )


async def test_concurrent_requests_share_one_refresh(
    store: LoginStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put(expired(login()))
    calls: list[str | None] = []

    async def refresh(http: object, server: object, client: object, *, token: Token, resource: str) -> Token:
        calls.append(token.refresh_token)
        await trio.sleep(0.01)
        return Token(access_token="new-at", expires_at=time.time() + 3600, refresh_token="rt-2")

    monkeypatch.setattr(grants, "refresh", refresh)
    secrets = Secrets()
    provider = StoredLoginProvider(URL, store=store, command=COMMAND, on_secret=secrets.add)
    headers: list[str | None] = []

    async def request() -> None:
        headers.append(await provider.authorization())

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(request)
    assert calls == ["rt-1"]
    assert headers == ["Bearer new-at"] * 20
    stored = store.get(URL)
    assert stored is not None
    assert stored.token is not None
    assert stored.token.refresh_token == "rt-2"
    assert secrets.redact("new-at rt-2") == "*** ***"
