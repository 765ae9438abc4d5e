"""``memoryLimit``: :meth:`MemoryGuard.admit` against a fake resident size (``rss_bytes`` patched) and a
fake run, on trio's autojump clock: under 90 % of the limit a step starts at once; between 90 % and
the limit it waits while steps are in flight; above the limit the run stops with one clear reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import trio

from mcpctl.engine.batch import memory
from mcpctl.engine.batch.memory import MemoryGuard, format_bytes
from mcpctl.engine.batch.run import Stop

MIB = 1024 * 1024
LIMIT = 10 * MIB
CROSSED = "memory limit 10.0 MiB crossed (resident {}); raise memoryLimit and resume with `mcpctl apply --resume {}`"


@dataclass
class FakeRun:
    """What the guard reads and calls of a RunContext."""

    in_flight: int = 0
    run_id: str = "run-1"
    stopped: Stop | None = None
    reasons: list[str] = field(default_factory=list)

    def stop(self, reason: str, *, interrupted: bool = False) -> None:
        self.reasons.append(reason)
        if self.stopped is None:
            self.stopped = Stop(reason=reason, interrupted=interrupted)


@dataclass
class FakeRss:
    value: int = 0
    reads: int = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.value


@pytest.fixture
def rss(monkeypatch: pytest.MonkeyPatch) -> FakeRss:
    fake = FakeRss()
    monkeypatch.setattr(memory, "rss_bytes", fake)
    return fake


async def admit(guard: MemoryGuard, run: FakeRun) -> float:
    """Admit one step; the seconds it waited (on the autojump clock)."""
    start = trio.current_time()
    await guard.admit(run)  # type: ignore[arg-type]
    return trio.current_time() - start


async def test_without_a_limit_nothing_is_measured(rss: FakeRss, autojump_clock: object) -> None:
    rss.value = 100 * LIMIT
    run = FakeRun(in_flight=5)
    assert await admit(MemoryGuard(None), run) == 0
    assert (rss.reads, run.stopped) == (0, None)


@pytest.mark.parametrize("resident", [0, LIMIT // 2, LIMIT * 9 // 10])
async def test_up_to_90_percent_a_step_starts_at_once(
    rss: FakeRss, autojump_clock: object, resident: int
) -> None:
    rss.value = resident
    guard = MemoryGuard(LIMIT)
    run = FakeRun(in_flight=7)
    assert await admit(guard, run) == 0
    assert run.stopped is None
    assert guard.peak == resident


@pytest.mark.parametrize("resident", [LIMIT * 9 // 10 + 1, LIMIT])
async def test_above_90_percent_a_step_waits_for_the_steps_in_flight(
    rss: FakeRss, autojump_clock: object, resident: int
) -> None:
    rss.value = resident
    run = FakeRun(in_flight=2)
    admitted: list[float] = []

    async def one() -> None:
        admitted.append(await admit(MemoryGuard(LIMIT), run))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(one)
        await trio.sleep(5)
        assert admitted == []  # still waiting: two steps in flight
        run.in_flight = 1
        await trio.sleep(5)
        assert admitted == []
        run.in_flight = 0
    assert admitted[0] == pytest.approx(10, abs=0.05)
    assert (run.stopped, run.reasons) == (None, [])


async def test_above_90_percent_with_nothing_in_flight_a_step_starts(
    rss: FakeRss, autojump_clock: object
) -> None:
    rss.value = LIMIT
    run = FakeRun(in_flight=0)
    assert await admit(MemoryGuard(LIMIT), run) == 0
    assert run.stopped is None


async def test_a_waiting_step_starts_once_memory_falls_under_90_percent(
    rss: FakeRss, autojump_clock: object
) -> None:
    rss.value = LIMIT * 95 // 100
    run = FakeRun(in_flight=3)
    admitted: list[float] = []

    async def one() -> None:
        admitted.append(await admit(MemoryGuard(LIMIT), run))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(one)
        await trio.sleep(2)
        rss.value = LIMIT * 80 // 100
    assert admitted[0] == pytest.approx(2, abs=0.05)
    assert run.in_flight == 3
    assert run.stopped is None


async def test_a_waiting_step_returns_when_something_else_stops_the_run(
    rss: FakeRss, autojump_clock: object
) -> None:
    rss.value = LIMIT * 95 // 100
    run = FakeRun(in_flight=3)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(admit, MemoryGuard(LIMIT), run)
        await trio.sleep(1)
        run.stop("interrupted (Ctrl-C)", interrupted=True)
    assert run.reasons == ["interrupted (Ctrl-C)"]  # the guard added no reason of its own


@pytest.mark.parametrize("in_flight", [0, 4])
async def test_above_the_limit_the_run_stops_at_once_with_a_clear_message(
    rss: FakeRss, autojump_clock: object, in_flight: int
) -> None:
    rss.value = LIMIT + 1024 * 1024 // 2
    guard = MemoryGuard(LIMIT)
    run = FakeRun(in_flight=in_flight)
    assert await admit(guard, run) == 0
    assert run.stopped == Stop(reason=CROSSED.format("10.5 MiB", "run-1"), interrupted=False)
    assert run.reasons == [CROSSED.format("10.5 MiB", "run-1")]
    assert guard.peak == LIMIT + MIB // 2


async def test_crossing_the_limit_while_waiting_stops_the_run(rss: FakeRss, autojump_clock: object) -> None:
    rss.value = LIMIT * 95 // 100
    run = FakeRun(in_flight=1)
    guard = MemoryGuard(LIMIT)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(admit, guard, run)
        await trio.sleep(1)
        rss.value = 2 * LIMIT
    assert run.reasons == [CROSSED.format("20.0 MiB", "run-1")]
    assert guard.peak == 2 * LIMIT


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (MIB, "1.0 MiB"),
        (3 * 1024 * MIB, "3.0 GiB"),
    ],
)
def test_sizes_are_shown_in_binary_units(size: int, text: str) -> None:
    assert format_bytes(size) == text
