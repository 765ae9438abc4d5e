"""The mock's dice: latency draws and injected errors, from one seeded generator per served mock.

A seed makes a run repeat exactly: the same draws in the same order of calls.
"""

from __future__ import annotations

import math
import random

from mcpctl.spec.mock_model import Behaviour, ErrorAnswer, Latency

DEFAULT_ERROR = ErrorAnswer(code=-32603, message="Internal error (injected by mock)")


def merged(server: Behaviour, tool: Behaviour) -> Behaviour:
    """The tool's settings where it has them, the server's elsewhere."""
    return Behaviour(
        latency=tool.latency or server.latency,
        error_rate=tool.error_rate if tool.error_rate is not None else server.error_rate,
        error=tool.error or server.error,
        progress=tool.progress or server.progress,
    )


class Dice:
    """Seeded draws for latency and errors (``random.Random``: fast, reproducible, not for secrets)."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)

    def seconds(self, latency: Latency | None) -> float:
        """One latency draw in seconds (0 without a latency)."""
        if latency is None:
            return 0.0
        draw = self._random
        if latency.distribution == "fixed":
            return latency.value.seconds if latency.value is not None else 0.0
        if latency.distribution == "uniform":
            low = latency.min.seconds if latency.min is not None else 0.0
            high = latency.max.seconds if latency.max is not None else low
            return draw.uniform(low, high)
        if latency.distribution == "normal":
            mean = latency.mean.seconds if latency.mean is not None else 0.0
            stddev = latency.stddev.seconds if latency.stddev is not None else 0.0
            return max(0.0, draw.gauss(mean, stddev))
        median = latency.median.seconds if latency.median is not None else 0.0
        sigma = latency.sigma or 0.0
        return median * math.exp(sigma * draw.gauss(0.0, 1.0)) if median > 0 else 0.0

    def fails(self, behaviour: Behaviour) -> ErrorAnswer | None:
        """The injected error for this call, or ``None`` (drawn only when an error rate is set)."""
        rate = behaviour.error_rate
        if rate is None or rate.fraction <= 0:
            return None
        if self._random.random() < rate.fraction:
            return behaviour.error or DEFAULT_ERROR
        return None
