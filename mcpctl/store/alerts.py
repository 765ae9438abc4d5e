"""Monitoring in the state store: alert history, the alerts active now, acks, silences, health events and
hourly rollups.

A running monitor writes history, active alerts, events and rollups; ``mcpctl alerts ack|silence|unsilence``
and the dashboard's Alerts page write acks and silences (:func:`ack_firing`, :func:`add_silence`), which the
monitor picks up at its next evaluation (:func:`acks_after`, :func:`silences`). Every row holds JSON beside its indexed columns, so a field added later needs no
migration.
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import orjson

from mcpctl.errors import UsageError
from mcpctl.store.db import Store

Json = Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRow:
    """One alert event: pending, fired, notified, acked, silenced, inhibited, resolved, delivery_failed, …"""

    id: int
    monitor: str
    at: float
    event: str
    fingerprint: str
    alertname: str
    server: str
    detail: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveAlert:
    """An alert pending or firing now, as the monitor last wrote it."""

    monitor: str
    alertname: str
    server: str
    state: str
    since: float
    fingerprint: str
    record: dict[str, object]
    """labels, annotations, severity, acked (by, at, comment), silenced, inhibited."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """An acknowledgement written by ``mcpctl alerts ack``."""

    id: int
    fingerprint: str
    at: float
    author: str
    comment: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSilence:
    """A silence written by ``mcpctl alerts silence``; ``expired_at`` once unsilenced."""

    id: str
    matchers: tuple[str, ...]
    starts_at: float
    ends_at: float
    author: str
    comment: str
    created_at: float
    expired_at: float | None = None


def _write(store: Store, statements: Iterable[tuple[str, Sequence[object]]]) -> None:
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, params in statements:
            conn.execute(sql, params)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def record_history(store: Store, rows: Sequence[tuple[str, float, str, str, str, str, Json]]) -> None:
    """Append ``(monitor, at, event, fingerprint, alertname, server, detail)`` rows."""
    _write(
        store,
        [
            ("INSERT INTO alert_history VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)", (*row[:6], _dump(row[6])))
            for row in rows
        ],
    )


def history(
    store: Store,
    *,
    monitor: str | None = None,
    fingerprint: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[HistoryRow]:
    """The newest ``limit`` history rows (oldest first), of one monitor and/or one alert (a prefix);
    with ``before``, only rows with a smaller id (the next page back)."""
    where, params = _filters(monitor=monitor, fingerprint=fingerprint)
    if before is not None:
        where = f"{where} AND id < ?" if where else "WHERE id < ?"
        params = (*params, before)
    rows = store.connection.execute(
        f"SELECT * FROM alert_history {where} ORDER BY id DESC LIMIT ?",  # fixed column names
        (*params, limit),
    ).fetchall()
    return [
        HistoryRow(
            id=r[0],
            monitor=r[1],
            at=r[2],
            event=r[3],
            fingerprint=r[4],
            alertname=r[5],
            server=r[6],
            detail=orjson.loads(r[7]),
        )
        for r in reversed(rows)
    ]


def set_active(store: Store, monitor: str, alerts: Sequence[ActiveAlert]) -> None:
    """Replace the monitor's active alerts with ``alerts``."""
    statements: list[tuple[str, Sequence[object]]] = [
        ("DELETE FROM alerts_active WHERE monitor = ?", (monitor,))
    ]
    statements += [
        (
            "INSERT INTO alerts_active VALUES (?, ?, ?, ?, ?, ?, ?)",
            (monitor, a.alertname, a.server, a.state, a.since, a.fingerprint, _dump(a.record)),
        )
        for a in alerts
    ]
    _write(store, statements)


def active(store: Store, *, monitor: str | None = None) -> list[ActiveAlert]:
    """The alerts pending or firing, by monitor then age."""
    where, params = _filters(monitor=monitor)
    rows = store.connection.execute(
        f"SELECT * FROM alerts_active {where} ORDER BY monitor, since, alertname, server",
        params,
    ).fetchall()
    return [
        ActiveAlert(
            monitor=r[0],
            alertname=r[1],
            server=r[2],
            state=r[3],
            since=r[4],
            fingerprint=r[5],
            record=orjson.loads(r[6]),
        )
        for r in rows
    ]


def resolve_fingerprint(store: Store, ref: str) -> str:
    """The fingerprint of the active or historical alert that ``ref`` (a fingerprint or its prefix) names."""
    found = sorted(
        {
            row[0]
            for table in ("alerts_active", "alert_history")
            for row in store.connection.execute(
                f"SELECT DISTINCT fingerprint FROM {table} WHERE fingerprint LIKE ?",
                (ref.replace("%", "").replace("_", "") + "%",),
            )
        }
    )
    if not found:
        raise UsageError(f"no alert {ref!r} in {store.directory} (mcpctl alerts list shows them)")
    if len(found) > 1:
        raise UsageError(
            f"alert {ref!r} is ambiguous: it starts {', '.join(found[:10])}; give more characters"
        )
    return str(found[0])


def add_ack(store: Store, fingerprint: str, *, at: float, author: str, comment: str) -> int:
    """Record an ack; its id."""
    _write(
        store,
        [("INSERT INTO alert_acks VALUES (NULL, ?, ?, ?, ?)", (fingerprint, at, author, comment))],
    )
    return int(store.connection.execute("SELECT max(id) FROM alert_acks").fetchone()[0])


def ack_firing(store: Store, ref: str, *, at: float, author: str, comment: str) -> tuple[ActiveAlert, int]:
    """Ack the firing alert ``ref`` (a fingerprint or its prefix): the alert and the ack's id. A monitor
    applies it (and writes the ``acked`` history row) at its next evaluation."""
    fingerprint = resolve_fingerprint(store, ref)
    firing = [a for a in active(store) if a.fingerprint == fingerprint and a.state == "firing"]
    if not firing:
        raise UsageError(f"alert {fingerprint} is not firing (mcpctl alerts list shows the firing ones)")
    return firing[0], add_ack(store, fingerprint, at=at, author=author, comment=comment)


def author_or_user(given: str | None) -> str:
    """Who acks or silences: ``given``, else the user running mcpctl."""
    if given:
        return given
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def acks(store: Store, fingerprint: str) -> list[Ack]:
    """The acks written for one alert, oldest first."""
    rows = store.connection.execute(
        "SELECT * FROM alert_acks WHERE fingerprint = ? ORDER BY id", (fingerprint,)
    ).fetchall()
    return [Ack(id=r[0], fingerprint=r[1], at=r[2], author=r[3], comment=r[4]) for r in rows]


def acks_after(store: Store, last: int) -> list[Ack]:
    """The acks written after id ``last``."""
    rows = store.connection.execute("SELECT * FROM alert_acks WHERE id > ? ORDER BY id", (last,)).fetchall()
    return [Ack(id=r[0], fingerprint=r[1], at=r[2], author=r[3], comment=r[4]) for r in rows]


def add_silence(
    store: Store,
    matchers: Sequence[str],
    *,
    starts_at: float,
    ends_at: float,
    author: str,
    comment: str,
    now: float,
) -> str:
    """Record a silence; its id (8 hex digits)."""
    silence_id = secrets.token_hex(4)
    _write(
        store,
        [
            (
                "INSERT INTO silences VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (silence_id, _dump(list(matchers)), starts_at, ends_at, author, comment, now),
            )
        ],
    )
    return silence_id


def expire_silence(store: Store, ref: str, *, now: float) -> str:
    """End the silence ``ref`` (an id or its prefix) now; its id."""
    rows = store.connection.execute(
        "SELECT id FROM silences WHERE id LIKE ? AND expired_at IS NULL AND ends_at > ?",
        (ref.replace("%", "").replace("_", "") + "%", now),
    ).fetchall()
    if len(rows) != 1:
        what = "no silence in force" if not rows else "several silences in force"
        raise UsageError(f"{what} with id {ref!r} (mcpctl alerts list --silences shows them)")
    _write(store, [("UPDATE silences SET expired_at = ? WHERE id = ?", (now, rows[0][0]))])
    return str(rows[0][0])


def silences(store: Store, *, now: float, include_ended: bool = False) -> list[StoredSilence]:
    """The silences in force or still to come at ``now`` (and ended ones with ``include_ended``)."""
    rows = store.connection.execute("SELECT * FROM silences ORDER BY created_at").fetchall()
    found = [
        StoredSilence(
            id=r[0],
            matchers=tuple(orjson.loads(r[1])),
            starts_at=r[2],
            ends_at=r[3],
            author=r[4],
            comment=r[5],
            created_at=r[6],
            expired_at=r[7],
        )
        for r in rows
    ]
    if include_ended:
        return found
    return [s for s in found if s.expired_at is None and s.ends_at > now]


def alert_json(alert: ActiveAlert) -> dict[str, object]:
    """An active alert as ``mcpctl alerts list --output json`` (and the dashboard's API) shows it."""
    return {
        "id": alert.fingerprint,
        "alertname": alert.alertname,
        "server": alert.server,
        "state": alert.state,
        "since": alert.since,
        "monitor": alert.monitor,
        **alert.record,
    }


def silence_json(silence: StoredSilence) -> dict[str, object]:
    """A silence as ``mcpctl alerts list --silences --output json`` shows it."""
    return {
        "id": silence.id,
        "matchers": list(silence.matchers),
        "starts_at": silence.starts_at,
        "ends_at": silence.ends_at,
        "author": silence.author,
        "comment": silence.comment,
    }


def history_json(row: HistoryRow) -> dict[str, object]:
    """A history row as ``mcpctl alerts history --output json`` shows it."""
    return {
        "at": row.at,
        "event": row.event,
        "id": row.fingerprint,
        "alertname": row.alertname,
        "server": row.server,
        "monitor": row.monitor,
        **row.detail,
    }


def history_detail(detail: Mapping[str, object]) -> str:
    """The DETAIL column of ``mcpctl alerts history``: the reason, receivers, who acked, or the error."""
    if "reason" in detail:
        return str(detail["reason"])
    if "receivers" in detail:
        receivers = detail["receivers"]
        names = ", ".join(str(r) for r in receivers) if isinstance(receivers, list) else str(receivers)
        return f"{detail.get('why', '')} to {names}"
    if "author" in detail:
        return f"by {detail['author']}" + (f": {detail['comment']}" if detail.get("comment") else "")
    if "error" in detail:
        return f"{detail.get('receiver', '')}: {detail['error']}"
    return ""


def record_events(store: Store, rows: Sequence[tuple[str, float, str, str, Json]]) -> None:
    """Append ``(monitor, at, type, server, data)`` monitor events (health changes)."""
    _write(
        store,
        [
            ("INSERT INTO monitor_events VALUES (NULL, ?, ?, ?, ?, ?)", (*row[:4], _dump(row[4])))
            for row in rows
        ],
    )


def events(store: Store, monitor: str, *, since: float = 0.0, limit: int = 1000) -> list[dict[str, object]]:
    """The monitor's stored events at or after ``since``, oldest first."""
    rows = store.connection.execute(
        "SELECT at, type, server, data FROM monitor_events WHERE monitor = ? AND at >= ? ORDER BY id LIMIT ?",
        (monitor, since, limit),
    ).fetchall()
    return [{"ts": r[0], "type": r[1], "server": r[2], **orjson.loads(r[3])} for r in rows]


def save_rollups(store: Store, monitor: str, rows: Sequence[tuple[str, float, Json]]) -> None:
    """Write (replace) ``(server, hour, record)`` hourly rollups."""
    _write(
        store,
        [
            (
                "INSERT OR REPLACE INTO monitor_rollups VALUES (?, ?, ?, ?)",
                (monitor, server, hour, _dump(record)),
            )
            for server, hour, record in rows
        ],
    )


def rollups(store: Store, monitor: str, *, server: str | None = None) -> list[dict[str, object]]:
    """The monitor's hourly rollups, oldest first: ``{"server", "hour", ...record}``."""
    rows = store.connection.execute(
        "SELECT server, hour, record FROM monitor_rollups WHERE monitor = ? AND (? IS NULL OR server = ?)"
        " ORDER BY hour, server",
        (monitor, server, server),
    ).fetchall()
    return [{"server": r[0], "hour": r[1], **orjson.loads(r[2])} for r in rows]


def prune(store: Store, monitor: str, *, before: float) -> None:
    """Drop the monitor's events, history and rollups older than ``before`` (retention)."""
    _write(
        store,
        [
            ("DELETE FROM monitor_events WHERE monitor = ? AND at < ?", (monitor, before)),
            ("DELETE FROM alert_history WHERE monitor = ? AND at < ?", (monitor, before)),
            ("DELETE FROM monitor_rollups WHERE monitor = ? AND hour < ?", (monitor, before)),
        ],
    )


def _filters(**columns: str | None) -> tuple[str, tuple[object, ...]]:
    parts: list[str] = []
    params: list[object] = []
    for name, value in columns.items():
        if value is None:
            continue
        if name == "fingerprint":
            parts.append("fingerprint LIKE ?")
            params.append(value + "%")
        else:
            parts.append(f"{name} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(parts)) if parts else "", tuple(params)


def _dump(value: object) -> str:
    return orjson.dumps(value).decode()
