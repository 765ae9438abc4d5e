"""Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2).

A client authenticates the way it registered: ``client_secret_basic`` (HTTP Basic, id and
secret form-encoded), ``client_secret_post`` (both in the form), ``private_key_jwt`` (a
``client_assertion`` signed with a key from its ``jwks`` or ``jwks_uri``, ``aud`` the issuer or
the token endpoint, each ``jti`` used once) or ``none`` (a public client names itself with
``client_id``). Anything else is ``invalid_client`` (401).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote

import jwt

from mcpctl.errors import McpctlError
from mcpctl.mcp.auth.http import open_oauth_http
from mcpctl.mock.oauth.clients import Client, ClientRefused, Clients

ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ASSERTION_ALGORITHMS: Final = ["ES256", "ES384", "RS256", "PS256", "EdDSA"]


def _refused(description: str) -> ClientRefused:
    return ClientRefused("invalid_client", description)


def basic_credentials(header: str) -> tuple[str, str] | None:
    """The id and secret of an ``Authorization: Basic`` value, or ``None`` if it is not one."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _refused("malformed HTTP Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _refused("malformed HTTP Basic credentials")
    return unquote(client_id), unquote(secret)


class Authenticator:
    """Checks who is calling the token endpoint."""

    def __init__(self, clients: Clients, *, audiences: tuple[str, ...]) -> None:
        self._clients = clients
        self._audiences = audiences
        self._seen: set[str] = set()

    async def authenticate(self, form: Mapping[str, str], authorization: str) -> Client:
        """The client the request authenticates as; raises :class:`ClientRefused` otherwise."""
        basic = basic_credentials(authorization) if authorization else None
        if basic is not None:
            return await self._secret(basic[0], basic[1], "client_secret_basic")
        if "client_assertion" in form or "client_assertion_type" in form:
            return await self._assertion(form)
        client_id = form.get("client_id", "")
        if not client_id:
            raise _refused("no client authentication (and no client_id)")
        if "client_secret" in form:
            return await self._secret(client_id, form["client_secret"], "client_secret_post")
        client = await self._clients.find(client_id)
        if client.auth_method != "none":
            raise _refused(f"client {client_id!r} must authenticate with {client.auth_method}")
        return client

    async def _secret(self, client_id: str, secret: str, method: str) -> Client:
        client = await self._clients.find(client_id)
        if client.auth_method != method:
            raise _refused(f"client {client_id!r} must authenticate with {client.auth_method}, not {method}")
        if client.secret is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            raise _refused(f"wrong client_secret for client {client_id!r}")
        return client

    async def _assertion(self, form: Mapping[str, str]) -> Client:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _refused(f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion", "")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _refused(f"malformed client_assertion ({exc})") from None
        client_id = str(unverified.get("iss", ""))
        if form.get("client_id", client_id) != client_id or unverified.get("sub") != client_id:
            raise _refused("the client_assertion's iss and sub must both be the client_id")
        client = await self._clients.find(client_id)
        if client.auth_method != "private_key_jwt":
            raise _refused(f"client {client_id!r} must authenticate with {client.auth_method}")
        key = await self._key(client, assertion)
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=_ASSERTION_ALGORITHMS,
                audience=list(self._audiences),
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise _refused(f"the client_assertion does not verify: {exc}") from None
        jti = str(claims["jti"])
        if jti in self._seen:
            raise _refused("the client_assertion was already used (jti replayed)")
        self._seen.add(jti)
        return client

    async def _key(self, client: Client, assertion: str) -> jwt.PyJWK:
        """The client's public key that signed ``assertion`` (by ``kid``, else its only key)."""
        jwks = client.jwks
        if jwks is None and client.jwks_uri is not None:
            try:
                async with open_oauth_http(timeout=5.0) as http:
                    jwks = await http.get_json(client.jwks_uri)
            except McpctlError as exc:
                raise _refused(f"cannot fetch the client's jwks_uri: {exc}") from None
        try:
            keys = jwt.PyJWKSet.from_dict(dict(jwks or {})).keys
        except jwt.PyJWTError as exc:
            raise _refused(f"the client's keys are not a usable JWK Set ({exc})") from None
        kid = jwt.get_unverified_header(assertion).get("kid")
        matching = [key for key in keys if kid is None or key.key_id == kid]
        if len(matching) != 1:
            raise _refused(f"no single key of the client matches the assertion's kid {kid!r}")
        return matching[0]
