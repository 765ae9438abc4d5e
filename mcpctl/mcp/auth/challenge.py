"""The ``WWW-Authenticate: Bearer ...`` challenge of a 401 or 403 answer (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_PARAM: Final = re.compile(r'([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_SCHEME: Final = re.compile(r"(?:^|,)\s*([A-Za-z0-9_\-]+)(?=\s+[A-Za-z0-9_\-]+\s*=|\s*$|\s*,)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """What a Bearer challenge asks for; every field is empty when absent."""

    error: str = ""
    """``invalid_token``, ``insufficient_scope``, ..."""
    scope: tuple[str, ...] = ()
    """The scopes the request needs."""
    resource_metadata: str = ""
    """The URL of the server's protected-resource metadata (RFC 9728)."""

    @property
    def insufficient_scope(self) -> bool:
        """A 403 that more scopes (step-up authorization) may cure."""
        return self.error == "insufficient_scope"


def parse_challenge(header: str | None) -> Challenge:
    """The Bearer challenge in ``header`` (the first one if several schemes are offered)."""
    if not header:
        return Challenge()
    params = _bearer_params(header)
    return Challenge(
        error=params.get("error", ""),
        scope=tuple(params.get("scope", "").split()),
        resource_metadata=params.get("resource_metadata", ""),
    )


def _bearer_params(header: str) -> dict[str, str]:
    start = _scheme_start(header, "bearer")
    if start is None:
        return {}
    params: dict[str, str] = {}
    pos = start
    while (match := _PARAM.search(header, pos)) is not None:
        between = header[pos : match.start()].strip(" ,")
        if between:  # another scheme begins: its params are not ours
            break
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params.setdefault(match.group(1).lower(), re.sub(r"\\(.)", r"\1", value))
        pos = match.end()
    return params


def _scheme_start(header: str, scheme: str) -> int | None:
    for match in _SCHEME.finditer(header):
        if match.group(1).lower() == scheme:
            return match.end()
    return None
