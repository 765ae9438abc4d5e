"""``POST /token``: the ``authorization_code``, ``refresh_token`` and ``client_credentials`` grants.

Codes are one-time, live :data:`CODE_LIFETIME` seconds, and need the PKCE verifier, the same
``redirect_uri`` and (if sent) the same ``resource``. Refresh tokens rotate: each use returns a
new one and the old one stops working. Errors are RFC 6749 §5.2 JSON (``invalid_client`` is a 401).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock.http_wire import HttpRequest
from mcpctl.mock.oauth.client_auth import Authenticator
from mcpctl.mock.oauth.clients import Client, ClientRefused
from mcpctl.mock.oauth.replies import NO_STORE, Reply, json_reply, oauth_error
from mcpctl.mock.oauth.stats import OAuthStats
from mcpctl.mock.oauth.tokens import TokenMinter
from mcpctl.spec.mock_model import MockOAuth

CODE_LIFETIME: Final = 60.0
USER: Final = "mcpctl-mock-user"
"""The ``sub`` of tokens obtained with a code: the mock approves as one fixed user."""
_VERIFIER: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """What a code or a refresh token stands for."""

    client_id: str
    subject: str
    scope: tuple[str, ...]
    resource: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingCode:
    """An authorization code waiting for its exchange."""

    grant: Grant
    redirect_uri: str
    challenge: str | None
    expires_at: float


class Refused(Exception):
    """A token or authorization request refused with an OAuth ``error``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2), computed here independently of the client."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normal_resource(url: str) -> str:
    """``url`` compared as a resource: scheme and host lower-cased, no fragment, no trailing slash."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def form_params(data: bytes) -> dict[str, str]:
    """The parameters of a query or form; a repeated one is ``invalid_request`` (RFC 6749 §3.1)."""
    parsed = parse_qs(data.decode("latin-1"), keep_blank_values=True)
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise Refused("invalid_request", f"parameters given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in parsed.items()}


def check_resource(value: str | None, resource: str, *, same_origin: bool = False) -> str:
    """``resource`` if ``value`` names it (RFC 8707 + MCP: required), else ``invalid_target``.

    ``same_origin``: also any other resource of the same origin, as an authorization server of several
    resource servers issues tokens for each (the token's audience is then that resource, which the MCP
    endpoint must refuse: what ``mcpctl fuzz --auth``'s wrong_audience check sends)."""
    if not value:
        raise Refused("invalid_target", f"the resource parameter is required (RFC 8707): {resource}")
    if normal_resource(value) == normal_resource(resource):
        return resource
    if same_origin and _origin(value) == _origin(resource):
        return value
    raise Refused("invalid_target", f"unknown resource {value} (this server protects {resource})")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def check_scope(value: str | None, offered: tuple[str, ...], *, default: tuple[str, ...]) -> tuple[str, ...]:
    """The requested scopes if all are ``offered`` (``default`` when none asked), else ``invalid_scope``."""
    wanted = tuple(dict.fromkeys((value or "").split()))
    unknown = [scope for scope in wanted if scope not in offered]
    if unknown:
        raise Refused("invalid_scope", f"scopes not offered: {' '.join(unknown)}")
    return wanted or default


class TokenEndpoint:
    """Issues tokens for codes, refresh tokens and client credentials."""

    def __init__(
        self,
        oauth: MockOAuth,
        *,
        minter: TokenMinter,
        authenticator: Authenticator,
        resource: str,
        stats: OAuthStats,
    ) -> None:
        self._oauth = oauth
        self._minter = minter
        self._authenticator = authenticator
        self._resource = resource
        self._stats = stats
        self._codes: dict[str, PendingCode] = {}
        self._refresh: dict[str, Grant] = {}

    def new_code(self, pending: PendingCode) -> str:
        """Keep ``pending`` under a fresh one-time code."""
        code = secrets.token_urlsafe(24)
        self._codes[code] = pending
        return code

    async def handle(self, req: HttpRequest) -> Reply:
        """Answer one token request."""
        media = req.headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
        if media != b"application/x-www-form-urlencoded":
            return oauth_error(
                "invalid_request", "the token request must be application/x-www-form-urlencoded"
            )
        authorization = req.headers.get(b"authorization", b"").decode("latin-1")
        try:
            form = form_params(req.body)
            client = await self._authenticator.authenticate(form, authorization)
            return self._grant(form, client)
        except ClientRefused as exc:
            basic = authorization.lower().startswith("basic ")
            headers = (("www-authenticate", 'Basic realm="mcpctl-mock"'),) if basic else ()
            return oauth_error(exc.error, exc.description, status=401, headers=headers)
        except Refused as exc:
            return oauth_error(exc.error, exc.description)

    def _grant(self, form: Mapping[str, str], client: Client) -> Reply:
        grant_type = form.get("grant_type", "")
        handlers = {
            "authorization_code": self._code,
            "refresh_token": self._refreshed,
            "client_credentials": self._client_credentials,
        }
        handler = handlers.get(grant_type)
        if handler is None:
            raise Refused("unsupported_grant_type", f"unsupported grant_type {grant_type!r}")
        if grant_type not in client.grants:
            raise Refused("unauthorized_client", f"client {client.client_id!r} may not use {grant_type}")
        return handler(form, client)

    def _code(self, form: Mapping[str, str], client: Client) -> Reply:
        pending = self._codes.pop(form.get("code", ""), None)
        if pending is None or pending.expires_at < time.monotonic():
            raise Refused("invalid_grant", "unknown, expired or already used authorization code")
        if pending.grant.client_id != client.client_id:
            raise Refused("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != pending.redirect_uri:
            raise Refused("invalid_grant", "redirect_uri is not the one of the authorization request")
        if "skip_pkce" not in self._oauth.misbehave:
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.fullmatch(verifier):
                raise Refused(
                    "invalid_grant", "code_verifier must be 43 to 128 characters [A-Za-z0-9-._~] (PKCE)"
                )
            if pending.challenge is None or s256(verifier) != pending.challenge:
                raise Refused("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)")
        if "resource" in form:
            check_resource(form["resource"], pending.grant.resource)
        return self._issue(pending.grant, refresh="refresh_token" in client.grants)

    def _refreshed(self, form: Mapping[str, str], client: Client) -> Reply:
        grant = self._refresh.pop(form.get("refresh_token", ""), None)
        if grant is None:
            raise Refused("invalid_grant", "unknown or already used refresh token (refresh tokens rotate)")
        if grant.client_id != client.client_id:
            raise Refused("invalid_grant", "the refresh token was issued to another client")
        if "resource" in form:
            check_resource(form["resource"], grant.resource)
        scope = check_scope(form.get("scope"), grant.scope, default=grant.scope)
        self._stats.refreshes += 1
        return self._issue(replace(grant, scope=scope), refresh=True)

    def _client_credentials(self, form: Mapping[str, str], client: Client) -> Reply:
        if client.auth_method == "none":
            raise Refused("unauthorized_client", "client_credentials needs a confidential client")
        grant = Grant(
            client_id=client.client_id,
            subject=client.client_id,
            scope=check_scope(form.get("scope"), self._oauth.scopes, default=self._oauth.scopes),
            resource=check_resource(form.get("resource"), self._resource, same_origin=True),
        )
        return self._issue(grant, refresh=False)

    def _issue(self, grant: Grant, *, refresh: bool) -> Reply:
        token = self._minter.issue(
            subject=grant.subject, client_id=grant.client_id, scope=grant.scope, resource=grant.resource
        )
        self._stats.tokens_issued += 1
        body: dict[str, JSONValue] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": max(1, round(self._minter.lifetime)),
            "scope": " ".join(grant.scope),
        }
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            self._refresh[refresh_token] = grant
            body["refresh_token"] = refresh_token
        return json_reply(200, body, headers=NO_STORE)
