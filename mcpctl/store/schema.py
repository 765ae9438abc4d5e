"""The state database's tables, versioned with ``PRAGMA user_version`` and migrated forward only.

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``. Released entries are never edited:
a change is a new entry appended at the end, so every older database can reach the newest shape.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mcpctl.errors import UsageError

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, suites, cases
    """
    CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        command     TEXT NOT NULL,
        started_at  REAL NOT NULL,
        duration_ms REAL NOT NULL,
        status      TEXT NOT NULL,
        exit_code   INTEGER NOT NULL
    );
    CREATE INDEX runs_newest_first ON runs (started_at DESC, id DESC);

    CREATE TABLE suites (
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        server      TEXT NOT NULL,
        server_info TEXT NOT NULL,
        protocol    TEXT NOT NULL,
        spec_path   TEXT NOT NULL,
        spec_hash   TEXT NOT NULL,
        started_at  REAL NOT NULL,
        duration_ms REAL NOT NULL,
        status      TEXT NOT NULL,
        error       TEXT NOT NULL,
        PRIMARY KEY (run_id, position)
    );
    CREATE INDEX suites_by_name ON suites (kind, name, run_id);

    CREATE TABLE cases (
        run_id      TEXT NOT NULL,
        suite       INTEGER NOT NULL,
        position    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        status      TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        attempts    INTEGER NOT NULL,
        flaky       INTEGER NOT NULL,
        message     TEXT NOT NULL,
        details     TEXT NOT NULL,
        latency     TEXT,
        output      TEXT NOT NULL,
        file        TEXT NOT NULL,
        line        INTEGER NOT NULL,
        PRIMARY KEY (run_id, suite, position),
        FOREIGN KEY (run_id, suite) REFERENCES suites (run_id, position) ON DELETE CASCADE
    );
    CREATE INDEX cases_by_status ON cases (status, run_id);
    """,
    # 2: the calls mocks answered (mcpctl mock serve), one row per call, grouped by serve
    """
    CREATE TABLE mock_serves (
        id          TEXT PRIMARY KEY,
        mock        TEXT NOT NULL,
        spec_path   TEXT NOT NULL,
        started_at  REAL NOT NULL
    );
    CREATE INDEX mock_serves_newest_first ON mock_serves (started_at DESC, id DESC);

    CREATE TABLE mock_calls (
        serve_id    TEXT NOT NULL REFERENCES mock_serves (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        at          REAL NOT NULL,
        tool        TEXT NOT NULL,
        record      TEXT NOT NULL,
        PRIMARY KEY (serve_id, position)
    );
    CREATE INDEX mock_calls_by_tool ON mock_calls (tool, serve_id);
    """,
    # 3: a JSON document a suite keeps beside its cases (a LoadTest's whole result)
    """
    ALTER TABLE suites ADD COLUMN attachment TEXT NOT NULL DEFAULT ''
    """,
    # 4: monitoring: alert history, the alerts active now, acks and silences (written by mcpctl alerts,
    # read by a running monitor), health events and hourly rollups
    """
    CREATE TABLE alert_history (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        monitor     TEXT NOT NULL,
        at          REAL NOT NULL,
        event       TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        alertname   TEXT NOT NULL,
        server      TEXT NOT NULL,
        detail      TEXT NOT NULL
    );
    CREATE INDEX alert_history_by_time ON alert_history (monitor, at);
    CREATE INDEX alert_history_by_alert ON alert_history (fingerprint, id);

    CREATE TABLE alerts_active (
        monitor     TEXT NOT NULL,
        alertname   TEXT NOT NULL,
        server      TEXT NOT NULL,
        state       TEXT NOT NULL,
        since       REAL NOT NULL,
        fingerprint TEXT NOT NULL,
        record      TEXT NOT NULL,
        PRIMARY KEY (monitor, alertname, server)
    );

    CREATE TABLE alert_acks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        fingerprint TEXT NOT NULL,
        at          REAL NOT NULL,
        author      TEXT NOT NULL,
        comment     TEXT NOT NULL
    );

    CREATE TABLE silences (
        id          TEXT PRIMARY KEY,
        matchers    TEXT NOT NULL,
        starts_at   REAL NOT NULL,
        ends_at     REAL NOT NULL,
        author      TEXT NOT NULL,
        comment     TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expired_at  REAL
    );

    CREATE TABLE monitor_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        monitor     TEXT NOT NULL,
        at          REAL NOT NULL,
        type        TEXT NOT NULL,
        server      TEXT NOT NULL,
        data        TEXT NOT NULL
    );
    CREATE INDEX monitor_events_by_time ON monitor_events (monitor, at);

    CREATE TABLE monitor_rollups (
        monitor     TEXT NOT NULL,
        server      TEXT NOT NULL,
        hour        REAL NOT NULL,
        record      TEXT NOT NULL,
        PRIMARY KEY (monitor, server, hour)
    );
    """,
    # 5: named baselines: a run that later runs are compared with (--baseline NAME)
    """
    CREATE TABLE baselines (
        name        TEXT PRIMARY KEY,
        run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        set_at      REAL NOT NULL
    );
    """,
    # 6: what a case keeps beyond the columns of 1 (a repeated test's reliability, its snapshots' outcomes)
    """
    ALTER TABLE cases ADD COLUMN extra TEXT
    """,
)

VERSION = len(MIGRATIONS)
"""The schema version this mcpctl writes."""


def migrate(conn: sqlite3.Connection, *, path: Path) -> None:
    """Bring the database at ``path`` up to :data:`VERSION`; refuse one written by a newer mcpctl."""
    _refuse_newer(conn, path)
    if _version(conn) == VERSION:
        return
    # IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = _version(conn)
        for number in range(current, VERSION):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
        # user_version cannot take a bound parameter; VERSION is our own integer
        conn.execute(f"PRAGMA user_version = {VERSION:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> None:
    found = _version(conn)
    if found > VERSION:
        raise UsageError(
            f"state store {path}: schema version {found} is newer than this mcpctl knows ({VERSION}); "
            "upgrade mcpctl, or use another --state-dir"
        )


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction first; run the statements one by one instead
    return [part.strip() for part in script.split(";") if part.strip()]
