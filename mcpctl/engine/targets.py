"""A server from a spec (``ServerDef``) as a target the MCP client can open."""

from __future__ import annotations

import sys
from typing import Literal

from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget
from mcpctl.spec.model import BearerAuth, ClientCredentialsAuth, MockServerRef, ServerDef, StdioServer


def target_for(server: ServerDef, *, backend: Literal["httpx", "lean"] = "httpx") -> ServerTarget:
    """The client target of ``server``: its command, or its URL with headers and credentials."""
    if isinstance(server, StdioServer):
        return StdioTarget(command=server.command, env=dict(server.env), cwd=server.cwd)
    if isinstance(server, MockServerRef):
        # the mock runs in its own process, as any stdio server would: the suite under test and
        # the mock never share a trio run, so a misbehaving scenario cannot stall the runner
        return StdioTarget(command=(sys.executable, "-m", "mcpctl", "mock", "serve", server.spec))
    auth = server.auth
    provider = None
    if isinstance(auth, ClientCredentialsAuth):
        # the provider obtains a token on the server's first 401, after discovering its
        # authorization server; the machine-to-machine grant needs no browser. Imported here:
        # the OAuth stack brings httpx, which stdio suites never need (~0.1 s of start-up)
        from mcpctl.mcp.auth import ClientCredentials, OAuthConfig, OAuthProvider

        client = ClientCredentials(client_id=auth.client_id, client_secret=auth.client_secret)
        provider = OAuthProvider(server.url, OAuthConfig(grant="client_credentials", client=client))
    return HttpTarget(
        url=server.url,
        headers=dict(server.headers),
        bearer_token=auth.token if isinstance(auth, BearerAuth) else None,
        transport=server.transport,
        backend=backend,
        auth=provider,
    )
