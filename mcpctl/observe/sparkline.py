"""Sparklines: a row of ``▁▂▃▄▅▆▇█`` bars for a terminal (``mcpctl watch``, ``mcpctl trends``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

BARS: Final = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled from the smallest to the largest; ``None`` (no data) is a blank."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = high - low
    top = len(BARS) - 1
    return "".join(
        " " if v is None else BARS[round((v - low) / span * top) if span > 0 else 0] for v in values
    )
