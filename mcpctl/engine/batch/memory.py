"""The process's resident memory, and a plan's ``memoryLimit``: intake slows above 90 % of it and the
run stops cleanly (no new steps; those in flight finish and are journaled) once it is crossed."""

from __future__ import annotations

import os
import resource
import sys
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from mcpctl.engine.batch.run import RunContext

SLOW_AT = 0.9
"""Above this share of the limit, a new step waits for steps in flight to finish first."""
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """The resident set size of this process now (Linux: /proc), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def format_bytes(size: float) -> str:
    """``512.0 MiB``: binary units, one decimal."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class MemoryGuard:
    """Checks RSS against ``limit`` bytes (``None``: no limit) before each step starts."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.peak = 0

    def measure(self) -> int:
        """RSS now, remembering the peak."""
        now = rss_bytes()
        self.peak = max(self.peak, now)
        return now

    async def admit(self, run: RunContext) -> None:
        """Return when a new step may start: at once under 90 % of the limit; above it, once steps in
        flight have finished (or none are left); above the limit, after stopping the run."""
        if self.limit is None:
            return
        while True:
            rss = self.measure()
            if rss > self.limit:
                run.stop(
                    f"memory limit {format_bytes(self.limit)} crossed (resident {format_bytes(rss)}); "
                    f"raise memoryLimit and resume with `mcpctl apply --resume {run.run_id}`"
                )
                return
            if rss <= self.limit * SLOW_AT or run.in_flight == 0 or run.stopped is not None:
                return
            await trio.sleep(0.02)
