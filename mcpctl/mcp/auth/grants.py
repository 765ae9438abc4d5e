"""Token endpoint requests: every grant mcpctl uses, with the client authentication each needs.

``authorization_code`` (with the PKCE verifier), ``refresh_token``, ``client_credentials``,
and the cross-app-access pair (SEP-990): an RFC 8693 token exchange at the enterprise IdP for
an ID-JAG, then the RFC 7523 ``jwt-bearer`` grant at the authorization server. Every request
carries the RFC 8707 ``resource``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.assertion import ASSERTION_TYPE, client_assertion
from mcpctl.mcp.auth.discovery import ServerMetadata
from mcpctl.mcp.auth.http import OAuthHttp, Reply
from mcpctl.mcp.auth.registration import ClientCredentials, choose_auth_method
from mcpctl.mcp.auth.tokens import Token, token_from_response

TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ID_JAG: Final = "urn:ietf:params:oauth:token-type:id-jag"
ID_TOKEN: Final = "urn:ietf:params:oauth:token-type:id_token"


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityAssertion:
    """Cross-app access (SEP-990): the user's ID token and the enterprise IdP that exchanges it."""

    token_endpoint: str
    """The IdP's token endpoint."""
    id_token: str
    client_id: str | None = None
    """The client's id at the IdP."""
    client_secret: str | None = None


def basic_credentials(client_id: str, secret: str) -> str:
    """``Basic`` header value: id and secret form-encoded first (RFC 6749 §2.3.1)."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return f"Basic {base64.b64encode(raw).decode('ascii')}"


def authenticate(
    client: ClientCredentials, server: ServerMetadata, form: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and form that authenticate ``client`` at ``server``'s token endpoint."""
    method = choose_auth_method(client, server)
    headers: dict[str, str] = {}
    form = dict(form)
    if method == "client_secret_basic":
        headers["authorization"] = basic_credentials(client.client_id, _secret(client))
    elif method == "client_secret_post":
        form |= {"client_id": client.client_id, "client_secret": _secret(client)}
    elif method == "private_key_jwt":
        if not client.private_key_pem:
            raise AuthError(f"client {client.client_id!r}: private_key_jwt needs a private key")
        form |= {
            "client_id": client.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(
                client_id=client.client_id,
                audience=server.issuer,
                private_key_pem=client.private_key_pem,
                algorithm=client.signing_algorithm,
            ),
        }
    else:
        form["client_id"] = client.client_id
    return headers, form


def _secret(client: ClientCredentials) -> str:
    if not client.client_secret:
        raise AuthError(
            f"client {client.client_id!r}: the token endpoint wants a client secret, none is configured"
        )
    return client.client_secret


def _scoped(form: dict[str, str], scope: Sequence[str]) -> dict[str, str]:
    return form | {"scope": " ".join(scope)} if scope else form


async def token_request(
    http: OAuthHttp, server: ServerMetadata, client: ClientCredentials, form: dict[str, str]
) -> Token:
    """POST ``form`` (authenticated as ``client``) to the token endpoint; the issued token."""
    headers, body = authenticate(client, server, form)
    reply = await http.post_form(server.token_endpoint, body, headers=headers)
    return _token(reply, where=f"POST {server.token_endpoint} ({form['grant_type']})")


def _token(reply: Reply, *, where: str) -> Token:
    body = reply.json_object()
    if not 200 <= reply.status < 300 or body is None:
        raise AuthError(f"{where}: {oauth_error(reply)}")
    return token_from_response(body, where=where)


def oauth_error(reply: Reply) -> str:
    """An RFC 6749 §5.2 error answer as one line."""
    body = reply.json_object() or {}
    error, description = body.get("error"), body.get("error_description")
    if isinstance(error, str):
        return f"HTTP {reply.status} {error}" + (f": {description}" if isinstance(description, str) else "")
    text = reply.body.decode("utf-8", "replace").strip()
    return f"HTTP {reply.status}" + (f": {text[:200]}" if text else "")


async def exchange_code(
    http: OAuthHttp,
    server: ServerMetadata,
    client: ClientCredentials,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    resource: str,
) -> Token:
    """The ``authorization_code`` grant, with the PKCE verifier."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "resource": resource,
    }
    return await token_request(http, server, client, form)


async def refresh(
    http: OAuthHttp, server: ServerMetadata, client: ClientCredentials, *, token: Token, resource: str
) -> Token:
    """The ``refresh_token`` grant; keeps the old refresh token if the server issues no new one."""
    if token.refresh_token is None:
        raise AuthError("no refresh token to refresh with")
    form = {"grant_type": "refresh_token", "refresh_token": token.refresh_token, "resource": resource}
    fresh = await token_request(http, server, client, form)
    if fresh.refresh_token is None:
        return Token(
            access_token=fresh.access_token,
            expires_at=fresh.expires_at,
            lifetime=fresh.lifetime,
            refresh_token=token.refresh_token,
            scope=fresh.scope or token.scope,
        )
    return fresh


async def client_credentials(
    http: OAuthHttp, server: ServerMetadata, client: ClientCredentials, *, resource: str, scope: Sequence[str]
) -> Token:
    """The ``client_credentials`` grant (machine to machine, no user)."""
    form = _scoped({"grant_type": "client_credentials", "resource": resource}, scope)
    return await token_request(http, server, client, form)


async def exchange_identity(
    http: OAuthHttp, identity: IdentityAssertion, *, audience: str, resource: str
) -> str:
    """RFC 8693 at the IdP: the user's ID token for an ID-JAG aimed at ``audience`` and ``resource``."""
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "requested_token_type": ID_JAG,
        "audience": audience,
        "resource": resource,
        "subject_token": identity.id_token,
        "subject_token_type": ID_TOKEN,
    }
    headers: dict[str, str] = {}
    if identity.client_id and identity.client_secret:
        headers["authorization"] = basic_credentials(identity.client_id, identity.client_secret)
    elif identity.client_id:
        form["client_id"] = identity.client_id
    reply = await http.post_form(identity.token_endpoint, form, headers=headers)
    where = f"POST {identity.token_endpoint} (token exchange)"
    body = reply.json_object()
    if not 200 <= reply.status < 300 or body is None:
        raise AuthError(f"{where}: {oauth_error(reply)}")
    issued, kind = body.get("access_token"), body.get("issued_token_type")
    if not isinstance(issued, str) or not issued or kind != ID_JAG:
        raise AuthError(f"{where}: the IdP issued no ID-JAG (issued_token_type {kind!r})")
    return issued


async def jwt_bearer(
    http: OAuthHttp,
    server: ServerMetadata,
    client: ClientCredentials,
    *,
    assertion: str,
    resource: str,
    scope: Sequence[str],
) -> Token:
    """RFC 7523 at the authorization server: an access token for the ID-JAG ``assertion``."""
    form = _scoped({"grant_type": JWT_BEARER, "assertion": assertion, "resource": resource}, scope)
    return await token_request(http, server, client, form)
