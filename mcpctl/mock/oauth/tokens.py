"""The mock's access tokens: ES256 JWTs signed with a key made for each served mock.

Claims (RFC 9068 style): ``iss`` (the mock's base URL), ``aud`` (the MCP endpoint's URL, the
RFC 8707 resource), ``sub``, ``client_id``, ``scope``, ``iat``, ``exp``, ``jti``. The public key
is published as a JWK Set at ``/jwks``. :func:`verify` is the resource server's check; each
relaxation it takes is one of the mock's ``misbehave`` modes.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.mock_model import Misbehaviour

ALGORITHM: Final = "ES256"
TOKEN_TYPE: Final = "at+jwt"


class SigningKey:
    """A fresh P-256 key and its key id."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = secrets.token_urlsafe(8)

    def jwks(self) -> dict[str, JSONValue]:
        """The public half as a JWK Set (RFC 7517)."""
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Claims:
    """What a verified access token says."""

    subject: str
    client_id: str
    scope: tuple[str, ...]
    audience: str
    expires_at: int


class InvalidToken(Exception):
    """The access token is refused; the message is the challenge's ``error_description``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenMinter:
    """Issues the access tokens of one authorization server."""

    issuer: str
    key: SigningKey
    lifetime: float
    """Seconds an access token lives."""

    def issue(
        self, *, subject: str, client_id: str, scope: Collection[str], resource: str, now: float | None = None
    ) -> str:
        """A signed access token for ``resource``."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.issuer,
            "aud": resource,
            "sub": subject,
            "client_id": client_id,
            "scope": " ".join(scope),
            "iat": issued,
            "exp": issued + max(1, round(self.lifetime)),
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key.kid, "typ": TOKEN_TYPE}
        return jwt.encode(claims, self.key.private_key, algorithm=ALGORITHM, headers=headers)


def verify(
    token: str,
    *,
    key: SigningKey,
    issuer: str,
    audience: str,
    relax: Collection[Misbehaviour] = (),
) -> Claims:
    """The claims of ``token`` if this server issued it for ``audience`` and it is still valid.

    ``relax``: ``accept_expired`` skips ``exp``, ``accept_wrong_audience`` skips ``aud``,
    ``accept_any_issuer`` skips ``iss`` and the signature (a token minted anywhere passes).
    """
    any_issuer = "accept_any_issuer" in relax
    try:
        header = jwt.get_unverified_header(token)
        if not any_issuer and header.get("kid") != key.kid:
            raise InvalidToken(_foreign(token, issuer))
        claims = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=0,
            options={
                "verify_signature": not any_issuer,
                "verify_exp": "accept_expired" not in relax,
                "verify_iat": False,
                "verify_aud": "accept_wrong_audience" not in relax,
                "verify_iss": not any_issuer,
                "require": ["exp", "aud", "iss", "sub"],
            },
        )
    except InvalidToken:
        raise
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token expired") from None
    except jwt.InvalidAudienceError:
        raise InvalidToken(f"the access token is for another resource (aud is not {audience})") from None
    except jwt.InvalidIssuerError:
        raise InvalidToken(
            f"the access token was issued by another authorization server (not {issuer})"
        ) from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("the access token's signature does not verify") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed access token ({exc})") from None
    return _claims(claims)


def _foreign(token: str, issuer: str) -> str:
    """Why a token signed by a key this server does not have is refused."""
    try:
        claimed = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        claimed = None
    if isinstance(claimed, str) and claimed != issuer:
        return f"the access token was issued by another authorization server ({claimed}, not {issuer})"
    return "the access token was not signed by this authorization server (unknown key)"


def _claims(claims: Mapping[str, object]) -> Claims:
    scope, expires = claims.get("scope"), claims.get("exp")
    aud = claims.get("aud")
    return Claims(
        subject=str(claims.get("sub", "")),
        client_id=str(claims.get("client_id", "")),
        scope=tuple(scope.split()) if isinstance(scope, str) else (),
        audience=aud
        if isinstance(aud, str)
        else " ".join(str(a) for a in aud)
        if isinstance(aud, list)
        else "",
        expires_at=expires if isinstance(expires, int) else 0,
    )
