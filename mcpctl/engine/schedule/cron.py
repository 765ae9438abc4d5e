"""When an entry fires: its cron expression read in its time zone by cronsim, and its seeded jitter.

Times go in and out as aware UTC datetimes; cronsim walks local time in the entry's zone and follows
Debian cron across daylight-saving changes (a job at a fixed hour that falls in the spring gap runs at
the first valid minute after it; one in the repeated autumn hour runs once; ``*/5`` keeps its step in
real time).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim

from mcpctl.spec.schedule_model import ScheduleEntry

MISSED_COUNT_LIMIT = 10_000
"""Missed fires counted at most (a long outage of a frequent entry is reported as 10000+)."""


def fires_after(entry: ScheduleEntry, after: datetime) -> Iterator[datetime]:
    """The entry's fire times strictly after ``after``, in UTC, forever."""
    local = after.astimezone(ZoneInfo(entry.time_zone))
    for fire in CronSim(entry.cron, local):
        yield fire.astimezone(UTC)


def next_fire(entry: ScheduleEntry, after: datetime) -> datetime:
    """The first fire time strictly after ``after`` (UTC)."""
    return next(fires_after(entry, after))


def fires_between(entry: ScheduleEntry, start: datetime, end: datetime) -> list[datetime]:
    """Fire times in ``(start, end]`` (at most :data:`MISSED_COUNT_LIMIT` of them)."""
    found = []
    for fire in islice(fires_after(entry, start), MISSED_COUNT_LIMIT):
        if fire > end:
            break
        found.append(fire)
    return found


def jitter_delay(entry: ScheduleEntry, fire: datetime, *, seed: str) -> timedelta:
    """How long after ``fire`` the run starts: uniform in ``[0, jitter]``, the same for the same seed,
    entry and fire time (so a restarted scheduler, and a test, sees the same delays)."""
    if entry.jitter.seconds <= 0:
        return timedelta(0)
    rng = random.Random(f"{seed}/{entry.name}/{fire.isoformat()}")
    return timedelta(seconds=rng.uniform(0.0, entry.jitter.seconds))


def stable_offset(entry: ScheduleEntry, *, seed: str) -> int:
    """A whole number of seconds in ``[0, jitter]`` fixed per entry and seed (Jenkins' ``H``): what
    crontab lines sleep, since system cron has no jitter of its own."""
    if entry.jitter.seconds <= 0:
        return 0
    return random.Random(f"{seed}/{entry.name}").randint(0, int(entry.jitter.seconds))


def local(moment: datetime, entry: ScheduleEntry) -> datetime:
    """``moment`` in the entry's time zone."""
    return moment.astimezone(ZoneInfo(entry.time_zone))
