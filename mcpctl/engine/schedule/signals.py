"""What a run tells the outside: Healthchecks-style pings and notifications to receivers.

Pings follow the Healthchecks API: ``POST URL/start`` when a run starts, ``POST URL/<exit code>`` when it
ends, with the tail of its output as the body (Healthchecks shows it in the check's log), each tried
:data:`PING_ATTEMPTS` times within :data:`PING_TIMEOUT` seconds. A failed ping never fails the run.

A notification is an Alertmanager-shaped :class:`~mcpctl.observe.alerts.route.Notification` of one alert,
so the alert receivers (webhook, Slack, email, console, Alertmanager) and their at-least-once delivery
are reused unchanged: a failure fires ``ScheduledRunFailed``, a recovery resolves it, and a plain
success is a resolved ``ScheduledRunSucceeded``. Labels: ``schedule``, ``entry``, ``severity``;
annotations: the exit code, the specs, the scheduled time, the duration and the log tail.
"""

from __future__ import annotations

from datetime import datetime

import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.http import open_oauth_http
from mcpctl.observe.alerts.alert import Alert, fingerprint
from mcpctl.observe.alerts.route import Notification
from mcpctl.spec.schedule_model import NotifyOn, ScheduleEntry

PING_ATTEMPTS = 3
PING_TIMEOUT = 10.0
PING_BACKOFF = 1.0
FAILED = "ScheduledRunFailed"
SUCCEEDED = "ScheduledRunSucceeded"


def ping_url(base: str, suffix: str) -> str:
    """``base/suffix`` (one slash between them)."""
    return f"{base.rstrip('/')}/{suffix}"


async def ping(base: str, suffix: str, body: str = "") -> str | None:
    """POST ``body`` to ``base/suffix``; ``None`` on a 2xx answer, else why the last attempt failed."""
    url = ping_url(base, suffix)
    error = ""
    for attempt in range(PING_ATTEMPTS):
        if attempt:
            await trio.sleep(PING_BACKOFF * 2 ** (attempt - 1))
        with trio.move_on_after(PING_TIMEOUT):
            try:
                async with open_oauth_http(timeout=PING_TIMEOUT) as http:
                    reply = await http.post(
                        url, body.encode("utf-8"), headers={"content-type": "text/plain; charset=utf-8"}
                    )
            except AuthError as exc:  # the HTTP helper's name for a transport failure
                error = str(exc)
                continue
            if 200 <= reply.status < 300:
                return None
            error = f"POST {url}: HTTP {reply.status}"
            continue
        error = f"POST {url}: no answer within {PING_TIMEOUT:g}s"
    return error


def notify_kind(entry: ScheduleEntry, *, exit_code: int, previous: int | None) -> NotifyOn | None:
    """Which notification (if any) a run that ended with ``exit_code`` sends, after one that ended
    with ``previous`` (``None``: no earlier run is recorded)."""
    if entry.notify is None:
        return None
    wanted = entry.notify.on
    if exit_code != 0:
        return "failure" if "failure" in wanted else None
    if previous not in (None, 0) and "recovery" in wanted:
        return "recovery"
    return "success" if "success" in wanted else None


def notification(
    kind: NotifyOn,
    *,
    schedule: str,
    entry: ScheduleEntry,
    scheduled: datetime,
    started: datetime,
    ended: datetime,
    exit_code: int,
    tail: str,
) -> Notification:
    """The notification of one run's outcome to the entry's receivers."""
    labels = {
        "alertname": SUCCEEDED if kind == "success" else FAILED,
        "schedule": schedule,
        "entry": entry.name,
        "severity": "warning" if kind == "failure" else "info",
    }
    what = {"failure": "failed", "recovery": "recovered", "success": "succeeded"}[kind]
    annotations = {
        "summary": f"scheduled run {schedule}/{entry.name} {what} (exit code {exit_code})",
        "exit_code": str(exit_code),
        "specs": " ".join(entry.written_specs or entry.specs),
        "scheduled": scheduled.isoformat(),
        "duration": f"{(ended - started).total_seconds():.1f}s",
        "log_tail": tail[-2000:],
    }
    firing = kind == "failure"
    alert = Alert(
        labels=labels,
        annotations=annotations,
        status="firing" if firing else "resolved",
        starts_at=started.timestamp(),
        ends_at=None if firing else ended.timestamp(),
        fingerprint=fingerprint(labels),
    )
    group = {"schedule": schedule, "entry": entry.name}
    return Notification(
        group_key=f'{{entry="{entry.name}",schedule="{schedule}"}}',
        group_labels=group,
        status=alert.status,
        alerts=(alert,),
        receivers=entry.notify.receivers if entry.notify is not None else (),
        step=0,
        at=ended.timestamp(),
        why="new" if firing else "resolved",
    )
