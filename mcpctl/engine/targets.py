"""A server from a spec (``ServerDef``) as a target the MCP client can open.

Every runner (tests, load, batch, faults, ad-hoc commands naming a Servers entry) opens servers
through :func:`target_for`, so they all authenticate the same way. OAuth providers renew tokens
inside the transport's auth hook (``RequestAuth.stamp`` / ``retry``), on their own HTTP client: a
refresh is never a request the load runner counts. Every credential a provider obtains is added to
the server's redaction registry (``HttpServer.secrets``), which reports, run state and logs use.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget
from mcpctl.spec.model import (
    BearerAuth,
    ClientCredentialsAuth,
    HeadersAuth,
    HttpServer,
    MockServerRef,
    OAuthAuth,
    ServerDef,
    StdioServer,
)

if TYPE_CHECKING:
    from mcpctl.mcp.auth.provider import AuthProvider


def fast_target_for(server: ServerDef) -> ServerTarget:
    """:func:`target_for` for many requests (load, monitoring): plain ``http://`` goes through the lean
    backend (trio sockets and httptools), which costs a fraction of httpx per request and keeps one
    connection per request in flight instead of a shared pool that slows down as concurrency grows;
    HTTPS stays on httpx."""
    url = getattr(server, "url", "")
    return target_for(server, backend="lean" if url.startswith("http://") else "httpx")


def target_for(server: ServerDef, *, backend: Literal["httpx", "lean"] = "httpx") -> ServerTarget:
    """The client target of ``server``: its command, or its URL with headers and credentials."""
    if isinstance(server, StdioServer):
        return StdioTarget(command=server.command, env=dict(server.env), cwd=server.cwd)
    if isinstance(server, MockServerRef):
        # the mock runs in its own process, as any stdio server would: the suite under test and
        # the mock never share a trio run, so a misbehaving scenario cannot stall the runner
        return StdioTarget(command=(sys.executable, "-m", "mcpctl", "mock", "serve", server.spec))
    auth = server.auth
    headers = dict(server.headers)
    if isinstance(auth, HeadersAuth):
        headers.update(auth.headers)
    return HttpTarget(
        url=server.url,
        headers=headers,
        bearer_token=auth.token if isinstance(auth, BearerAuth) else None,
        transport=server.transport,
        backend=backend,
        auth=oauth_provider(server),
    )


def oauth_provider(server: HttpServer) -> AuthProvider | None:
    """The OAuth provider ``server``'s ``auth`` calls for, or ``None`` (no auth, bearer, headers).

    Imported here: the OAuth stack brings httpx, which stdio suites never need (~0.1 s of start-up).
    """
    auth = server.auth
    if isinstance(auth, OAuthAuth) and auth.grant == "authorization_code":
        from mcpctl.mcp.auth.login import StoredLoginProvider, login_command
        from mcpctl.mcp.auth.store import open_login_store

        # the token mcpctl auth login stored; a run never opens a browser to get another
        return StoredLoginProvider(
            server.resource or server.url,
            store=open_login_store(),
            command=login_command(server.name, servers_file=server.source.path),
            on_secret=server.secrets.add,
        )
    if isinstance(auth, ClientCredentialsAuth | OAuthAuth):
        # the provider obtains a token on the server's first 401, after discovering its
        # authorization server; the machine-to-machine grant needs no browser
        from mcpctl.mcp.auth import ClientCredentials, MemoryTokenStore, OAuthConfig, OAuthProvider
        from mcpctl.mcp.auth.login import RedactingTokenStore, ScopedProvider

        scopes = auth.scope if isinstance(auth, ClientCredentialsAuth) else auth.scopes
        client = ClientCredentials(client_id=auth.client_id or "", client_secret=auth.client_secret)
        store = RedactingTokenStore(MemoryTokenStore(), server.secrets.add)
        provider = OAuthProvider(
            server.resource or server.url, OAuthConfig(grant="client_credentials", client=client), store=store
        )
        return ScopedProvider(provider, scopes) if scopes else provider
    return None
