"""Mocks that require auth: an OAuth 2.1 authorization server embedded in the served mock.

With ``auth: {oauth: ...}`` in a MockServer spec, ``serve_http`` puts a
:class:`~mcpctl.mock.oauth.guard.ResourceGuard` in front of the MCP endpoint and serves an
:class:`~mcpctl.mock.oauth.server.AuthorizationServer` on the same host and port (MCP
authorization 2025-11-25), so that clients' auth can be tested offline::

    auth = AuthorizationServer(spec.auth.oauth)
    url = await nursery.start(partial(serve_http, ServedMock(spec), auth=auth))

Endpoints (the mock's base URL is the issuer):

- ``GET /.well-known/oauth-protected-resource[/mcp]``: RFC 9728 metadata (``resource`` = the MCP URL);
- ``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata;
- ``GET /authorize``: checks ``client_id``, ``redirect_uri`` (loopback: any port), ``response_type``,
  PKCE S256, ``resource`` (RFC 8707, required), ``scope``; redirects with ``code``, ``state``, ``iss``;
- ``POST /token``: ``authorization_code``, ``refresh_token`` (rotating), ``client_credentials``;
  client authentication ``none``, ``client_secret_basic``, ``client_secret_post``, ``private_key_jwt``;
- ``POST /register``: RFC 7591 dynamic client registration (``registration: true``);
- ``GET /jwks``: the ES256 key that signs access tokens (a new key per served mock);
- ``GET /mcpctl/oauth/stats``: counters for tests (tokens issued, refreshes, registrations,
  authorizations, metadata documents fetched, requests refused), loopback clients only.

Access tokens, codes and secrets are never logged.
"""

from __future__ import annotations

from mcpctl.mock.oauth.server import AuthorizationServer
from mcpctl.mock.oauth.stats import OAuthStats
from mcpctl.mock.oauth.tokens import SigningKey, TokenMinter

__all__ = ["AuthorizationServer", "OAuthStats", "SigningKey", "TokenMinter"]
