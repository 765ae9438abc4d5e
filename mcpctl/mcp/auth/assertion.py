"""Signed JWT client assertions for ``private_key_jwt`` (RFC 7523 §2.2, RFC 7521 §4.2)."""

from __future__ import annotations

import time
import uuid
from typing import Final

import jwt

from mcpctl.errors import AuthError

ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME: Final = 300
"""Seconds an assertion stays valid: it is used once, right away."""


def assertion_claims(*, client_id: str, audience: str, now: float | None = None) -> dict[str, str | int]:
    """``iss`` = ``sub`` = the client, ``aud`` = the authorization server's issuer, one-shot ``jti``."""
    issued = int(time.time() if now is None else now)
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + LIFETIME,
        "jti": str(uuid.uuid4()),
    }


def client_assertion(
    *, client_id: str, audience: str, private_key_pem: str, algorithm: str = "ES256", now: float | None = None
) -> str:
    """A JWT signed with ``private_key_pem`` that authenticates ``client_id`` to ``audience``."""
    claims = assertion_claims(client_id=client_id, audience=audience, now=now)
    try:
        return jwt.encode(claims, private_key_pem, algorithm=algorithm, headers={"typ": "JWT"})
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthError(
            f"cannot sign a {algorithm} client assertion for {client_id!r}: {exc}",
            hint="the private key must be a PEM (PKCS#8) key matching the algorithm",
        ) from None
