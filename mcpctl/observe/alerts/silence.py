"""Silences, as in Alertmanager: label matchers (:mod:`mcpctl.spec.alert_matchers`) that mute every alert
they all match, from ``starts_at`` (included) to ``ends_at`` (excluded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mcpctl.spec.alert_matchers import Matcher, matches_all


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """Mutes matching alerts for a while; notifications resume at the first group flush after it ends."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    comment: str = ""

    def __post_init__(self) -> None:
        if not self.matchers:
            raise ValueError(f"silence {self.id!r}: needs at least one matcher (it would mute every alert)")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"silence {self.id!r}: ends_at must be after starts_at")

    def active(self, now: float) -> bool:
        """Whether the silence is in force at ``now``."""
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: Mapping[str, str], now: float) -> bool:
        """Whether it mutes an alert with these labels at ``now``."""
        return self.active(now) and matches_all(self.matchers, labels)
