"""PKCE (RFC 7636) with the S256 method, and the ``state`` value of an authorization request."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier``: ``BASE64URL(SHA256(ASCII(verifier)))`` without padding."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_verifier() -> str:
    """A fresh verifier: 43 characters from the unreserved set (256 bits of randomness)."""
    return _b64url(secrets.token_bytes(32))


def new_state() -> str:
    """A fresh, unguessable ``state`` that ties the redirect to the request."""
    return _b64url(secrets.token_bytes(24))


@dataclass(frozen=True, slots=True, kw_only=True)
class Pkce:
    """One authorization attempt's verifier (kept) and challenge (sent)."""

    verifier: str = field(default_factory=new_verifier)
    method: str = "S256"

    @property
    def challenge(self) -> str:
        """What the authorization request carries as ``code_challenge``."""
        return code_challenge(self.verifier)
