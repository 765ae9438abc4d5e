"""An alert instance as a notification carries it, and its stable fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AlertStatus = Literal["firing", "resolved"]


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 16-hex-digit identity for a label set: the same labels always give the same fingerprint.

    Labels are hashed sorted by name, each name and value followed by a 0xff byte (a byte no UTF-8 text
    contains), so ``{"a": "bc"}`` and ``{"ab": "c"}`` cannot collide by concatenation.
    """
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(labels):
        digest.update(name.encode())
        digest.update(b"\xff")
        digest.update(labels[name].encode())
        digest.update(b"\xff")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One alert instance: a rule firing (or no longer firing) for one server."""

    labels: Mapping[str, str]
    """Identifying labels: ``alertname``, ``server``, ``severity`` and the rule's own labels."""
    annotations: Mapping[str, str]
    """Informational text that does not identify the alert (the condition, the value that triggered it)."""
    status: AlertStatus
    starts_at: float
    """When the alert started firing (seconds, the evaluator's clock)."""
    ends_at: float | None = None
    """When it resolved; ``None`` while firing."""
    fingerprint: str
    """:func:`fingerprint` of ``labels``."""

    @property
    def name(self) -> str:
        """The ``alertname`` label."""
        return self.labels.get("alertname", "")
