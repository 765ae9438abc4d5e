"""The load models' scheduling core, under trio's MockClock (autojump): exact and instant."""

from __future__ import annotations

import itertools
import math
import time

import pytest
import trio
import trio.lowlevel
import trio.testing

from mcpctl.engine.load.schedule import (
    arrival_offsets,
    run_closed,
    run_open,
    target_at,
    vu_steps,
)
from mcpctl.spec.load_model import LoadModel, Profile, Stage
from mcpctl.spec.units import Duration


def profile(
    *stages: tuple[float, float], start: float = 0.0, model: LoadModel = "arrival-rate", grace: float = 30.0
) -> Profile:
    return Profile(
        model=model,
        stages=tuple(Stage(duration=Duration(seconds=d), target=t) for d, t in stages),
        start_target=start,
        graceful_stop=Duration(seconds=grace),
    )


def mock_ns() -> int:
    return round(trio.current_time() * 1_000_000_000)


# target_at


def test_target_ramps_linearly_from_the_previous_stage() -> None:
    p = profile((10, 100), (5, 100), (10, 0), start=20)
    assert [target_at(p, t) for t in (0, 5, 10, 12, 15, 20, 24, 25, 30)] == [
        20.0, 60.0, 100.0, 100.0, 100.0, 50.0, 10.0, 0.0, 0.0,
    ]  # fmt: skip


def test_target_jumps_at_a_zero_length_stage() -> None:
    p = profile((0, 50), (10, 50))
    assert [target_at(p, 0), target_at(p, 9.9)] == [50.0, 50.0]


# open model: the analytic schedule


def test_a_constant_rate_is_evenly_spaced() -> None:
    offsets = list(arrival_offsets(profile((10, 100), start=100)))
    assert len(offsets) == 1000
    assert offsets == [n / 100 for n in range(1000)]


def test_a_ramp_solves_the_integral_exactly() -> None:
    offsets = list(arrival_offsets(profile((10, 100))))
    # the integral of a 0 -> 100/s ramp over 10 s is 5 t²: request n starts at sqrt(n / 5)
    assert len(offsets) == 500
    assert all(math.isclose(t, math.sqrt(n / 5), rel_tol=1e-12, abs_tol=1e-12) for n, t in enumerate(offsets))


def test_stages_chain_and_a_ramp_down_ends_before_the_end() -> None:
    offsets = list(arrival_offsets(profile((2, 10), (2, 0), start=10)))
    # 20 at 10/s, then a 10 -> 0 ramp over 2 s holding 10: integral 10 t - 2.5 t²
    assert len(offsets) == 30
    assert offsets[:20] == [n / 10 for n in range(20)]
    for m, t in enumerate(offsets[20:]):
        assert math.isclose(10 * (t - 2) - 2.5 * (t - 2) ** 2, m, abs_tol=1e-9)
    assert offsets[-1] < 4


def test_a_zero_rate_sends_nothing_until_it_rises() -> None:
    offsets = list(arrival_offsets(profile((5, 0), (1, 10), (1, 10))))
    assert len(offsets) == 15
    assert offsets[0] == 5.0


# open model: running it


async def test_a_constant_100_per_second_for_10_s_fires_1000_on_schedule(
    autojump_clock: trio.testing.MockClock,
) -> None:
    intended: list[int] = []
    lags: list[int] = []

    async def fire(intended_ns: int) -> None:
        intended.append(intended_ns)
        await trio.sleep(0.5)  # a slow server: the schedule does not wait for it

    start = trio.current_time()
    stats = await run_open(
        profile((10, 100), start=100), fire, max_in_flight=1000, clock_ns=mock_ns, on_lag=lags.append
    )
    assert (stats.started, stats.dropped, stats.cancelled, stats.max_lag_ns) == (1000, 0, 0, 0)
    assert lags == [0] * 1000
    assert intended == [n * 10_000_000 for n in range(1000)]
    assert trio.current_time() - start == pytest.approx(10.49)  # the last one, at 9.99 s, took 0.5 s


async def test_a_ramp_fires_500_at_the_analytic_times(autojump_clock: trio.testing.MockClock) -> None:
    intended: list[int] = []

    async def fire(intended_ns: int) -> None:
        intended.append(intended_ns)
        assert mock_ns() == intended_ns  # started on time: latency measured from here is exact

    stats = await run_open(profile((10, 100)), fire, max_in_flight=1000, clock_ns=mock_ns)
    assert (stats.started, stats.dropped, stats.max_lag_ns) == (500, 0, 0)
    assert all(a < b for a, b in itertools.pairwise(intended))
    assert all(abs(ns - round(math.sqrt(n / 5) * 1e9)) <= 1 for n, ns in enumerate(intended))


async def test_requests_above_max_in_flight_are_dropped(autojump_clock: trio.testing.MockClock) -> None:
    dropped: list[int] = []
    release = trio.Event()

    async def fire(intended_ns: int) -> None:
        await release.wait()

    async def unblock() -> None:
        await trio.sleep(0.495)  # just before the request of 0.5 s, not at the same instant
        release.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(unblock)
        stats = await run_open(
            profile((1, 100), start=100), fire, max_in_flight=10, clock_ns=mock_ns, on_dropped=dropped.append
        )
    # 10 start at 0..90 ms and block; 40 are dropped until 0.495 s; the other 50 run instantly
    assert (stats.started, stats.dropped, stats.cancelled) == (60, 40, 0)
    assert dropped == [n * 10_000_000 for n in range(10, 50)]


@pytest.mark.parametrize(("grace", "cancelled", "took"), [(2, 0, 2.9), (1, 1, 2.0)])
async def test_the_graceful_stop_waits_then_cancels(
    autojump_clock: trio.testing.MockClock, grace: float, cancelled: int, took: float
) -> None:
    finished: list[int] = []

    async def fire(intended_ns: int) -> None:
        await trio.sleep(2.9 if not finished and intended_ns == 0 else 1)
        finished.append(intended_ns)

    start = trio.current_time()
    stats = await run_open(profile((1, 2), start=2, grace=grace), fire, max_in_flight=10, clock_ns=mock_ns)
    # at 1 s both are running: the one from 0.5 s ends at 1.5 s, the one from 0 s at 2.9 s
    assert (stats.started, stats.cancelled) == (2, cancelled)
    assert finished == [500_000_000, 0][: 2 - cancelled]
    assert trio.current_time() - start == pytest.approx(took)


async def test_lag_is_measured_on_the_ns_clock(autojump_clock: trio.testing.MockClock) -> None:
    lags: list[int] = []

    readings = iter([0, 2_000, 2_000, 2_000])  # the start, then each wake 2 µs late

    def late_ns() -> int:
        return mock_ns() + next(readings)

    async def fire(intended_ns: int) -> None:
        pass

    stats = await run_open(
        profile((1, 3), start=3), fire, max_in_flight=10, clock_ns=late_ns, on_lag=lags.append
    )
    assert lags == [2_000, 2_000, 2_000]
    assert stats.max_lag_ns == 2_000


async def test_a_late_scheduler_starts_the_overdue_requests_in_one_batch() -> None:
    # real clock: the first request blocks the run loop for 50 ms, so ~50 of the next requests
    # (1000/s) are overdue when the scheduler wakes; they must start without a loop cycle each
    started: list[int] = []
    cycles = 0

    async def ticker() -> None:
        nonlocal cycles
        while True:
            await trio.lowlevel.checkpoint()
            cycles += 1

    async def fire(intended_ns: int) -> None:
        if not started:
            time.sleep(0.05)  # noqa: ASYNC251 -- blocking the run loop is the point
        started.append(cycles)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        stats = await run_open(profile((0.1, 1000), start=1000), fire, max_in_flight=1000)
        nursery.cancel_scope.cancel()
    assert stats.started == 100
    overdue = started[1:45]  # all of them were due when the blocked loop came back
    assert max(overdue) - min(overdue) <= 1
    assert stats.max_lag_ns >= 40_000_000


# closed model


def test_vu_steps_change_where_the_ramp_crosses_an_integer() -> None:
    p = profile((10, 10), (5, 10), (4, 2), model="vus")
    assert list(vu_steps(p)) == [
        (0.0, 0), (1.0, 1), (2.0, 2), (3.0, 3), (4.0, 4), (5.0, 5), (6.0, 6), (7.0, 7), (8.0, 8), (9.0, 9),
        (10.0, 10), (15.5, 9), (16.0, 8), (16.5, 7), (17.0, 6), (17.5, 5), (18.0, 4), (18.5, 3), (19.0, 2),
    ]  # fmt: skip


async def test_running_users_follow_the_ramp(autojump_clock: trio.testing.MockClock) -> None:
    running: set[int] = set()
    samples: list[int] = []
    iterations: dict[int, int] = {}

    async def iteration(vu: int, n: int) -> None:
        assert n == iterations.get(vu, 0)
        iterations[vu] = n + 1
        running.add(vu)
        try:
            await trio.sleep(0.3)  # never ends exactly at a step (users start on whole seconds)
        finally:
            running.discard(vu)

    async def sample() -> None:
        # 0.4 s after each step: users told to stop at it have finished their 0.3 s iteration
        for k in range(1, 21):
            await trio.sleep_until(start + k + 0.4)
            samples.append(len(running))

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sample)
        stats = await run_closed(profile((10, 10), (5, 10), (5, 0), model="vus"), iteration)
    assert samples == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10, 10, 8, 6, 4, 2, 0]
    assert stats.max_vus == 10
    assert stats.cancelled == 0
    assert stats.iterations == sum(iterations.values())


async def test_users_above_the_target_finish_their_iteration(autojump_clock: trio.testing.MockClock) -> None:
    log: list[tuple[float, int, str]] = []

    async def iteration(vu: int, n: int) -> None:
        log.append((trio.current_time(), vu, "start"))
        await trio.sleep(3)
        log.append((trio.current_time(), vu, "end"))

    counts: list[int] = []
    # 2 users, then 1 from 1 s: user 1 ends its iteration at 3 s and does not start another
    stats = await run_closed(
        profile((0, 2), (1, 2), (0, 1), (6, 1), model="vus"), iteration, on_vus=counts.append
    )
    assert counts == [0, 2, 1, 0]
    assert [entry for entry in log if entry[1] == 1] == [(0.0, 1, "start"), (3.0, 1, "end")]
    assert [entry[0] for entry in log if entry[1] == 0] == [0.0, 3.0, 3.0, 6.0, 6.0, 9.0]
    assert (stats.iterations, stats.cancelled, stats.max_vus) == (4, 0, 2)


async def test_the_graceful_stop_cancels_iterations_still_running(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled: list[int] = []

    async def iteration(vu: int, n: int) -> None:
        try:
            await trio.sleep(10)
        except trio.Cancelled:
            cancelled.append(vu)
            raise

    start = trio.current_time()
    stats = await run_closed(profile((0, 3), (2, 3), model="vus", grace=5), iteration)
    assert trio.current_time() - start == pytest.approx(7)
    assert sorted(cancelled) == [0, 1, 2]
    assert (stats.iterations, stats.cancelled, stats.max_vus) == (0, 3, 3)
