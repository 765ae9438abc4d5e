"""Discovery order (RFC 9728, RFC 8414, OIDC), challenge parsing, resource matching, scope selection."""

from __future__ import annotations

import pytest

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.challenge import Challenge, parse_challenge
from mcpctl.mcp.auth.discovery import (
    ResourceMetadata,
    ServerMetadata,
    as_metadata_urls,
    default_endpoints,
    parse_server_metadata,
    prm_urls,
    resource_matches,
)
from mcpctl.mcp.auth.flow import select_scope

AS = ServerMetadata(issuer="https://as.example", authorization_endpoint="a", token_endpoint="t")


def test_prm_urls_header_first_then_path_then_root():
    assert prm_urls("http://h:1/mcp", "http://h:1/custom/prm.json") == [
        "http://h:1/custom/prm.json",
        "http://h:1/.well-known/oauth-protected-resource/mcp",
        "http://h:1/.well-known/oauth-protected-resource",
    ]


def test_prm_urls_without_header_or_path():
    assert prm_urls("https://h/mcp/") == [
        "https://h/.well-known/oauth-protected-resource/mcp",
        "https://h/.well-known/oauth-protected-resource",
    ]
    assert prm_urls("https://h") == ["https://h/.well-known/oauth-protected-resource"]


def test_as_metadata_urls_for_an_issuer_with_a_path_never_ask_the_root():
    assert as_metadata_urls("http://as:2/tenant1") == [
        "http://as:2/.well-known/oauth-authorization-server/tenant1",
        "http://as:2/.well-known/openid-configuration/tenant1",
        "http://as:2/tenant1/.well-known/openid-configuration",
    ]


def test_as_metadata_urls_for_a_root_issuer():
    assert as_metadata_urls("http://as:2/") == [
        "http://as:2/.well-known/oauth-authorization-server",
        "http://as:2/.well-known/openid-configuration",
    ]


def test_default_endpoints_are_on_the_origin():
    fallback = default_endpoints("http://mcp:3/some/path")
    assert (fallback.authorization_endpoint, fallback.token_endpoint, fallback.registration_endpoint) == (
        "http://mcp:3/authorize",
        "http://mcp:3/token",
        "http://mcp:3/register",
    )
    assert not fallback.found


@pytest.mark.parametrize(
    ("resource", "server", "ok"),
    [
        ("http://localhost:5/mcp", "http://localhost:5/mcp", True),
        ("http://localhost:5", "http://localhost:5/mcp", True),
        ("http://localhost:5/", "http://localhost:5/mcp", True),
        ("https://h/mcp", "https://h:443/mcp/", True),
        ("https://evil.example.com/mcp", "http://localhost:5/mcp", False),
        ("http://localhost:6/mcp", "http://localhost:5/mcp", False),
        ("http://localhost:5/mc", "http://localhost:5/mcp", False),
        ("http://localhost:5/mcp/deeper", "http://localhost:5/mcp", False),
        ("https://localhost:5/mcp", "http://localhost:5/mcp", False),
    ],
)
def test_resource_matches(resource, server, ok):
    assert resource_matches(resource, server) is ok


def test_parse_challenge_reads_bearer_params():
    header = (
        'Bearer error="insufficient_scope", scope="mcp:basic mcp:write", '
        'resource_metadata="http://h/.well-known/oauth-protected-resource/mcp", error_description="a, b"'
    )
    assert parse_challenge(header) == Challenge(
        error="insufficient_scope",
        scope=("mcp:basic", "mcp:write"),
        resource_metadata="http://h/.well-known/oauth-protected-resource/mcp",
    )
    assert parse_challenge(header).insufficient_scope


def test_parse_challenge_ignores_other_schemes_and_tolerates_nothing():
    assert parse_challenge(None) == Challenge()
    assert parse_challenge('Basic realm="x"') == Challenge()
    assert parse_challenge('Basic realm="x", Bearer scope=read') == Challenge(scope=("read",))
    assert parse_challenge('Bearer realm="x", Basic error="nope"') == Challenge()


def test_server_metadata_requires_the_endpoints():
    with pytest.raises(AuthError, match="lacks token_endpoint"):
        parse_server_metadata({"issuer": "i", "authorization_endpoint": "a"}, where="u")


PRM = ResourceMetadata(resource="r", authorization_servers=("a",), scopes_supported=("mcp:basic", "mcp:read"))


def test_scope_from_the_challenge_wins():
    assert select_scope(Challenge(scope=("mcp:basic",)), PRM, AS) == ("mcp:basic",)


def test_scope_falls_back_to_prm_scopes_supported_then_to_none():
    assert select_scope(Challenge(), PRM, AS) == ("mcp:basic", "mcp:read")
    bare = ResourceMetadata(resource="r", authorization_servers=("a",))
    as_with_scopes = ServerMetadata(
        issuer="i", authorization_endpoint="a", token_endpoint="t", scopes_supported=("x", "y")
    )
    assert select_scope(Challenge(), bare, as_with_scopes) == ()
    assert select_scope(Challenge(), None, AS) == ()


def test_offline_access_only_when_the_server_lists_it():
    offline = ServerMetadata(
        issuer="i",
        authorization_endpoint="a",
        token_endpoint="t",
        scopes_supported=("mcp:basic", "offline_access"),
    )
    assert select_scope(Challenge(), PRM, offline) == ("mcp:basic", "mcp:read", "offline_access")
    assert "offline_access" not in select_scope(Challenge(), PRM, AS)


def test_step_up_keeps_earlier_scopes():
    challenge = Challenge(error="insufficient_scope", scope=("mcp:write",))
    assert select_scope(challenge, PRM, AS, previous=("mcp:basic",)) == ("mcp:basic", "mcp:write")
