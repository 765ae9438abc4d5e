"""``auth: {oauth: ...}`` in a MockServer: every record field built, defaults applied, each meaning
problem reported once at its line, and the schema's words for shape errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.mock_model import TOKEN_LIFETIME, MockAuth, MockOAuth, MockServerSpec, OAuthClient
from mcpctl.spec.model import Source
from mcpctl.spec.schemas import schema_for
from mcpctl.spec.units import Duration

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: issues}
tools:
  - {name: list_issues}
  - {name: create_issue}
auth:
  oauth:
    scopes: [mcp:read, mcp:write]
    requiredScopes: [mcp:read]
    toolScopes: {create_issue: [mcp:write]}
    tokenLifetime: 2s
    clients:
      - {clientId: ci, clientSecret: "${env:CI_SECRET}", grants: [client_credentials]}
      - {clientId: app, redirectUris: ["http://127.0.0.1/callback"], grants: [authorization_code, refresh_token]}
      - {clientId: signer, jwks: {keys: []}, grants: [client_credentials]}
      - {clientId: poster, clientSecret: s, authMethod: client_secret_post, grants: [client_credentials]}
    registration: false
    clientIdMetadataDocuments: false
    approve: deny
    misbehave: [skip_pkce, accept_expired]
"""
MINIMAL = "apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: tiny}\nauth: {oauth: {}}\n"


def load(tmp_path: Path, text: str) -> MockServerSpec:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    (mock,) = load_specs([str(path)], environ={"CI_SECRET": "hush"}).mocks
    return mock


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={"CI_SECRET": "hush"})
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def broken(old: str, new: str) -> str:
    assert MOCK.count(old) == 1, old
    return MOCK.replace(old, new)


def test_every_field_is_built(tmp_path: Path) -> None:
    def at(line: int, column: int) -> Source:
        return Source(path=str(tmp_path / "mock.yaml"), line=line, column=column)

    assert load(tmp_path, MOCK).auth == MockAuth(
        oauth=MockOAuth(
            scopes=("mcp:read", "mcp:write"),
            required_scopes=("mcp:read",),
            tool_scopes={"create_issue": ("mcp:write",)},
            token_lifetime=Duration(seconds=2.0),
            clients=(
                OAuthClient(
                    client_id="ci",
                    client_secret="hush",
                    grants=("client_credentials",),
                    auth_method="client_secret_basic",
                    source=at(14, 9),
                ),
                OAuthClient(
                    client_id="app",
                    redirect_uris=("http://127.0.0.1/callback",),
                    grants=("authorization_code", "refresh_token"),
                    auth_method="none",
                    source=at(15, 9),
                ),
                OAuthClient(
                    client_id="signer",
                    grants=("client_credentials",),
                    auth_method="private_key_jwt",
                    jwks={"keys": []},
                    source=at(16, 9),
                ),
                OAuthClient(
                    client_id="poster",
                    client_secret="s",
                    grants=("client_credentials",),
                    auth_method="client_secret_post",
                    source=at(17, 9),
                ),
            ),
            registration=False,
            client_id_metadata_documents=False,
            approve="deny",
            misbehave=("accept_expired", "skip_pkce"),
            source=at(9, 5),
        )
    )


def test_defaults(tmp_path: Path) -> None:
    auth = load(tmp_path, MINIMAL).auth
    assert auth is not None
    assert auth.oauth == MockOAuth(source=auth.oauth.source)
    assert (auth.oauth.token_lifetime, auth.oauth.registration, auth.oauth.approve) == (
        TOKEN_LIFETIME,
        True,
        "auto",
    )
    assert auth.oauth.client_id_metadata_documents is True
    assert load(tmp_path, MINIMAL.replace("auth: {oauth: {}}\n", "")).auth is None


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "requiredScopes: [mcp:read]",
            "requiredScopes: [mcp:admin]",
            "10:22: MockServer/issues: auth.oauth.requiredScopes[0]: scope 'mcp:admin' is not among scopes "
            "(mcp:read, mcp:write)",
        ),
        (
            "toolScopes: {create_issue: [mcp:write]}",
            "toolScopes: {delete_all: [mcp:write]}",
            "11:18: MockServer/issues: auth.oauth.toolScopes.delete_all: unknown tool 'delete_all' "
            "(tools: list_issues, create_issue)",
        ),
        (
            "toolScopes: {create_issue: [mcp:write]}",
            "toolScopes: {create_issue: [mcp:root]}",
            "11:33: MockServer/issues: auth.oauth.toolScopes.create_issue[0]: scope 'mcp:root' is not among "
            "scopes (mcp:read, mcp:write)",
        ),
        (
            '{clientId: ci, clientSecret: "${env:CI_SECRET}", grants: [client_credentials]}',
            "{clientId: ci, grants: [client_credentials]}",
            "14:9: MockServer/issues: auth.oauth.clients[0]: client_credentials needs a confidential client: "
            "give a clientSecret, jwks or jwksUri",
        ),
        (
            "{clientId: poster, clientSecret: s, authMethod: client_secret_post,",
            "{clientId: poster, authMethod: client_secret_post,",
            "17:40: MockServer/issues: auth.oauth.clients[3].authMethod: authMethod client_secret_post needs a "
            "clientSecret",
        ),
        (
            "{clientId: signer, jwks: {keys: []}, grants",
            "{clientId: signer, authMethod: private_key_jwt, grants",
            "16:40: MockServer/issues: auth.oauth.clients[2].authMethod: authMethod private_key_jwt needs jwks "
            "or jwksUri (the client's public keys)",
        ),
        (
            '{clientId: app, redirectUris: ["http://127.0.0.1/callback"], grants',
            "{clientId: app, grants",
            "15:9: MockServer/issues: auth.oauth.clients[1]: a client with the authorization_code grant needs "
            "redirectUris",
        ),
        (
            "{clientId: signer,",
            "{clientId: ci,",
            "16:20: MockServer/issues: auth.oauth.clients[2].clientId: duplicate client clientId 'ci' "
            "(first at line 14)",
        ),
    ],
)
def test_meaning_errors_name_the_place(tmp_path: Path, old: str, new: str, error: str) -> None:
    assert errors_of(tmp_path, broken(old, new)) == [error]


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "misbehave: [skip_pkce, accept_expired]",
            "misbehave: [skip_checks]",
            "21:17: MockServer/issues: auth.oauth.misbehave[0]: expected one of: accept_wrong_audience, "
            "accept_expired, accept_any_issuer, accept_insufficient_scope, skip_pkce, no_resource_metadata, "
            "token_in_query (got 'skip_checks')",
        ),
        (
            "approve: deny",
            "approve: maybe",
            "20:14: MockServer/issues: auth.oauth.approve: expected one of: auto, deny (got 'maybe')",
        ),
        (
            "tokenLifetime: 2s",
            "tokenLifetime: 2",
            "12:20: MockServer/issues: auth.oauth.tokenLifetime: '2' is not a duration: add a unit "
            "(250ms, 2s, 5m, 1h)",
        ),
    ],
)
def test_shape_errors_in_plain_words(tmp_path: Path, old: str, new: str, error: str) -> None:
    assert errors_of(tmp_path, broken(old, new)) == [error]


def test_record_field_docstrings_are_the_schema_descriptions() -> None:
    defs = schema_for("MockServer")["$defs"]
    assert isinstance(defs, dict)
    assert defs["oauth"]["properties"]["requiredScopes"]["description"].startswith(
        "Scopes every MCP request needs (403 insufficient_scope without them)"
    )
    assert defs["oauthClient"]["properties"]["redirectUris"]["description"].startswith(
        "Where /authorize may send the code; a loopback URI (127.0.0.1, [::1], localhost) matches any port"
    )
