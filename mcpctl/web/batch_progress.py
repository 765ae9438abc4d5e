"""Progress of a batch run started from the dashboard: the engine's :class:`BatchProgress` callbacks
counted into done/failed/total, items/s and ETA, published as ``batch`` events at most four times a
second (plus the final one, which is never held back)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from mcpctl.engine.batch.steps import OpPlan
from mcpctl.engine.results import CaseResult, Status

PUBLISH_EVERY: Final = 0.25
"""Seconds between two progress events: 10,000 fast items must not become 10,000 events."""
FAILED: Final = frozenset({"failed", "error"})

Publish = Callable[[str, Mapping[str, object]], None]


class DeskProgress:
    """One run's counts (a :class:`~mcpctl.engine.batch.run.BatchProgress`), published as it goes."""

    def __init__(
        self,
        *,
        run: str,
        plan: str,
        total: int,
        publish: Publish,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run = run
        self.plan = plan
        self.total = total
        self.done = 0
        self.failed = 0
        self.state = "running"
        self.stopped_reason: str | None = None
        self.notes: list[str] = []
        self._publish = publish
        self._clock = clock
        self._started = clock()
        self._published = float("-inf")
        self._stopping = False

    # -- BatchProgress ----------------------------------------------------------------------
    def operation_started(self, plan: OpPlan, total: int) -> None:
        """Nothing to count: the run's total is known from its plan."""

    def step_done(self, plan: OpPlan, status: Status) -> None:
        """Count a step; publish if the last event is old enough. Once the run is stopping, the steps
        reported skipped are those never started (``not started: ...``): not done, left for a resume."""
        if self._stopping and status == "skipped":
            return
        self.done += 1
        self.failed += status in FAILED
        now = self._clock()
        if now - self._published >= PUBLISH_EVERY:
            self._send(now)

    def operation_done(self, plan: OpPlan, results: Sequence[CaseResult]) -> None:
        """Nothing more to count (every step was told)."""

    def note(self, text: str) -> None:
        """Keep the engine's notes (a stop, an onFailure rollback) for the run's page."""
        self._stopping = self._stopping or text.startswith("stopping: ")
        self.notes.append(text)

    # -- the dashboard's side ---------------------------------------------------------------
    def announce(self) -> None:
        """Publish the run's first event (nothing done yet)."""
        self._send(self._clock())

    def finish(self, state: str, stopped_reason: str | None) -> None:
        """The run ended as ``state``: publish the final event whatever the throttle says."""
        self.state = state
        self.stopped_reason = stopped_reason
        self._send(self._clock())

    def snapshot(self) -> dict[str, object]:
        """The fields of a ``batch`` event (and of ``GET /api/v1/batch/{run}``)."""
        elapsed = self._clock() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = max(self.total - self.done, 0)
        eta = left / rate if rate > 0 and self.state == "running" else None
        return {
            "run": self.run,
            "plan": self.plan,
            "state": self.state,
            "done": self.done,
            "failed": self.failed,
            "total": self.total,
            "items_per_s": round(rate, 1),
            "eta_s": None if eta is None else round(eta, 1),
            "stopped_reason": self.stopped_reason,
        }

    def _send(self, now: float) -> None:
        self._published = now
        self._publish("batch", self.snapshot())
