"""Typed, frozen records of ``kind: Schedule``: spec runs on cron schedules.

Each entry has a five-field ``cron`` expression read in its ``timeZone``, the ``specs`` it runs (as
``mcpctl apply`` runs them), a ``jitter`` (a seeded random delay after each cron time), a ``missed`` policy
(runs missed while the scheduler was down, or while the entry's previous run was still going: ``skip`` or
``run-once``), a ``timeout``, a Healthchecks-style ``ping`` URL, and who is notified (``notify``) through the
document's ``receivers`` (the records of :mod:`mcpctl.spec.receiver_model`, as in AlertRules).

Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.receiver_model import Receiver
from mcpctl.spec.units import Duration

MissedPolicy = Literal["skip", "run-once"]
NotifyOn = Literal["failure", "recovery", "success"]
DEFAULT_TIME_ZONE = "UTC"
DEFAULT_JITTER = Duration(seconds=0.0)
DEFAULT_TIMEOUT = Duration(seconds=3600.0)
DEFAULT_NOTIFY_ON: tuple[NotifyOn, ...] = ("failure", "recovery")
TIMEOUT_EXIT = 124
"""The exit code of a run stopped by its ``timeout`` (as coreutils ``timeout`` exits)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify:
    """Who is told about runs, and when."""

    receivers: tuple[str, ...]
    """Names of receivers of the document (``console`` always exists: a line on stderr)."""
    on: tuple[NotifyOn, ...] = DEFAULT_NOTIFY_ON
    """``when``: which runs notify: ``failure`` (exit code not 0), ``recovery`` (the first success after a failure),
    ``success`` (every success)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleEntry:
    """One scheduled run: when, and what."""

    name: str
    """Unique in the schedule."""
    cron: str
    """A five-field cron expression, checked by cronsim."""
    time_zone: str = DEFAULT_TIME_ZONE
    """The IANA time zone ``cron`` is read in (checked against the zoneinfo database)."""
    specs: tuple[str, ...]
    """Spec files or directories, absolute (resolved against the schedule file's directory)."""
    written_specs: tuple[str, ...] = ()
    """``specs`` as written (relative to the schedule file's directory): for crontab lines."""
    servers_files: tuple[str, ...] = ()
    """``servers``: extra Servers files (``mcpctl apply --servers``), absolute."""
    written_servers: tuple[str, ...] = ()
    """``servers`` as written."""
    baseline: str | None = None
    """Passed to ``mcpctl apply --baseline``."""
    jitter: Duration = DEFAULT_JITTER
    missed: MissedPolicy = "skip"
    timeout: Duration = DEFAULT_TIMEOUT
    ping: str | None = None
    """A Healthchecks-style ping URL (``/start`` before, ``/<exit code>`` after)."""
    notify: Notify | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleSpec:
    """A validated ``kind: Schedule`` document."""

    metadata: Metadata
    entries: tuple[ScheduleEntry, ...]
    receivers: tuple[Receiver, ...] = ()
    """The document's receivers (``console`` is implicit)."""
    base_dir: str
    """The schedule file's directory: runs start there."""
    spec_hash: str
    source: Source
