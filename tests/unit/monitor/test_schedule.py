from __future__ import annotations

import pytest
import trio
import trio.testing

from mcpctl.engine.monitor.loop import run_schedule


async def _ticks(
    interval: float, work: dict[int, float], until: int
) -> tuple[float, list[tuple[int, float]], list[int]]:
    """Run the schedule until tick ``until``; ``work[k]`` is how long tick k takes."""
    started: list[tuple[int, float]] = []
    skips: list[int] = []
    start = trio.current_time()
    with trio.CancelScope() as scope:

        async def tick(k: int, due: float) -> None:
            started.append((k, trio.current_time() - start))
            assert due == pytest.approx(start + k * interval)
            if k >= until:
                scope.cancel()
            await trio.sleep(work.get(k, 0.0))

        await run_schedule(interval, tick, on_skip=skips.append)
    return start, started, skips


async def test_probes_start_at_start_plus_k_intervals(autojump_clock: trio.testing.MockClock) -> None:
    # each tick takes 0.3 of a 1.0 interval: an "interval after the end" schedule would drift by 0.3 a tick
    _, started, skips = await _ticks(1.0, dict.fromkeys(range(100), 0.3), until=99)
    assert [k for k, _ in started] == list(range(100))
    assert [at for _, at in started] == pytest.approx([float(k) for k in range(100)])
    assert skips == []


async def test_a_late_probe_is_skipped_not_queued(autojump_clock: trio.testing.MockClock) -> None:
    # tick 2 takes 2.5 intervals: the slots 3 and 4 pass meanwhile and are skipped, 5 runs on time
    _, started, skips = await _ticks(1.0, {2: 2.5}, until=6)
    assert started == [(0, 0.0), (1, 1.0), (2, 2.0), (5, 5.0), (6, 6.0)]
    assert skips == [2]


async def test_short_real_intervals_do_not_drift() -> None:
    _, started, skips = await _ticks(0.05, dict.fromkeys(range(20), 0.01), until=19)
    assert [k for k, _ in started] == list(range(20))
    for k, at in started:
        assert at == pytest.approx(k * 0.05, abs=0.03)
    assert skips == []
