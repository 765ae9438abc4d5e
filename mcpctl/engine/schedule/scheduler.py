"""The scheduler loop: each entry fires on its cron times (plus jitter), never overlapping itself.

One task per entry sleeps (on the injected :class:`~mcpctl.engine.schedule.clock.Clock`) until its next
fire time plus its jitter, then starts a run unless the entry's previous run is still going. A fire that
finds the previous run going is skipped and reported; with ``missed: run-once`` one catch-up run
starts as soon as the running one ends (one, however many fires were skipped). Fires missed while the
scheduler was down (after the last fire the state file records) or while it was late by more than
:data:`LATE_GRACE` (a suspended machine) follow the same policy: reported, and with ``run-once`` run
once. Every run pings, notifies and records its outcome; :class:`ScheduleEvent` records say what
happened, for the CLI to print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import trio

from mcpctl.engine.schedule import signals
from mcpctl.engine.schedule.clock import Clock
from mcpctl.engine.schedule.cron import fires_between, jitter_delay, next_fire
from mcpctl.engine.schedule.launch import Launcher
from mcpctl.engine.schedule.state import EntryState, ScheduleState
from mcpctl.observe.alerts.deliver import Deliverer, DeliveryResult
from mcpctl.spec.alert_model import CONSOLE
from mcpctl.spec.receiver_model import Receiver
from mcpctl.spec.schedule_model import ScheduleEntry, ScheduleSpec

LATE_GRACE = timedelta(seconds=60)
"""A fire this far in the past when its turn comes was missed (the machine slept), not merely late."""
EventKind = Literal["start", "end", "skipped", "missed", "ping-failed", "notify-failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEvent:
    """Something the scheduler did or saw."""

    kind: EventKind
    entry: str
    at: datetime
    """When it happened (UTC)."""
    scheduled: datetime | None = None
    """The fire time it is about (the last one, for ``missed``)."""
    exit_code: int | None = None
    """``end``: the run's exit code."""
    seconds: float | None = None
    """``end``: how long the run took."""
    count: int = 1
    """``missed``: how many fires were missed."""
    detail: str = ""
    """Why (skipped, missed), or what failed (pings, notifications)."""


@dataclass(slots=True)
class _Lane:
    """One entry's run state: whether a run is going, and the fire a catch-up run stands for."""

    running: bool = False
    pending: datetime | None = None


class Scheduler:
    """Runs one Schedule's entries until cancelled."""

    def __init__(
        self,
        spec: ScheduleSpec,
        *,
        launcher: Launcher,
        clock: Clock,
        state: ScheduleState,
        on_event: Callable[[ScheduleEvent], None],
        seed: str = "",
        redact: Callable[[str], str] = lambda text: text,
    ) -> None:
        self.spec = spec
        self._launcher = launcher
        self._clock = clock
        self._state = state
        self._on_event = on_event
        self._seed = seed or spec.metadata.name
        self._memory = state.load()
        self._lanes = {entry.name: _Lane() for entry in spec.entries}
        receivers: dict[str, Receiver] = {r.name: r for r in spec.receivers}
        receivers.setdefault(CONSOLE, Receiver(name=CONSOLE, kind="console", source=spec.source))
        self._deliverer = Deliverer(receivers, on_result=self._delivered, redact=redact)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Schedule every entry until cancelled; ready once every entry's next fire is computed."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self._deliverer.run)
            for entry in self.spec.entries:
                await nursery.start(self._entry_loop, entry, nursery)
            task_status.started()

    async def _entry_loop(
        self, entry: ScheduleEntry, nursery: trio.Nursery, *, task_status: trio.TaskStatus[None]
    ) -> None:
        now = self._clock.now()
        last = self._memory.get(entry.name, EntryState()).last_fire
        if last is not None and last < now:
            self._missed(entry, fires_between(entry, last, now), nursery, "while the scheduler was down")
        fire = next_fire(entry, now)
        task_status.started()
        while True:
            await self._clock.sleep_until(fire + jitter_delay(entry, fire, seed=self._seed))
            self._fire(entry, fire, nursery)
            fire = next_fire(entry, fire)
            now = self._clock.now()
            if fire < now - LATE_GRACE:
                late = fires_between(entry, fire - timedelta(microseconds=1), now)
                self._missed(entry, late, nursery, "while the scheduler was late (the machine slept?)")
                fire = next_fire(entry, now)

    def _fire(self, entry: ScheduleEntry, fire: datetime, nursery: trio.Nursery) -> None:
        lane = self._lanes[entry.name]
        self._remember(entry, last_fire=fire)
        if lane.running:
            queued = " (one catch-up run follows it)" if entry.missed == "run-once" else ""
            self._emit("skipped", entry, scheduled=fire, detail="the previous run is still going" + queued)
            if entry.missed == "run-once":
                lane.pending = fire
            return
        lane.running = True  # before the task starts: a fire in between must see it
        nursery.start_soon(self._runs, entry, fire)

    def _missed(self, entry: ScheduleEntry, fires: list[datetime], nursery: trio.Nursery, why: str) -> None:
        if not fires:
            return
        action = "one catch-up run now" if entry.missed == "run-once" else "skipped"
        detail = f"{why}: {action}"
        self._emit("missed", entry, scheduled=fires[-1], count=len(fires), detail=detail)
        if entry.missed == "run-once":
            self._fire(entry, fires[-1], nursery)
        else:
            self._remember(entry, last_fire=fires[-1])

    async def _runs(self, entry: ScheduleEntry, fire: datetime) -> None:
        """Run ``entry`` for ``fire``, then once more for a fire skipped meanwhile (``run-once``)."""
        lane = self._lanes[entry.name]
        try:
            scheduled: datetime | None = fire
            while scheduled is not None:
                await self._run_once(entry, scheduled)
                scheduled, lane.pending = lane.pending, None
        finally:
            lane.running = False

    async def _run_once(self, entry: ScheduleEntry, scheduled: datetime) -> None:
        started = self._clock.now()
        self._emit("start", entry, scheduled=scheduled)
        if entry.ping is not None:
            await self._ping(entry, "start", "")
        outcome = await self._launcher(entry, cwd=self.spec.base_dir)
        ended = self._clock.now()
        seconds = (ended - started).total_seconds()
        self._emit("end", entry, scheduled=scheduled, exit_code=outcome.exit_code, seconds=seconds)
        if entry.ping is not None:
            await self._ping(entry, str(outcome.exit_code), outcome.tail)
        previous = self._memory.get(entry.name, EntryState()).last_exit
        kind = signals.notify_kind(entry, exit_code=outcome.exit_code, previous=previous)
        if kind is not None:
            self._deliverer.submit(
                signals.notification(
                    kind,
                    schedule=self.spec.metadata.name,
                    entry=entry,
                    scheduled=scheduled,
                    started=started,
                    ended=ended,
                    exit_code=outcome.exit_code,
                    tail=outcome.tail,
                )
            )
        self._remember(entry, last_exit=outcome.exit_code, last_end=ended)

    async def _ping(self, entry: ScheduleEntry, suffix: str, body: str) -> None:
        assert entry.ping is not None
        error = await signals.ping(entry.ping, suffix, body)
        if error is not None:
            self._emit("ping-failed", entry, detail=error)

    def _remember(self, entry: ScheduleEntry, **changes: object) -> None:
        current = self._memory.get(entry.name, EntryState())
        self._memory[entry.name] = replace(current, **changes)  # type: ignore[arg-type]
        self._state.save(self._memory)

    def _delivered(self, result: DeliveryResult) -> None:
        if result.final and not result.ok:
            entry = result.group_key.partition('entry="')[2].partition('"')[0]
            self._on_event(
                ScheduleEvent(
                    kind="notify-failed",
                    entry=entry,
                    at=self._clock.now(),
                    detail=f"to {result.receiver}: {result.error}",
                )
            )

    def _emit(self, kind: EventKind, entry: ScheduleEntry, **fields: object) -> None:
        self._on_event(ScheduleEvent(kind=kind, entry=entry.name, at=self._clock.now(), **fields))  # type: ignore[arg-type]
