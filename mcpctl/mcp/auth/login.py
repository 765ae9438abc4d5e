"""Logging in once (``mcpctl auth login``) and using that login later, without a browser.

:func:`log_in` runs the authorization code flow with PKCE through :class:`OAuthProvider` and
keeps the result in a :class:`~mcpctl.mcp.auth.store.LoginStore`: the token, and the client
(registered now, or reused from an earlier login) with the endpoints a refresh needs.
:class:`StoredLoginProvider` is the provider of a run: it serves the stored token, refreshes it
through the same :class:`OAuthProvider` machinery when it expires, and where only a new login
would help it fails with the command to run, never opening a browser.

Every credential these handle (tokens, refresh tokens, client secrets, authorization codes) is
passed to an ``on_secret`` hook, which the runs point at their redaction registry.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.authorizer import Authorizer, Redirect
from mcpctl.mcp.auth.challenge import Challenge, parse_challenge
from mcpctl.mcp.auth.discovery import Discovery, discover
from mcpctl.mcp.auth.flow import OAuthConfig, OAuthProvider
from mcpctl.mcp.auth.http import open_oauth_http
from mcpctl.mcp.auth.provider import AuthProvider
from mcpctl.mcp.auth.registration import ClientCredentials, ClientMetadata, register, with_method
from mcpctl.mcp.auth.store import Login, LoginStore
from mcpctl.mcp.auth.tokens import MemoryTokenStore, Token, TokenStore

OnSecret = Callable[[str], None]


def _ignore(_: str) -> None:
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for a loopback redirect URI)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scoped_challenge(header: str | None, scopes: Sequence[str]) -> str | None:
    """``header`` (a Bearer challenge) asking for ``scopes`` too: how configured scopes reach the
    provider, whose scope selection starts from the challenge."""
    if not scopes:
        return header
    challenge = parse_challenge(header)
    wanted = " ".join(dict.fromkeys([*challenge.scope, *scopes]))
    params = {"error": challenge.error, "scope": wanted, "resource_metadata": challenge.resource_metadata}
    quoted = ", ".join(f'{key}="{_escape(value)}"' for key, value in params.items() if value)
    return f"Bearer {quoted}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class ScopedProvider:
    """An :class:`AuthProvider` that asks for ``scopes`` (besides those a challenge names)."""

    def __init__(self, inner: AuthProvider, scopes: Sequence[str]) -> None:
        self.inner = inner
        self.scopes = tuple(scopes)

    async def authorization(self) -> str | None:
        return await self.inner.authorization()

    async def challenge(self, *, status: int, www_authenticate: str | None, credential: str | None) -> bool:
        header = scoped_challenge(www_authenticate, self.scopes)
        return await self.inner.challenge(status=status, www_authenticate=header, credential=credential)


class RedactingTokenStore:
    """A :class:`TokenStore` that hands every token it keeps or serves to ``on_secret``."""

    def __init__(self, inner: TokenStore, on_secret: OnSecret) -> None:
        self.inner = inner
        self.on_secret = on_secret

    def _seen(self, token: Token | None) -> Token | None:
        if token is not None:
            self.on_secret(token.access_token)
            if token.refresh_token:
                self.on_secret(token.refresh_token)
        return token

    def get(self, resource: str) -> Token | None:
        return self._seen(self.inner.get(resource))

    def put(self, resource: str, token: Token) -> None:
        self._seen(token)
        self.inner.put(resource, token)

    def forget(self, resource: str) -> None:
        self.inner.forget(resource)


class LoginTokens:
    """The :class:`TokenStore` view of one stored login: renewed tokens are written back to it."""

    def __init__(self, store: LoginStore, login: Login) -> None:
        self.store = store
        self.login = login

    def get(self, resource: str) -> Token | None:
        token = self.login.token
        if token is not None and token.expired():
            # another process (a load worker) may have refreshed it meanwhile
            stored = self.store.get(self.login.server_url)
            if stored is not None and stored.token is not None and not stored.token.expired():
                self.login = replace(self.login, token=stored.token)
        return self.login.token

    def put(self, resource: str, token: Token) -> None:
        self.login = replace(self.login, token=token)
        self.store.put(self.login)

    def forget(self, resource: str) -> None:
        # the refresh failed; keep the client for the next login, drop only the dead token
        stored = self.store.get(self.login.server_url)
        if stored is not None and stored.token != self.login.token:
            self.login = stored  # someone logged in or refreshed meanwhile: use theirs
            return
        self.login = replace(self.login, token=None)
        self.store.put(self.login)


class _NoBrowser:
    """The authorizer of a run: a new authorization needs a person, so it says how to log in."""

    def __init__(self, login: Login, command: str) -> None:
        self.login = login
        self.command = command

    @property
    def redirect_uri(self) -> str:
        return self.login.redirect_uri

    async def authorize(self, url: str) -> Redirect:
        raise AuthError(
            f"the login to {self.login.server_url} has expired or was refused: run {self.command}"
        )


def login_command(name: str, *, servers_file: str | None = None) -> str:
    """The command that logs in to the server called ``name`` (in ``servers_file``) or at URL ``name``."""
    return f"mcpctl auth login {name}" + (f" --servers {servers_file}" if servers_file else "")


class StoredLoginProvider(OAuthProvider):
    """Authorizes with the login ``mcpctl auth login`` stored for ``server_url``.

    The stored endpoints and client are handed to :class:`OAuthProvider` as if it had just
    discovered and registered them, so that it refreshes an expired token as it would its own.
    """

    def __init__(
        self, server_url: str, *, store: LoginStore, command: str, on_secret: OnSecret = _ignore
    ) -> None:
        login = store.get(server_url)
        self.login = login
        self.command = command
        self._renewing = trio.Lock()
        if login is None:
            super().__init__(server_url, OAuthConfig(authorizer=_Refuse(server_url, self.command)))
            return
        for secret in login.secrets():
            on_secret(secret)
        config = OAuthConfig(authorizer=_NoBrowser(login, self.command), client=login.client)
        super().__init__(server_url, config, store=RedactingTokenStore(LoginTokens(store, login), on_secret))
        self._discovery = Discovery(resource=login.resource, resource_metadata=None, server=login.server)
        self._clients[login.issuer] = login.client
        self._scope = login.token.scope if login.token is not None else ()

    async def authorization(self) -> str | None:
        if self.login is None:
            raise AuthError(f"not logged in to {self.server_url}: run {self.command}")
        token = self.store.get(self.server_url)
        if token is not None and token.expired():
            # one refresh for all the requests that find the token expired (a load test's users):
            # the first renews it, the others then find the new token. Refresh tokens rotate, so a
            # second refresh with the old one would fail and lose the login.
            async with self._renewing:
                header = await super().authorization()
        else:
            header = await super().authorization()
        if header is None:
            raise AuthError(f"the login to {self.server_url} has expired: run {self.command}")
        return header

    async def challenge(self, *, status: int, www_authenticate: str | None, credential: str | None) -> bool:
        wanted = parse_challenge(www_authenticate)
        if status == 403 and wanted.insufficient_scope:
            scopes = " ".join(f"--scope {scope}" for scope in wanted.scope)
            raise AuthError(
                f"the login to {self.server_url} lacks the scopes this request needs"
                f" ({' '.join(wanted.scope) or 'not named'}): run {self.command} {scopes}".rstrip()
            )
        return await super().challenge(
            status=status, www_authenticate=www_authenticate, credential=credential
        )


class _Refuse:
    def __init__(self, server_url: str, command: str) -> None:
        self.server_url = server_url
        self.command = command

    redirect_uri = "http://127.0.0.1/callback"

    async def authorize(self, url: str) -> Redirect:
        raise AuthError(f"not logged in to {self.server_url}: run {self.command}")


class _Recording:
    """An authorizer that reports the authorization code it obtained as a secret."""

    def __init__(self, inner: Authorizer, on_secret: OnSecret) -> None:
        self.inner = inner
        self.on_secret = on_secret

    @property
    def redirect_uri(self) -> str:
        return self.inner.redirect_uri

    async def authorize(self, url: str) -> Redirect:
        redirect = await self.inner.authorize(url)
        self.on_secret(redirect.code)
        return redirect


AuthorizerFor = Callable[[str], Authorizer]
"""Makes the authorizer for a redirect URI (the one a reused client was registered with)."""


async def probe(server_url: str) -> tuple[str | None, Discovery]:
    """The server's challenge to a request without credentials, and what discovery finds from it."""
    async with open_oauth_http() as http:
        reply = await http.get(server_url)
        header = reply.headers.get("www-authenticate") if reply.status == 401 else None
        return header, await discover(http, server_url, parse_challenge(header) if header else Challenge())


async def log_in(
    server_url: str,
    *,
    store: LoginStore,
    authorizer_for: AuthorizerFor,
    scopes: Sequence[str] = (),
    client: ClientCredentials | None = None,
    on_secret: OnSecret = _ignore,
) -> Login:
    """Authorize with the server at ``server_url`` (authorization code + PKCE) and store the login.

    ``client``: pre-registered credentials; else the client of an earlier login to the same
    authorization server is reused, else one is registered (RFC 7591) and kept.
    """
    header, discovery = await probe(server_url)
    previous = store.get(server_url)
    common = _Attempt(
        server_url=server_url,
        store=store,
        challenge=scoped_challenge(header, scopes),
        discovery=discovery,
        authorizer_for=authorizer_for,
        on_secret=on_secret,
    )
    reusable = client is None and previous is not None and previous.issuer == discovery.server.issuer
    if reusable and previous is not None:
        try:
            return await _authorize(common, previous)
        except AuthError:
            # the authorization server may have forgotten a client it registered: register anew
            if not previous.registered:
                raise
    same = previous is not None and client is not None and previous.client.client_id == client.client_id
    redirect_uri = previous.redirect_uri if same and previous is not None else None
    fresh = await _new_client(discovery, client, redirect_uri or _loopback(client))
    return await _authorize(common, fresh)


def _loopback(client: ClientCredentials | None) -> str:
    from mcpctl.mcp.auth.authorizer import DEFAULT_PORT, loopback_redirect_uri

    # a configured client was registered by a person, with a redirect URI they could know in advance
    return loopback_redirect_uri(DEFAULT_PORT if client is not None else free_port())


async def _new_client(discovery: Discovery, client: ClientCredentials | None, redirect_uri: str) -> Login:
    server = discovery.server
    registered = client is None
    if client is None:
        async with open_oauth_http() as http:
            client = await register(http, server, ClientMetadata(), redirect_uri)
    return Login(
        server_url="",
        resource=discovery.resource,
        issuer=server.issuer,
        authorization_endpoint=server.authorization_endpoint,
        token_endpoint=server.token_endpoint,
        client=with_method(client, server),
        redirect_uri=redirect_uri,
        registered=registered,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Attempt:
    server_url: str
    store: LoginStore
    challenge: str | None
    discovery: Discovery
    authorizer_for: AuthorizerFor
    on_secret: OnSecret


async def _authorize(attempt: _Attempt, base: Login) -> Login:
    server_url, discovery, on_secret = attempt.server_url, attempt.discovery, attempt.on_secret
    if base.client.client_secret:
        on_secret(base.client.client_secret)
    authorizer = _Recording(attempt.authorizer_for(base.redirect_uri), on_secret)
    tokens = RedactingTokenStore(MemoryTokenStore(), on_secret)
    provider = OAuthProvider(server_url, OAuthConfig(authorizer=authorizer, client=base.client), store=tokens)
    await provider.challenge(status=401, www_authenticate=attempt.challenge, credential=None)
    token = tokens.get(server_url)
    if token is None:  # the provider stores what it obtains or raises: a bug if neither
        raise AuthError(f"{server_url}: the authorization produced no token")
    login = replace(
        base,
        server_url=server_url,
        resource=discovery.resource,
        issuer=discovery.server.issuer,
        authorization_endpoint=discovery.server.authorization_endpoint,
        token_endpoint=discovery.server.token_endpoint,
        token=token,
    )
    attempt.store.put(login)
    return login
