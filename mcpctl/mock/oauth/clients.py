"""The clients the mock's authorization server knows: pre-registered, dynamically registered, and
client ID metadata documents.

- pre-registered: the spec's ``clients``;
- RFC 7591 dynamic registration at ``/register`` (``registration: true``): a fresh ``client_id``,
  and a ``client_secret`` unless the client registers as public (``token_endpoint_auth_method:
  none``);
- client ID metadata documents (``clientIdMetadataDocuments: true``): a ``client_id`` that is an
  ``https`` URL (or ``http`` on a loopback host, for tests) names a JSON document the server
  fetches on first use; its ``client_id`` must be that URL, and it may not hold a secret.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import orjson

from mcpctl.errors import McpctlError
from mcpctl.mcp.auth.http import JsonObject, open_oauth_http
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock.oauth.replies import NO_STORE, Reply, json_reply, oauth_error
from mcpctl.mock.oauth.stats import OAuthStats
from mcpctl.spec.mock_model import CLIENT_AUTH_METHODS, OAUTH_GRANTS, ClientAuthMethod, MockOAuth, OAuthClient

LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "::1", "localhost"})
_SECRET_METHODS: Final = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A client as the authorization server sees it."""

    client_id: str
    secret: str | None = None
    redirect_uris: tuple[str, ...] = ()
    grants: frozenset[str]
    auth_method: ClientAuthMethod
    jwks: Mapping[str, JSONValue] | None = None
    jwks_uri: str | None = None


class ClientRefused(Exception):
    """An unknown or unfit client: the OAuth ``error`` and its description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def redirect_allowed(registered: tuple[str, ...], uri: str) -> bool:
    """Whether ``uri`` is one of ``registered``; a loopback one matches on any port (RFC 8252 §7.3)."""
    if uri in registered:
        return True
    wanted = urlsplit(uri)
    for known in map(urlsplit, registered):
        if (
            known.scheme == wanted.scheme == "http"
            and known.hostname in LOOPBACK_HOSTS
            and known.hostname == wanted.hostname
            and (known.path or "/") == (wanted.path or "/")
            and known.query == wanted.query
        ):
            return True
    return False


def _configured(client: OAuthClient) -> Client:
    return Client(
        client_id=client.client_id,
        secret=client.client_secret,
        redirect_uris=client.redirect_uris,
        grants=frozenset(client.grants),
        auth_method=client.auth_method,
        jwks=client.jwks,
        jwks_uri=client.jwks_uri,
    )


def is_document_url(client_id: str) -> bool:
    """Whether ``client_id`` may name a client metadata document: https with a path, or loopback http."""
    parts = urlsplit(client_id)
    if parts.scheme == "https":
        return bool(parts.hostname) and parts.path not in ("", "/")
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


class Clients:
    """The client registry of one authorization server."""

    def __init__(self, oauth: MockOAuth, stats: OAuthStats) -> None:
        self._oauth = oauth
        self._stats = stats
        self._known = {client.client_id: _configured(client) for client in oauth.clients}

    async def find(self, client_id: str) -> Client:
        """The client named ``client_id`` (fetching its metadata document on first use)."""
        known = self._known.get(client_id)
        if known is not None:
            return known
        if self._oauth.client_id_metadata_documents and is_document_url(client_id):
            client = await self._fetch(client_id)
            self._known[client_id] = client
            return client
        raise ClientRefused("invalid_client", f"unknown client_id {client_id!r}")

    async def _fetch(self, url: str) -> Client:
        self._stats.metadata_documents += 1
        try:
            async with open_oauth_http(timeout=5.0) as http:
                document = await http.get_json(url)
        except McpctlError as exc:
            raise ClientRefused(
                "invalid_client", f"cannot fetch the client metadata document: {exc}"
            ) from None
        if document is None:
            raise ClientRefused("invalid_client", f"no client metadata document (a JSON object) at {url}")
        if document.get("client_id") != url:
            raise ClientRefused(
                "invalid_client", f"the client metadata document's client_id is not its URL ({url})"
            )
        if "client_secret" in document:
            raise ClientRefused("invalid_client", "a client metadata document may not hold a client_secret")
        return _from_metadata(
            url, document, secret=None, error="invalid_client", redirect_error="invalid_client"
        )

    def register(self, body: bytes) -> Reply:
        """RFC 7591 dynamic client registration: 201 with the client's id (and secret), or 400."""
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            return oauth_error("invalid_client_metadata", "the registration request must be a JSON object")
        client_id = f"mcpctl-mock-{secrets.token_urlsafe(12)}"
        try:
            client = _from_metadata(
                client_id,
                value,
                secret=secrets.token_urlsafe(24),
                error="invalid_client_metadata",
                redirect_error="invalid_redirect_uri",
            )
        except ClientRefused as exc:
            return oauth_error(exc.error, exc.description)
        self._known[client_id] = client
        self._stats.registrations += 1
        answer: dict[str, JSONValue] = {
            **value,
            "client_id": client_id,
            "client_id_issued_at": int(time.time()),
            "redirect_uris": list(client.redirect_uris),
            "grant_types": sorted(client.grants),
            "token_endpoint_auth_method": client.auth_method,
        }
        if client.secret is not None:
            answer |= {"client_secret": client.secret, "client_secret_expires_at": 0}
        return json_reply(201, answer, headers=NO_STORE)


def _from_metadata(
    client_id: str, body: JsonObject, *, secret: str | None, error: str, redirect_error: str
) -> Client:
    """A client from RFC 7591 metadata (registration or a metadata document), checked; ``secret`` is
    what a confidential client gets (``None``: none may be confidential by secret), ``error`` and
    ``redirect_error`` the OAuth errors of bad metadata and of bad redirect URIs."""
    uris = body.get("redirect_uris", [])
    grants = body.get("grant_types", ["authorization_code"])
    method = body.get("token_endpoint_auth_method", "client_secret_basic" if secret else "none")
    if not isinstance(uris, list) or not all(isinstance(u, str) and "#" not in u and ":" in u for u in uris):
        raise ClientRefused(redirect_error, "redirect_uris must be absolute URIs")
    if not isinstance(grants, list) or not grants or any(g not in OAUTH_GRANTS for g in grants):
        raise ClientRefused(error, f"grant_types must be among {', '.join(OAUTH_GRANTS)}")
    if body.get("response_types", ["code"]) != ["code"]:
        raise ClientRefused(error, "response_types must be [code]")
    auth_method = next((m for m in CLIENT_AUTH_METHODS if m == method), None)
    if auth_method is None or (secret is None and auth_method in _SECRET_METHODS):
        raise ClientRefused(error, f"unsupported token_endpoint_auth_method {method!r}")
    jwks, jwks_uri = body.get("jwks"), body.get("jwks_uri")
    if auth_method == "private_key_jwt" and not isinstance(jwks, dict) and not isinstance(jwks_uri, str):
        raise ClientRefused(error, "private_key_jwt needs jwks or jwks_uri")
    if "authorization_code" in grants and not uris:
        raise ClientRefused(redirect_error, "authorization_code needs redirect_uris")
    if "client_credentials" in grants and auth_method == "none":
        raise ClientRefused(error, "client_credentials needs a confidential client (not auth method none)")
    return Client(
        client_id=client_id,
        secret=secret if auth_method in _SECRET_METHODS else None,
        redirect_uris=tuple(str(u) for u in uris),
        grants=frozenset(str(g) for g in grants),
        auth_method=auth_method,
        jwks=jwks if isinstance(jwks, dict) else None,
        jwks_uri=jwks_uri if isinstance(jwks_uri, str) else None,
    )
