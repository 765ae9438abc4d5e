"""Client authentication at the token endpoint, JWT client assertions, registration choices."""

from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.assertion import ASSERTION_TYPE, LIFETIME, client_assertion
from mcpctl.mcp.auth.authorizer import parse_redirect
from mcpctl.mcp.auth.discovery import ServerMetadata
from mcpctl.mcp.auth.grants import authenticate, basic_credentials
from mcpctl.mcp.auth.registration import (
    ClientCredentials,
    ClientMetadata,
    choose_auth_method,
    registration_body,
)
from mcpctl.mcp.auth.tokens import Token, token_from_response


def server(*methods: str) -> ServerMetadata:
    return ServerMetadata(
        issuer="http://as:9",
        authorization_endpoint="a",
        token_endpoint="t",
        token_endpoint_auth_methods_supported=methods or None,
    )


@pytest.fixture(scope="module")
def key_pair() -> tuple[str, ec.EllipticCurvePublicKey]:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()


def test_assertion_claims_and_signature(key_pair):
    pem, public = key_pair
    token = client_assertion(client_id="cid", audience="http://as:9", private_key_pem=pem, now=1_700_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    claims = jwt.decode(
        token, public, algorithms=["ES256"], audience="http://as:9", options={"verify_exp": False}
    )
    assert claims["iss"] == claims["sub"] == "cid"
    assert claims["exp"] - claims["iat"] == LIFETIME
    assert claims["iat"] == 1_700_000_000
    other = client_assertion(client_id="cid", audience="http://as:9", private_key_pem=pem)
    assert jwt.decode(other, options={"verify_signature": False})["jti"] != claims["jti"]


def test_assertion_with_a_bad_key_is_an_auth_error():
    with pytest.raises(AuthError, match="cannot sign a ES256 client assertion"):
        client_assertion(client_id="c", audience="a", private_key_pem="not a key")


def test_basic_credentials_form_encode_before_base64():
    value = basic_credentials("id:1", "s p")
    assert base64.b64decode(value.removeprefix("Basic ")) == b"id%3A1:s%20p"


def test_authenticate_per_method(key_pair):
    form = {"grant_type": "client_credentials"}
    secret = ClientCredentials(client_id="c", client_secret="s")
    headers, body = authenticate(secret, server("client_secret_basic"), form)
    assert headers == {"authorization": basic_credentials("c", "s")}
    assert body == form
    headers, body = authenticate(secret, server("client_secret_post"), form)
    assert (headers, body) == ({}, {**form, "client_id": "c", "client_secret": "s"})
    headers, body = authenticate(ClientCredentials(client_id="c"), server("none"), form)
    assert (headers, body) == ({}, {**form, "client_id": "c"})
    keyed = ClientCredentials(client_id="c", private_key_pem=key_pair[0])
    headers, body = authenticate(keyed, server("private_key_jwt"), form)
    assert body["client_assertion_type"] == ASSERTION_TYPE
    assert jwt.decode(body["client_assertion"], options={"verify_signature": False})["aud"] == "http://as:9"


def test_auth_method_choice():
    assert choose_auth_method(ClientCredentials(client_id="c"), server("client_secret_basic")) == "none"
    secret = ClientCredentials(client_id="c", client_secret="s")
    assert choose_auth_method(secret, server()) == "client_secret_basic"
    assert choose_auth_method(secret, server("client_secret_post")) == "client_secret_post"
    registered = ClientCredentials(client_id="c", client_secret="s", auth_method="client_secret_post")
    assert choose_auth_method(registered, server("client_secret_basic")) == "client_secret_post"


def test_registration_asks_for_refresh_tokens_and_a_public_client():
    body = registration_body(ClientMetadata(client_name="x"), server(), "http://127.0.0.1:1/callback")
    assert body == {
        "client_name": "x",
        "redirect_uris": ["http://127.0.0.1:1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    confidential = registration_body(ClientMetadata(), server("client_secret_basic"), "r")
    assert isinstance(confidential, dict)
    assert confidential["token_endpoint_auth_method"] == "client_secret_basic"


def test_token_response():
    token = token_from_response(
        {"access_token": "a", "token_type": "bearer", "expires_in": 60, "scope": "x y"}, where="w", now=100.0
    )
    assert token == Token(access_token="a", expires_at=160.0, scope=("x", "y"), lifetime=60.0)
    assert token.header == "Bearer a"
    assert token.expired(now=131.0)
    assert not token.expired(now=129.0)
    # a token living less than a minute counts as expired in its last half, not at once
    short = token_from_response({"access_token": "b", "expires_in": 20}, where="w", now=100.0)
    assert (short.expired(now=109.0), short.expired(now=111.0)) == (False, True)
    with pytest.raises(AuthError, match="no access_token"):
        token_from_response({"token_type": "Bearer"}, where="w")
    with pytest.raises(AuthError, match="unsupported token_type 'mac'"):
        token_from_response({"access_token": "a", "token_type": "mac"}, where="w")


def test_redirect_parsing():
    assert parse_redirect("http://127.0.0.1:1/callback?code=c&state=s").code == "c"
    with pytest.raises(AuthError, match="refused: access_denied: no"):
        parse_redirect("http://x/cb?error=access_denied&error_description=no")
    with pytest.raises(AuthError, match="carries no code"):
        parse_redirect("http://x/cb?state=s")
