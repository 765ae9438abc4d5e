"""The mock's access tokens: what they claim, and every way verification refuses one (or, in a
misbehave mode, lets it through)."""

from __future__ import annotations

import time

import jwt
import pytest

from mcpctl.mock.oauth.tokens import InvalidToken, SigningKey, TokenMinter, verify

ISSUER = "http://127.0.0.1:8765"
RESOURCE = "http://127.0.0.1:8765/mcp"
KEY = SigningKey()
MINTER = TokenMinter(issuer=ISSUER, key=KEY, lifetime=3600.0)
OTHER = TokenMinter(issuer="https://other.example", key=SigningKey(), lifetime=3600.0)


def mint(**overrides: object) -> str:
    options: dict[str, object] = {
        "subject": "u",
        "client_id": "c",
        "scope": ["mcp:read"],
        "resource": RESOURCE,
    }
    return MINTER.issue(**(options | overrides))  # type: ignore[arg-type]


def check(token: str, *relax: str) -> str:
    try:
        verify(token, key=KEY, issuer=ISSUER, audience=RESOURCE, relax=relax)  # type: ignore[arg-type]
    except InvalidToken as exc:
        return str(exc)
    return "ok"


def test_a_token_carries_the_claims_of_rfc_9068_and_verifies_with_the_published_jwks() -> None:
    token = mint(scope=["mcp:read", "mcp:write"])
    [key] = jwt.PyJWKSet.from_dict(KEY.jwks()).keys
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, key, algorithms=["ES256"], audience=RESOURCE, issuer=ISSUER)
    assert (header["alg"], header["typ"], header["kid"]) == ("ES256", "at+jwt", KEY.kid)
    assert {k: claims[k] for k in ("iss", "aud", "sub", "client_id", "scope")} == {
        "iss": ISSUER,
        "aud": RESOURCE,
        "sub": "u",
        "client_id": "c",
        "scope": "mcp:read mcp:write",
    }
    assert claims["exp"] - claims["iat"] == 3600
    assert len(claims["jti"]) == 36
    assert KEY.jwks()["keys"][0]["use"] == "sig"  # type: ignore[index,call-overload]
    verified = verify(token, key=KEY, issuer=ISSUER, audience=RESOURCE)
    assert (verified.subject, verified.client_id, verified.scope) == ("u", "c", ("mcp:read", "mcp:write"))


@pytest.mark.parametrize(
    ("token", "refused", "relax"),
    [
        (lambda: mint(now=time.time() - 7200), "the access token expired", "accept_expired"),
        (
            lambda: mint(resource="http://127.0.0.1:8765/other"),
            f"the access token is for another resource (aud is not {RESOURCE})",
            "accept_wrong_audience",
        ),
        (
            lambda: OTHER.issue(subject="u", client_id="c", scope=[], resource=RESOURCE),
            f"the access token was issued by another authorization server (https://other.example, not {ISSUER})",
            "accept_any_issuer",
        ),
    ],
)
def test_each_bad_token_is_refused_and_its_misbehave_mode_lets_it_through(
    token: object, refused: str, relax: str
) -> None:
    made = token()  # type: ignore[operator]
    assert check(made) == refused
    assert check(made, relax) == "ok"
    others = {"accept_expired", "accept_wrong_audience", "accept_any_issuer"} - {relax}
    assert check(made, *others) == refused  # the other modes do not


def test_a_tampered_signature_a_foreign_key_and_garbage_are_refused() -> None:
    token = mint()
    head, body, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    assert check(f"{head}.{body}.{flipped}") == "the access token's signature does not verify"
    same_issuer = TokenMinter(issuer=ISSUER, key=SigningKey(), lifetime=60)
    assert check(same_issuer.issue(subject="u", client_id="c", scope=[], resource=RESOURCE)) == (
        "the access token was not signed by this authorization server (unknown key)"
    )
    assert check("not-a-jwt").startswith("malformed access token (")
