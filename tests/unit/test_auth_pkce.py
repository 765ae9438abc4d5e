"""PKCE S256 (RFC 7636) and the authorization URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from mcpctl.mcp.auth.discovery import ServerMetadata
from mcpctl.mcp.auth.flow import authorization_url
from mcpctl.mcp.auth.pkce import Pkce, code_challenge, new_state, new_verifier
from mcpctl.mcp.auth.registration import ClientCredentials


def test_challenge_matches_the_rfc_7636_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert Pkce(verifier=verifier).challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifiers_are_fresh_and_well_formed():
    verifiers = {new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", v) for v in verifiers)
    assert new_state() != new_state()


def test_authorization_url_carries_pkce_state_resource_and_scope():
    server = ServerMetadata(
        issuer="i", authorization_endpoint="http://as/authorize?tenant=1", token_endpoint="t"
    )
    pkce = Pkce()
    url = authorization_url(
        server,
        ClientCredentials(client_id="cid"),
        redirect_uri="http://127.0.0.1:1/callback",
        pkce=pkce,
        state="st",
        scope=("a", "b"),
        resource="http://mcp/mcp",
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "tenant": "1",
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "http://127.0.0.1:1/callback",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": "st",
        "resource": "http://mcp/mcp",
        "scope": "a b",
    }


def test_authorization_url_omits_an_empty_scope():
    server = ServerMetadata(issuer="i", authorization_endpoint="http://as/authorize", token_endpoint="t")
    url = authorization_url(
        server,
        ClientCredentials(client_id="c"),
        redirect_uri="r",
        pkce=Pkce(),
        state="s",
        scope=(),
        resource="x",
    )
    assert "scope" not in parse_qs(urlsplit(url).query)
