"""When load happens: the stage ramp, the open model's intended start times, the closed model's VU count.

Time runs in seconds since the start of the profile. Within each stage the target moves linearly from the
previous stage's target (``startTarget`` for the first) to the stage's own, as k6 does; after the last
stage it is 0. Under ``arrival-rate`` the target is requests per second, under ``vus`` a number of users.

**Open model.** Request *n* (0, 1, 2, ...) is intended to start at the earliest time at which the integral
of the rate since the start reaches *n*; requests whose time is the profile's length or later are not sent
(a constant 100/s for 10 s sends exactly 1000, a ramp 0 → 100/s over 10 s exactly 500). The integral is a
quadratic within a linear stage, so each time is solved exactly from the start: no drift accumulates from
one sleep to the next, and a scheduler that fell behind catches up with the right intended times.

**Two clocks.** Sleeping uses trio's clock (``trio.current_time``, what ``trio.testing.MockClock``
drives in tests); measuring uses ``clock_ns`` (``time.perf_counter_ns``, DESIGN.md §4). Both are read once
at the start, and an intended time is carried as an offset from each: trio sleeps until
``trio_start + offset`` and the callback gets ``ns_start + offset_ns``, the time its latency is measured
from (coordinated omission corrected). Trio's default clock *is* ``time.perf_counter`` plus a constant, so
the two advance together; a test using a mock clock passes a ``clock_ns`` derived from
``trio.current_time`` so that lag and latencies are in mock time too.

**Closed model.** The number of virtual users is a whole number that changes exactly when the ramp
crosses an integer: going up, user *k* starts when the target reaches *k*; going down, the count drops to
*k* when the target reaches *k* (0 → 10 over 10 s: one more user every second, the first at 1 s). The
controller sleeps until each of those points rather than polling. The users above the count finish their
current iteration and stop (the highest numbered first), with no deadline of their own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import trio

from mcpctl.spec.load_model import Profile

_NS = 1_000_000_000
_BATCH = 64
"""The most overdue requests the open model starts before it lets other tasks run."""


def _segments(profile: Profile) -> Iterator[tuple[float, float, float, float]]:
    """(start, duration, from, to) of each stage, in seconds since the start."""
    start, previous = 0.0, profile.start_target
    for stage in profile.stages:
        yield start, stage.duration.seconds, previous, stage.target
        start += stage.duration.seconds
        previous = stage.target


def target_at(profile: Profile, t: float) -> float:
    """The profile's target ``t`` seconds after the start: linear within each stage, 0 after the end."""
    if t < 0:
        return profile.start_target
    for start, duration, begin, end in _segments(profile):
        if t < start + duration:
            return begin + (end - begin) * (t - start) / duration
    return 0.0


def _time_of(count: float, begin: float, end: float, duration: float) -> float:
    """When, within a linear stage, the integral of the rate since its start reaches ``count``.

    The integral is ``begin*t + (end-begin)/(2*duration)*t**2``; the root is written as
    ``2c / (begin + sqrt(begin**2 + 4ac))``, which neither cancels nor divides by zero when a is 0.
    """
    if count <= 0:
        return 0.0
    slope = (end - begin) / (2 * duration)
    root = math.sqrt(max(begin * begin + 4 * slope * count, 0.0))
    return 2 * count / (begin + root)


def arrival_offsets(profile: Profile) -> Iterator[float]:
    """The open model's intended start times, in seconds since the start, increasing, all before the end."""
    n = 0
    done = 0.0  # the integral of the rate over the stages already passed
    for start, duration, begin, end in _segments(profile):
        area = (begin + end) / 2 * duration
        while n < done + area:
            yield start + _time_of(n - done, begin, end, duration)
            n += 1
        done += area


def vu_steps(profile: Profile) -> Iterator[tuple[float, int]]:
    """The closed model's user count: (seconds since the start, count from then on), starting at 0 s."""
    count = math.floor(profile.start_target)
    yield 0.0, count
    for start, duration, begin, end in _segments(profile):
        if duration == 0:
            count = math.floor(end)
            yield start, count
            continue
        while count < math.floor(end):
            count += 1
            yield start + (count - begin) / (end - begin) * duration, count
        while count > math.ceil(end):
            count -= 1
            yield start + (begin - count) / (begin - end) * duration, count


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenStats:
    """What the open model did."""

    started: int
    """Requests started (each one ``fire`` call)."""
    dropped: int
    """Requests not started because ``max_in_flight`` were already running."""
    cancelled: int
    """Requests still running when the graceful stop ran out, then cancelled."""
    max_lag_ns: int
    """The largest schedule lag: how late the scheduler woke for an intended start."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedStats:
    """What the closed model did."""

    iterations: int
    """Iterations that finished (returned)."""
    cancelled: int
    """Iterations still running when the graceful stop ran out, then cancelled."""
    max_vus: int
    """The most virtual users running at once."""


class _InFlight:
    """Counts the open model's running requests; ``cancelled`` those cut short by the graceful stop."""

    def __init__(self, fire: Callable[[int], Awaitable[None]]) -> None:
        self.fire = fire
        self.running = 0
        self.cancelled = 0

    async def run(self, intended_ns: int) -> None:
        try:
            await self.fire(intended_ns)
        except trio.Cancelled:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


async def run_open(
    profile: Profile,
    fire: Callable[[int], Awaitable[None]],
    *,
    max_in_flight: int,
    clock_ns: Callable[[], int] = time.perf_counter_ns,
    on_lag: Callable[[int], None] | None = None,
    on_dropped: Callable[[int], None] | None = None,
) -> OpenStats:
    """Start ``fire(intended_ns)`` at each intended time of the profile's rate, without waiting for it.

    ``intended_ns`` is on ``clock_ns``: measure the latency as ``clock_ns() - intended_ns``. Each intended
    start reports its schedule lag (ns, never negative) to ``on_lag``; one that finds ``max_in_flight``
    requests running is not started but reported to ``on_dropped`` with its intended time. After the
    profile's length, requests in flight get ``graceful_stop`` to finish, then are cancelled.
    """
    flight = _InFlight(fire)
    started = dropped = max_lag = 0
    trio_start, ns_start = trio.current_time(), clock_ns()
    async with trio.open_nursery() as nursery:
        due = 0  # requests started since the last checkpoint
        for offset in arrival_offsets(profile):
            # a request already due starts without a trip through the run loop: a scheduler that
            # fell behind catches up in one batch instead of one loop cycle per late request
            if trio.current_time() < trio_start + offset or due >= _BATCH:
                await trio.sleep_until(trio_start + offset)
                due = 0
            due += 1
            intended_ns = ns_start + round(offset * _NS)
            lag = max(clock_ns() - intended_ns, 0)
            max_lag = max(max_lag, lag)
            if on_lag is not None:
                on_lag(lag)
            if flight.running >= max_in_flight:
                dropped += 1
                if on_dropped is not None:
                    on_dropped(intended_ns)
                continue
            flight.running += 1  # counted now: the task itself starts at the next checkpoint
            started += 1
            nursery.start_soon(flight.run, intended_ns)
        await trio.sleep_until(trio_start + profile.length.seconds)
        # leaving the block waits for the requests in flight; the deadline bounds that wait
        nursery.cancel_scope.deadline = trio.current_time() + profile.graceful_stop.seconds
    return OpenStats(started=started, dropped=dropped, cancelled=flight.cancelled, max_lag_ns=max_lag)


class _Users:
    """The closed model's virtual users: user ``vu`` keeps iterating while ``vu < wanted``."""

    def __init__(self, iteration: Callable[[int, int], Awaitable[None]], nursery: trio.Nursery) -> None:
        self.iteration = iteration
        self.nursery = nursery
        self.wanted = 0
        self.alive: set[int] = set()
        self.counts: dict[int, int] = {}  # iterations per user, kept when a user stops and comes back
        self.finished = 0
        self.cancelled = 0
        self.max_vus = 0

    def want(self, count: int) -> None:
        self.wanted = count
        for vu in range(count):
            # a user still finishing its last iteration sees the new count and simply goes on
            if vu not in self.alive:
                self.alive.add(vu)
                self.nursery.start_soon(self.user, vu)
        self.max_vus = max(self.max_vus, len(self.alive))

    async def user(self, vu: int) -> None:
        try:
            while vu < self.wanted:
                n = self.counts.get(vu, 0)
                self.counts[vu] = n + 1
                try:
                    await self.iteration(vu, n)
                except trio.Cancelled:
                    self.cancelled += 1
                    raise
                self.finished += 1
        finally:
            self.alive.discard(vu)


async def run_closed(
    profile: Profile,
    iteration: Callable[[int, int], Awaitable[None]],
    *,
    on_vus: Callable[[int], None] | None = None,
) -> ClosedStats:
    """Run virtual users following the profile's ramp, each looping ``await iteration(vu, n)``.

    ``vu`` numbers users from 0; ``n`` counts that user's iterations from 0. ``iteration`` must reach a
    checkpoint (any trio I/O or sleep does). ``on_vus`` hears each new user count. At the profile's
    length no new iteration starts; running ones get ``graceful_stop`` to finish, then are cancelled.
    """
    trio_start = trio.current_time()
    length = profile.length.seconds
    async with trio.open_nursery() as nursery:
        users = _Users(iteration, nursery)
        for offset, count in vu_steps(profile):
            if offset >= length:
                break
            await trio.sleep_until(trio_start + offset)
            users.want(count)
            if on_vus is not None:
                on_vus(count)
        await trio.sleep_until(trio_start + length)
        users.want(0)
        if on_vus is not None:
            on_vus(0)
        nursery.cancel_scope.deadline = trio.current_time() + profile.graceful_stop.seconds
    return ClosedStats(iterations=users.finished, cancelled=users.cancelled, max_vus=users.max_vus)
