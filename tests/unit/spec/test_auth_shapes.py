"""The ``auth:`` shapes of HTTP servers: built records, credentials registered as secrets, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import BearerAuth, ClientCredentialsAuth, HeadersAuth, HttpServer, OAuthAuth
from mcpctl.spec.schemas import schema_for

SPEC = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: auth}
servers:
  typed-bearer:
    url: https://a.example/mcp
    auth: {type: bearer, token: "${env:TOKEN}"}
  typed-cc:
    url: https://b.example/mcp
    auth: {type: client_credentials, client_id: id, client_secret: literal-secret, scope: "r w"}
  bearer:
    url: https://c.example/mcp
    auth: {bearer: "${env:TOKEN}"}
  login:
    url: https://d.example/mcp
    auth: {oauth: {scopes: "mcp:read mcp:write"}}
  login-empty:
    url: https://d.example/mcp
    auth: {oauth: {}}
  machine:
    url: https://e.example/mcp
    auth:
      oauth: {grant: client_credentials, client_id: ci, client_secret: "${env:SECRET}", scopes: [a, b]}
  api-key:
    url: https://f.example/mcp
    auth: {headers: {X-Api-Key: key-in-spec, X-Team: "${env:TEAM}"}}
"""
ENV = {"TOKEN": "env-token", "SECRET": "env-secret", "TEAM": "core"}


def servers(tmp_path: Path, text: str = SPEC) -> dict[str, HttpServer]:
    path = tmp_path / "servers.yaml"
    path.write_text(text, encoding="utf-8")
    specs = load_specs([str(path)], environ=ENV)
    built = {name: server for name, server in specs.servers.items() if isinstance(server, HttpServer)}
    assert all(server.secrets is specs.secrets for server in built.values())
    return built


def test_every_shape_builds_its_record(tmp_path: Path) -> None:
    built = {name: server.auth for name, server in servers(tmp_path).items()}
    assert built == {
        "typed-bearer": BearerAuth(token="env-token"),
        "typed-cc": ClientCredentialsAuth(client_id="id", client_secret="literal-secret", scope=("r", "w")),
        "bearer": BearerAuth(token="env-token"),
        "login": OAuthAuth(scopes=("mcp:read", "mcp:write")),
        "login-empty": OAuthAuth(),
        "machine": OAuthAuth(
            grant="client_credentials", client_id="ci", client_secret="env-secret", scopes=("a", "b")
        ),
        "api-key": HeadersAuth(headers={"X-Api-Key": "key-in-spec", "X-Team": "core"}),
    }


def test_credentials_written_in_the_spec_are_redacted_too(tmp_path: Path) -> None:
    secrets = servers(tmp_path)["api-key"].secrets
    text = "env-token literal-secret env-secret key-in-spec core"
    assert secrets.redact(text) == "*** *** *** *** ***"


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "servers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ=ENV)
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def broken(old: str, new: str) -> str:
    assert SPEC.count(old) == 1, old
    return SPEC.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            '{bearer: "${env:TOKEN}"}',
            '{bearer: "${env:TOKEN}", headers: {X-A: b}}',
            [
                "13:11: Servers/auth: servers.bearer.auth: give one of bearer, oauth or headers, not bearer and headers"
            ],
            id="two-shapes",
        ),
        pytest.param(
            "grant: client_credentials, client_id: ci, ",
            "grant: client_credentials, ",
            ["23:14: Servers/auth: servers.machine.auth.oauth: grant client_credentials needs client_id"],
            id="client-credentials-without-client",
        ),
        pytest.param(
            "grant: client_credentials,",
            "grant: password,",
            [
                "23:22: Servers/auth: servers.machine.auth.oauth.grant: expected one of: "
                "authorization_code, client_credentials (got 'password')"
            ],
            id="unknown-grant",
        ),
        pytest.param(
            "{oauth: {}}",
            "{oauht: {}}",
            [
                "19:12: Servers/auth: servers.login-empty.auth.oauht: unknown field 'oauht' (did you mean 'oauth'?)"
            ],
            id="typo",
        ),
        pytest.param(
            "{oauth: {scopes:",
            "{oauth: {scope:",
            [
                "16:20: Servers/auth: servers.login.auth.oauth.scope: unknown field 'scope' (did you mean 'scopes'?)"
            ],
            id="scope-typo",
        ),
        pytest.param(
            '{headers: {X-Api-Key: key-in-spec, X-Team: "${env:TEAM}"}}',
            "{headers: {}}",
            ["26:21: Servers/auth: servers.api-key.auth.headers: expected at least one header: Name: value"],
            id="no-headers",
        ),
        pytest.param(
            '{bearer: "${env:TOKEN}"}',
            "{bearer: [x]}",
            ["13:20: Servers/auth: servers.bearer.auth.bearer: expected a string, got a list"],
            id="bearer-not-a-string",
        ),
        pytest.param(
            "{oauth: {}}",
            "{}",
            ["19:11: Servers/auth: servers.login-empty.auth: needs at least one of: bearer, oauth, headers"],
            id="empty",
        ),
        pytest.param(
            "{oauth: {}}",
            "oauth",
            ["19:11: Servers/auth: servers.login-empty.auth: expected a mapping, got a string"],
            id="not-a-mapping",
        ),
        pytest.param(
            "{type: bearer, token:",
            "{type: basic, token:",
            [
                "7:18: Servers/auth: servers.typed-bearer.auth.type: expected one of: bearer, client_credentials (got 'basic')"
            ],
            id="typed-shapes-unchanged",
        ),
    ],
)
def test_one_broken_auth(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(old, new)) == expected


@pytest.mark.parametrize("kind", ["TestSuite", "LoadTest"])
def test_the_inline_servers_repeat_the_new_auth_definitions(kind: str) -> None:
    servers, inline = schema_for("Servers")["$defs"], schema_for(kind)["$defs"]
    for name in ("auth", "keyedAuth", "oauthAuth"):
        assert inline[name] == servers[name], name
