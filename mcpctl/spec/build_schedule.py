"""A ``Schedule`` document, from validated YAML to :mod:`mcpctl.spec.schedule_model` records.

Rules the schema leaves open: a ``cron`` expression has five fields and cronsim accepts it (its own
message is reported); a ``timeZone`` is a name of the zoneinfo database; every ``specs`` and ``servers``
path exists (relative ones are read from the schedule file's directory); entry names are unique; every
receiver ``notify`` names is one of the document's (or ``console``); a ``timeout`` is longer than 0s. An
entry without ``timeZone``, ``jitter``, ``missed``, ``timeout`` or ``notify`` takes the one of
``defaults`` (else UTC, 0s, skip, 1h, nobody). The specs an entry runs are checked when it runs (they may
change between runs, as GitOps files do); ``mcpctl schedule run`` checks them all once at start.
"""

from __future__ import annotations

import difflib
import os
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import get_args

from cronsim import CronSim, CronSimError

from mcpctl.spec.alert_model import CONSOLE
from mcpctl.spec.build_receivers import build_receivers
from mcpctl.spec.build_suite import duration, resolve
from mcpctl.spec.model import Metadata
from mcpctl.spec.schedule_model import (
    DEFAULT_JITTER,
    DEFAULT_NOTIFY_ON,
    DEFAULT_TIME_ZONE,
    DEFAULT_TIMEOUT,
    MissedPolicy,
    Notify,
    NotifyOn,
    ScheduleEntry,
    ScheduleSpec,
)
from mcpctl.spec.semantics import check_unique, one_of
from mcpctl.spec.units import Duration
from mcpctl.spec.validate import Cursor

CRON_FIELDS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class _Settings:
    """What an entry may say or take from ``defaults``."""

    time_zone: str = DEFAULT_TIME_ZONE
    jitter: Duration = DEFAULT_JITTER
    missed: MissedPolicy = "skip"
    timeout: Duration = DEFAULT_TIMEOUT
    notify: Notify | None = None


def build_schedule(doc: Cursor, *, metadata: Metadata, spec_hash: str, base_dir: str) -> ScheduleSpec:
    """The Schedule document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    receivers_field = doc.get("receivers")
    receivers = build_receivers(receivers_field)
    known = {CONSOLE} | {
        str(entry.required("name").plain())
        for entry in (receivers_field.elements() if receivers_field is not None else [])
    }
    defaults = _settings(doc.get("defaults"), _Settings(), known)
    entries = doc.required("entries").elements()
    check_unique([(str(e.required("name").plain()), e.required("name")) for e in entries], "entry")
    return ScheduleSpec(
        metadata=metadata,
        entries=tuple(_entry(entry, defaults, known, base_dir) for entry in entries),
        receivers=receivers,
        base_dir=base_dir,
        spec_hash=spec_hash,
        source=doc.source(),
    )


def _settings(cursor: Cursor | None, inherited: _Settings, known: set[str]) -> _Settings:
    if cursor is None:
        return inherited
    zone = cursor.get("timeZone")
    if zone is not None:
        check_time_zone(zone)
    timeout = duration(cursor.get("timeout"))
    if timeout is not None and timeout.seconds <= 0:
        cursor.required("timeout").error("must be longer than 0s")
    missed = cursor.text("missed")
    notify = cursor.get("notify")
    return _Settings(
        time_zone=str(zone.plain()) if zone is not None else inherited.time_zone,
        jitter=duration(cursor.get("jitter")) or inherited.jitter,
        missed=one_of(missed, get_args(MissedPolicy), "skip") if missed else inherited.missed,
        timeout=timeout or inherited.timeout,
        notify=_notify(notify, known) if notify is not None else inherited.notify,
    )


def _entry(entry: Cursor, defaults: _Settings, known: set[str], base_dir: str) -> ScheduleEntry:
    settings = _settings(entry, defaults, known)
    cron = entry.required("cron")
    check_cron(cron)
    specs = _paths(entry.required("specs"), base_dir, "spec")
    servers = entry.get("servers")
    servers_files = _paths(servers, base_dir, "servers file") if servers is not None else ()
    return ScheduleEntry(
        name=str(entry.required("name").plain()),
        cron=" ".join(str(cron.plain()).split()),
        time_zone=settings.time_zone,
        specs=specs,
        written_specs=tuple(str(e.plain()) for e in entry.required("specs").elements()),
        servers_files=servers_files,
        written_servers=tuple(str(e.plain()) for e in servers.elements()) if servers is not None else (),
        baseline=entry.text("baseline"),
        jitter=settings.jitter,
        missed=settings.missed,
        timeout=settings.timeout,
        ping=entry.text("ping"),
        notify=settings.notify,
        source=entry.source(),
    )


def check_cron(cursor: Cursor) -> None:
    """Report a cron expression that is not five fields cronsim accepts."""
    text = str(cursor.plain())
    fields = len(text.split())
    if fields != CRON_FIELDS:
        cursor.error(
            f"a cron expression has five fields (minute hour day-of-month month day-of-week); "
            f"{text!r} has {fields}"
        )
        return
    try:
        CronSim(text, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        cursor.error(f"invalid cron expression {text!r}: {exc}")


def check_time_zone(cursor: Cursor) -> None:
    """Report a time zone the zoneinfo database does not know, with the nearest names."""
    name = str(cursor.plain())
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        near = difflib.get_close_matches(name, _zones(), n=1)
        hint = f"did you mean {near[0]!r}?" if near else "an IANA name such as Europe/Berlin or UTC"
        cursor.error(f"unknown time zone {name!r} ({hint})")


@cache
def _zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _paths(cursor: Cursor, base_dir: str, what: str) -> tuple[str, ...]:
    found = []
    for element in cursor.elements():
        written = str(element.plain())
        path = resolve(base_dir, written)
        if not os.path.exists(path):
            element.error(f"{what} path not found: {written} (looked for {path})")
        found.append(path)
    return tuple(found)


def _notify(cursor: Cursor, known: set[str]) -> Notify:
    names = []
    for element in cursor.required("receivers").elements():
        name = str(element.plain())
        if name not in known:
            element.error(f"no receiver named {name!r} (receivers: {', '.join(sorted(known))})")
        names.append(name)
    on = cursor.get("when")
    written: tuple[NotifyOn, ...] = (
        tuple(one_of(str(e.plain()), get_args(NotifyOn), "failure") for e in on.elements())
        if on is not None
        else DEFAULT_NOTIFY_ON
    )
    return Notify(receivers=tuple(names), on=written)
