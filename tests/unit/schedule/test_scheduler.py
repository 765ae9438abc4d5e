"""The scheduler on a fake clock: fire times across DST, no overlap, missed runs, jitter, the lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import trio

from mcpctl.engine.schedule.clock import TrioClock
from mcpctl.engine.schedule.cron import jitter_delay
from mcpctl.engine.schedule.scheduler import ScheduleEvent, Scheduler
from mcpctl.engine.schedule.state import EntryState, ScheduleLock, ScheduleState
from mcpctl.errors import UsageError
from mcpctl.spec.schedule_model import ScheduleSpec
from tests.unit.schedule.schedule_fixtures import FakeLauncher, iso, schedule

BERLIN = ZoneInfo("Europe/Berlin")


async def run_for(
    spec: ScheduleSpec,
    tmp_path: Path,
    start: datetime,
    seconds: float,
    launcher: FakeLauncher,
    *,
    seed: str = "test",
) -> list[ScheduleEvent]:
    events: list[ScheduleEvent] = []
    scheduler = Scheduler(
        spec,
        launcher=launcher,
        clock=TrioClock(start),
        state=ScheduleState(tmp_path, spec.metadata.name),
        on_event=events.append,
        seed=seed,
    )
    with trio.move_on_after(seconds):
        await scheduler.run()
    return events


def starts(events: list[ScheduleEvent], entry: str) -> list[str]:
    return [iso(e.scheduled.astimezone(BERLIN)) for e in events if e.kind == "start" and e.entry == entry]


DST_ENTRIES = """\
  - {name: every5, cron: "*/5 * * * *", timeZone: Europe/Berlin, specs: [suite.yaml]}
  - {name: daily, cron: "30 2 * * *", timeZone: Europe/Berlin, specs: [suite.yaml]}
"""


@pytest.mark.parametrize(
    ("day", "hours", "daily"),
    [
        ("2026-03-29", 23, ["2026-03-29T03:00:00+02:00"]),  # spring forward: 02:00 CET -> 03:00 CEST
        ("2026-10-25", 25, ["2026-10-25T02:30:00+02:00"]),  # fall back: 03:00 CEST -> 02:00 CET, once
    ],
)
async def test_every_five_minutes_over_a_dst_day(
    tmp_path: Path, autojump_clock: trio.testing.MockClock, day: str, hours: int, daily: list[str]
) -> None:
    spec = schedule(tmp_path, DST_ENTRIES)
    midnight = datetime.fromisoformat(day).replace(tzinfo=BERLIN)
    events = await run_for(spec, tmp_path, midnight, hours * 3600 + 1, FakeLauncher())
    # every 5 minutes of real time, 00:05 to the next midnight: 23 or 25 hours of them
    expected_utc = [midnight.astimezone(UTC) + timedelta(minutes=5 * k) for k in range(1, hours * 12 + 1)]
    assert starts(events, "every5") == [iso(t.astimezone(BERLIN)) for t in expected_utc]
    assert len(expected_utc) == {23: 276, 25: 300}[hours]
    assert starts(events, "daily") == daily


async def test_the_spring_gap_in_local_time(tmp_path: Path, autojump_clock: trio.testing.MockClock) -> None:
    spec = schedule(tmp_path, DST_ENTRIES)
    start = datetime(2026, 3, 29, 1, 50, tzinfo=BERLIN)
    events = await run_for(spec, tmp_path, start, 20 * 60 + 1, FakeLauncher())
    assert starts(events, "every5") == [
        "2026-03-29T01:55:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:05:00+02:00",
        "2026-03-29T03:10:00+02:00",
    ]


OVERLAP = '  - {{name: slow, cron: "*/5 * * * *", missed: {missed}, specs: [suite.yaml]}}\n'


async def test_a_run_that_outlasts_its_interval_is_not_overlapped(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    spec = schedule(tmp_path, OVERLAP.format(missed="skip"))
    launcher = FakeLauncher(seconds=12 * 60)
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    events = await run_for(spec, tmp_path, start, 30 * 60 + 1, launcher)
    assert launcher.most == 1
    lines = [(e.kind, e.scheduled.strftime("%H:%M") if e.scheduled else "") for e in events]
    assert lines == [
        ("start", "12:05"),
        ("skipped", "12:10"),
        ("skipped", "12:15"),
        ("end", "12:05"),
        ("start", "12:20"),
        ("skipped", "12:25"),
        ("skipped", "12:30"),
    ]
    assert events[1].detail == "the previous run is still going"


async def test_run_once_queues_one_catch_up_run(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    spec = schedule(tmp_path, OVERLAP.format(missed="run-once"))
    launcher = FakeLauncher(seconds=12 * 60)
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    events = await run_for(spec, tmp_path, start, 30 * 60 + 1, launcher)
    assert launcher.most == 1
    started = [
        (e.at.strftime("%H:%M"), e.scheduled.strftime("%H:%M"))
        for e in events
        if e.kind == "start" and e.scheduled
    ]
    # 12:10 and 12:15 found 12:05's run going: one catch-up (for 12:15) starts when it ends at 12:17
    assert started == [("12:05", "12:05"), ("12:17", "12:15"), ("12:29", "12:25")]
    assert events[1].detail == "the previous run is still going (one catch-up run follows it)"


MISSED = '  - {{name: tenth, cron: "*/10 * * * *", missed: {missed}, specs: [suite.yaml]}}\n'


@pytest.mark.parametrize(
    ("missed", "detail", "first_start"),
    [
        ("skip", "while the scheduler was down: skipped", ("12:10", "12:10")),
        ("run-once", "while the scheduler was down: one catch-up run now", ("12:00", "12:00")),
    ],
)
async def test_runs_missed_while_down_follow_the_policy(
    tmp_path: Path,
    autojump_clock: trio.testing.MockClock,
    missed: str,
    detail: str,
    first_start: tuple[str, str],
) -> None:
    spec = schedule(tmp_path, MISSED.format(missed=missed))
    start = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)
    state = ScheduleState(tmp_path, "nightly")
    state.save({"tenth": EntryState(last_fire=datetime(2026, 6, 1, 11, 30, tzinfo=UTC), last_exit=0)})
    events = await run_for(spec, tmp_path, start, 10 * 60, FakeLauncher())
    missed_events = [e for e in events if e.kind == "missed"]
    assert [(e.count, iso(e.scheduled), e.detail) for e in missed_events] == [
        (3, "2026-06-01T12:00:00+00:00", detail)
    ]
    first = next(e for e in events if e.kind == "start")
    assert first.scheduled is not None
    assert (first.at.strftime("%H:%M"), first.scheduled.strftime("%H:%M")) == first_start
    assert ScheduleState(tmp_path, "nightly").load()["tenth"].last_fire == datetime(
        2026, 6, 1, 12, 10, tzinfo=UTC
    )


async def test_jitter_delays_each_run_within_its_bounds(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    spec = schedule(tmp_path, '  - {name: j, cron: "*/5 * * * *", jitter: 90s, specs: [suite.yaml]}\n')
    entry = spec.entries[0]
    start = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    launcher = FakeLauncher()
    events = await run_for(spec, tmp_path, start, 3600, launcher, seed="a")
    runs = [e for e in events if e.kind == "start" and e.scheduled is not None]
    assert len(runs) == 11  # 12:05 .. 12:55; 13:00 + its delay is past the hour
    delays = [(e.at - e.scheduled).total_seconds() for e in runs if e.scheduled]
    assert all(0 <= d <= 90 for d in delays)
    assert len({round(d, 3) for d in delays}) == len(delays)  # not one fixed offset
    assert delays == pytest.approx(
        [jitter_delay(entry, e.scheduled, seed="a").total_seconds() for e in runs if e.scheduled]
    )
    fire = datetime(2026, 6, 1, 12, 5, tzinfo=UTC)
    assert jitter_delay(entry, fire, seed="a") == jitter_delay(entry, fire, seed="a")
    assert jitter_delay(entry, fire, seed="a") != jitter_delay(entry, fire, seed="b")


def test_a_second_scheduler_on_the_same_state_is_refused(tmp_path: Path) -> None:
    with ScheduleLock(tmp_path, "nightly"):
        with pytest.raises(UsageError) as refused, ScheduleLock(tmp_path, "nightly"):
            pass
        path = tmp_path / "schedules" / "nightly.lock"
        import os

        assert str(refused.value) == (
            f"schedule 'nightly' is already running (pid {os.getpid()} holds {path}): "
            "stop that scheduler first, or use another --state-dir"
        )
    with ScheduleLock(tmp_path, "nightly"):  # released on exit
        pass
