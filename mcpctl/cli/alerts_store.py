"""``mcpctl alerts list|history|ack|silence|unsilence``: the alerts running monitors keep in the state store,
and the acks and silences they read from it (at their next rule evaluation, from any process)."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Sequence

from tabulate import tabulate

from mcpctl.errors import UsageError
from mcpctl.spec.alert_matchers import silence_length
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from mcpctl.store import state_dir as find_state_dir


def _stamp(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).isoformat(timespec="seconds")


def _check_output(output: str) -> None:
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")


def run_list(*, state_dir: str | None, monitor: str | None, silences: bool, output: str) -> int:
    """Print the active alerts (or the silences)."""
    _check_output(output)
    with open_store(find_state_dir(state_dir), create=False) as store:
        if silences:
            return _print_silences(stored.silences(store, now=time.time()), output)
        found = stored.active(store, monitor=monitor)
    if output == "json":
        print(json.dumps([stored.alert_json(a) for a in found], indent=2))
        return 0
    if not found:
        print("no alerts pending or firing")
        return 0
    rows = [
        [
            a.fingerprint,
            a.alertname,
            a.server,
            a.state,
            a.record.get("severity", ""),
            _stamp(a.since),
            a.record.get("muted") or "",
            a.monitor,
        ]
        for a in found
    ]
    headers = ["ID", "ALERT", "SERVER", "STATE", "SEVERITY", "SINCE", "MUTED", "MONITOR"]
    print(tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True))
    return 0


def _print_silences(found: Sequence[stored.StoredSilence], output: str) -> int:
    if output == "json":
        print(json.dumps([stored.silence_json(s) for s in found], indent=2))
        return 0
    if not found:
        print("no silences in force")
        return 0
    rows = [
        [s.id, " ".join(s.matchers), _stamp(s.starts_at), _stamp(s.ends_at), s.author, s.comment]
        for s in found
    ]
    headers = ["ID", "MATCHERS", "STARTS", "ENDS", "AUTHOR", "COMMENT"]
    print(tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True))
    return 0


def run_history(
    alert: str | None, *, state_dir: str | None, monitor: str | None, limit: int, output: str
) -> int:
    """Print the alert history, oldest first."""
    _check_output(output)
    if limit < 1:
        raise UsageError(f"--limit {limit}: must be at least 1")
    with open_store(find_state_dir(state_dir), create=False) as store:
        fingerprint = stored.resolve_fingerprint(store, alert) if alert is not None else None
        rows = stored.history(store, monitor=monitor, fingerprint=fingerprint, limit=limit)
    if output == "json":
        print(json.dumps([stored.history_json(r) for r in rows], indent=2))
        return 0
    if not rows:
        print("no alert history")
        return 0
    table = [
        [_stamp(r.at), r.event, r.alertname, r.server, r.fingerprint, stored.history_detail(r.detail)]
        for r in rows
    ]
    print(
        tabulate(
            table,
            headers=["AT", "EVENT", "ALERT", "SERVER", "ID", "DETAIL"],
            tablefmt="plain",
            disable_numparse=True,
        )
    )
    return 0


def run_ack(alert: str, *, comment: str, author: str | None, state_dir: str | None) -> int:
    """Record an ack of a firing alert; the monitor applies it at its next evaluation."""
    with open_store(find_state_dir(state_dir)) as store:
        firing, _ = stored.ack_firing(
            store, alert, at=time.time(), author=stored.author_or_user(author), comment=comment
        )
    print(f"acknowledged {firing.alertname} on {firing.server} ({firing.fingerprint})")
    return 0


def run_silence(
    matchers: Sequence[str],
    *,
    duration: str,
    start: str | None,
    comment: str,
    author: str | None,
    state_dir: str | None,
) -> int:
    """Record a silence; print its id."""
    length = silence_length(matchers, duration)
    now = time.time()
    starts = _parse_start(start) if start is not None else now
    with open_store(find_state_dir(state_dir)) as store:
        silence_id = stored.add_silence(
            store,
            matchers,
            starts_at=starts,
            ends_at=starts + length,
            author=stored.author_or_user(author),
            comment=comment,
            now=now,
        )
    print(f"silence {silence_id}: {' '.join(matchers)} until {_stamp(starts + length)}")
    return 0


def _parse_start(text: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start {text!r}: not an ISO 8601 time (2026-11-26T14:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def run_unsilence(silence: str, *, state_dir: str | None) -> int:
    """End a silence now."""
    with open_store(find_state_dir(state_dir), create=False) as store:
        found = stored.expire_silence(store, silence, now=time.time())
    print(f"silence {found} ended")
    return 0
