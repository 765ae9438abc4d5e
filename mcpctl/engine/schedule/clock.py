"""The scheduler's clock: wall time to compute fire times, and sleeping until one.

:class:`SystemClock` is the real one; :class:`TrioClock` maps trio's clock onto a wall-clock origin,
so under ``autojump_clock`` a simulated day passes in milliseconds, and under the real trio clock it is
a wall clock started wherever a test wants (a second before a minute boundary).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import trio

RECHECK = 30.0
"""Longest real sleep between two readings of the wall clock (it may jump: suspend, NTP steps)."""


class Clock(Protocol):
    """Wall time and sleeping until a wall time."""

    def now(self) -> datetime:
        """The current time, aware, UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return at ``when`` (at once if it has passed)."""
        ...


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> datetime:
        """The current time, aware, UTC."""
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        """Sleep in steps of at most :data:`RECHECK` seconds, re-reading the wall clock each time."""
        # polling the wall clock is the point: no event fires when it jumps
        while (left := (when - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await trio.sleep(min(left, RECHECK))


class TrioClock:
    """Wall time = ``start`` + the trio time elapsed since this clock was first read in trio."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin: float | None = None

    def _trio_origin(self) -> float:
        if self._origin is None:
            self._origin = trio.current_time()
        return self._origin

    def now(self) -> datetime:
        """``start`` plus the trio time elapsed."""
        return self._start + timedelta(seconds=trio.current_time() - self._trio_origin())

    async def sleep_until(self, when: datetime) -> None:
        """Sleep on trio's clock until the wall time ``when``."""
        await trio.sleep_until(self._trio_origin() + (when - self._start).total_seconds())
