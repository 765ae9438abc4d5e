"""``mcpctl schedule run|crontab|next``: run a Schedule's entries on their cron times, print them as crontab
lines and Kubernetes CronJobs, or list their next fire times."""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import trio

from mcpctl.cli.handler import EXIT_OK, run_async, until_signalled
from mcpctl.engine.results import counted
from mcpctl.engine.schedule.clock import SystemClock
from mcpctl.engine.schedule.cron import fires_after, local, next_fire
from mcpctl.engine.schedule.export import DEFAULT_IMAGE, DEFAULT_WORKDIR, cronjobs, crontab
from mcpctl.engine.schedule.launch import ProcessLauncher
from mcpctl.engine.schedule.scheduler import ScheduleEvent, Scheduler
from mcpctl.engine.schedule.state import ScheduleLock, ScheduleState
from mcpctl.errors import UsageError
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.schedule_model import ScheduleEntry, ScheduleSpec

FORMATS = ("all", "crontab", "cronjob")


def pick_schedule(specs: SpecSet, name: str | None) -> ScheduleSpec:
    """The Schedule named ``name``, or the only one."""
    found = [s for s in specs.schedules if name is None or s.metadata.name == name]
    if len(found) == 1:
        return found[0]
    known = ", ".join(s.metadata.name for s in specs.schedules)
    if not specs.schedules:
        raise UsageError("no Schedule document in the given files")
    if name is not None and not found:
        raise UsageError(f"no Schedule named {name!r} (schedules: {known})")
    raise UsageError(f"the files hold several Schedules ({known}): pick one with --name")


def _load(paths: Sequence[str], name: str | None) -> tuple[SpecSet, ScheduleSpec]:
    specs = load_specs(list(paths))
    return specs, pick_schedule(specs, name)


def run_schedule(paths: Sequence[str], *, name: str | None, state_dir: Path, seed: str | None) -> int:
    """Run the schedule until interrupted, printing each run's start and end. Every entry's specs are
    validated first (exit 2 when one is invalid). Exit 130 on Ctrl-C, 143 on SIGTERM, after the
    running children are stopped."""
    specs, spec = _load(paths, name)
    for entry in spec.entries:  # fail now, not at 3 a.m.
        load_specs(list(entry.specs), servers_files=list(entry.servers_files))
    with ScheduleLock(state_dir, spec.metadata.name):
        scheduler = Scheduler(
            spec,
            launcher=ProcessLauncher(state_dir=str(state_dir.absolute())),
            clock=SystemClock(),
            state=ScheduleState(state_dir, spec.metadata.name),
            on_event=partial(print_event, spec),
            seed=seed if seed is not None else f"{socket.gethostname()}/{spec.metadata.name}",
            redact=specs.secrets.redact,
        )
        return run_async(partial(_main, scheduler))


async def _main(scheduler: Scheduler) -> int:
    async def serve() -> int:
        async with trio.open_nursery() as nursery:
            await nursery.start(scheduler.run)
            _print_ready(scheduler.spec)
        return EXIT_OK

    # SIGTERM (systemd, Kubernetes) stops the runs too
    return await until_signalled(serve)


def _print_ready(spec: ScheduleSpec) -> None:
    now = datetime.now(UTC)
    upcoming = ", ".join(f"{e.name} at {_when(next_fire(e, now), e)}" for e in spec.entries)
    print(
        f"schedule {spec.metadata.name}: {_entries(len(spec.entries))}; next: {upcoming}",
        file=sys.stderr,
        flush=True,
    )


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _when(moment: datetime, entry: ScheduleEntry) -> str:
    return local(moment, entry).isoformat(timespec="seconds")


def format_event(spec: ScheduleSpec, event: ScheduleEvent) -> str:
    """One line for ``event``, times in its entry's time zone."""
    entry = next((e for e in spec.entries if e.name == event.entry), None)
    zone = ZoneInfo(entry.time_zone if entry is not None else "UTC")
    at = event.at.astimezone(zone).isoformat(timespec="seconds")
    scheduled = event.scheduled.astimezone(zone).isoformat(timespec="seconds") if event.scheduled else ""
    head = f"{at} {event.entry}:"
    if event.kind == "start":
        return f"{head} started (scheduled {scheduled})"
    if event.kind == "end":
        return f"{head} finished with exit code {event.exit_code} in {event.seconds or 0:.1f}s"
    if event.kind == "skipped":
        return f"{head} skipped the run of {scheduled}: {event.detail}"
    if event.kind == "missed":
        return f"{head} missed {counted(event.count, 'run')} (the last at {scheduled}) {event.detail}"
    what = "ping" if event.kind == "ping-failed" else "notification"
    return f"{head} {what} failed: {event.detail}"


def print_event(spec: ScheduleSpec, event: ScheduleEvent) -> None:
    """Runs on stdout; failed pings and notifications on stderr."""
    failed = event.kind in ("ping-failed", "notify-failed")
    print(format_event(spec, event), file=sys.stderr if failed else sys.stdout, flush=True)


def run_crontab(
    paths: Sequence[str],
    *,
    name: str | None,
    output_format: str,
    state_dir: str | None,
    image: str = DEFAULT_IMAGE,
    workdir: str = DEFAULT_WORKDIR,
) -> int:
    """Print the schedule as crontab lines, as Kubernetes CronJobs, or both (``all``)."""
    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: expected {', '.join(FORMATS)}")
    _, spec = _load(paths, name)
    parts = []
    if output_format in ("all", "crontab"):
        parts.append(crontab(spec, state_dir=state_dir))
    if output_format in ("all", "cronjob"):
        jobs = cronjobs(spec, image=image, workdir=workdir, state_dir=state_dir)
        head = "# Kubernetes CronJobs (kubectl apply -f -); mount the schedule's directory at " + workdir
        parts.append(f"{head}\n---\n{jobs}" if output_format == "all" else jobs)
    sys.stdout.write("\n".join(parts))
    return EXIT_OK


def run_next(paths: Sequence[str], *, name: str | None, count: int, after: str | None) -> int:
    """Print each entry's next ``count`` fire times (after ``after``, an ISO time; default now)."""
    _, spec = _load(paths, name)
    start = datetime.now(UTC)
    if after is not None:
        try:
            start = datetime.fromisoformat(after)
        except ValueError:
            raise UsageError(
                f"--after {after!r}: expected an ISO 8601 time, e.g. 2026-03-29T00:00+01:00"
            ) from None
        if start.tzinfo is None:
            raise UsageError(f"--after {after!r}: give a UTC offset, e.g. 2026-03-29T00:00+01:00")
    for entry in spec.entries:
        print(f"{entry.name} ({entry.cron}, {entry.time_zone}):")
        fires = fires_after(entry, start)
        for _ in range(count):
            print(f"  {_when(next(fires), entry)}")
    return EXIT_OK
