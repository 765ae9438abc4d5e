"""The resource server's check in front of the mock's MCP endpoint (MCP authorization 2025-11-25).

Every request to the endpoint needs ``Authorization: Bearer <token>``: an access token this
server issued (signature, ``iss``), for this endpoint (``aud``), unexpired, with the
``requiredScopes`` and, for a ``tools/call``, the tool's ``toolScopes``. Otherwise:

- no token: 401 ``WWW-Authenticate: Bearer resource_metadata="<PRM URL>", scope="<required>"``;
- a token in the query string: 401 ``error="invalid_request"`` (RFC 6750 §2.3, forbidden by MCP);
- a bad token: 401 ``error="invalid_token"`` with an ``error_description``;
- too few scopes: 403 ``error="insufficient_scope", scope="<what the request needs>"`` (step-up).

Each ``misbehave`` mode turns one of these checks off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson

from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock.http_wire import HttpRequest
from mcpctl.mock.oauth.replies import Reply, json_reply
from mcpctl.mock.oauth.tokens import InvalidToken, SigningKey, verify
from mcpctl.spec.mock_model import MockOAuth


def challenge(
    *, error: str = "", description: str = "", scope: Sequence[str] = (), resource_metadata: str = ""
) -> str:
    """A ``WWW-Authenticate`` Bearer challenge, its parameters in the order of the spec's examples."""
    params = [f'error="{error}"'] if error else []
    if scope and error:
        params.append(f'scope="{" ".join(scope)}"')
    if resource_metadata:
        params.append(f'resource_metadata="{resource_metadata}"')
    if scope and not error:
        params.append(f'scope="{" ".join(scope)}"')
    if description and error:  # a request without credentials gets no error details (RFC 6750 §3.1)
        params.append(f'error_description="{description}"')
    return "Bearer " + ", ".join(params)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceGuard:
    """Decides whether a request may reach the MCP endpoint at ``resource``."""

    oauth: MockOAuth
    key: SigningKey
    issuer: str
    resource: str
    resource_metadata: str
    """The protected-resource metadata URL named in challenges ("" when ``no_resource_metadata``)."""

    def check(self, req: HttpRequest, query: bytes) -> Reply | None:
        """``None`` if ``req`` may pass, else the 401 or 403 to answer."""
        relax = self.oauth.misbehave
        in_query = parse_qs(query.decode("latin-1")).get("access_token")
        header = req.headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if in_query and "token_in_query" not in relax:
            return self._refuse(
                401,
                "invalid_request",
                "access tokens in the query string are refused: send Authorization: Bearer",
            )
        token = token or (in_query[0] if in_query else "")
        if not token:
            return self._refuse(401, "", "this MCP endpoint needs an access token (Authorization: Bearer)")
        try:
            claims = verify(token, key=self.key, issuer=self.issuer, audience=self.resource, relax=relax)
        except InvalidToken as exc:
            return self._refuse(401, "invalid_token", str(exc))
        needed = self.needed_scopes(req)
        missing = [scope for scope in needed if scope not in claims.scope]
        if missing and "accept_insufficient_scope" not in relax:
            return self._refuse(
                403, "insufficient_scope", f"this request needs the scopes {' '.join(missing)}", scope=needed
            )
        return None

    def needed_scopes(self, req: HttpRequest) -> tuple[str, ...]:
        """``requiredScopes``, plus the ``toolScopes`` of every tool the request calls."""
        needed = list(self.oauth.required_scopes)
        if self.oauth.tool_scopes and req.method == b"POST" and b"tools/call" in req.body:
            for name in _called_tools(req.body):
                needed.extend(self.oauth.tool_scopes.get(name, ()))
        return tuple(dict.fromkeys(needed))

    def _refuse(self, status: int, error: str, description: str, *, scope: Sequence[str] = ()) -> Reply:
        www = challenge(
            error=error,
            description=description,
            scope=scope or self.oauth.required_scopes,
            resource_metadata=self.resource_metadata,
        )
        body: dict[str, JSONValue] = {"error": error} if error else {}
        body["error_description"] = description
        return json_reply(status, body, headers=(("www-authenticate", www),))


def _called_tools(body: bytes) -> list[str]:
    """The tool names of the ``tools/call`` requests in a POST body (one message or a batch)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []  # the endpoint answers the parse error
    messages = value if isinstance(value, list) else [value]
    names = []
    for message in messages:
        if not isinstance(message, dict) or message.get("method") != "tools/call":
            continue
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        if isinstance(name, str):
            names.append(name)
    return names
