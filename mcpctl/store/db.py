"""The state store: every run mcpctl makes, in SQLite (WAL) under ``.mcpctl/state.db`` (DESIGN.md §5).

Sync on purpose: sqlite3 blocks, and the CLI calls the store before and after its one ``trio.run``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import cast

from mcpctl.engine.results import RunResult, Status
from mcpctl.errors import UsageError
from mcpctl.store import rows
from mcpctl.store.schema import migrate

DB_NAME = "state.db"
BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another process's transaction (runs are short; CI may run several)."""


def state_dir(explicit: str | None) -> Path:
    """Where state lives: ``explicit`` (``--state-dir``), else ``$MCPCTL_STATE_DIR``, else ``./.mcpctl``."""
    chosen = explicit or os.environ.get("MCPCTL_STATE_DIR") or ".mcpctl"
    return Path(chosen)


def new_run_id(now: float | None = None) -> str:
    """A run id that sorts by time: UTC ``YYYYmmddTHHMMSS`` and 6 random hex digits, e.g.
    ``20261125T161203-3fa2c1``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """One line of ``mcpctl runs``. A suite that could not run counts as one error."""

    id: str
    command: str
    started_at: float
    duration_ms: float
    status: Status
    exit_code: int
    suites: tuple[str, ...]
    """``Kind/name`` of each suite, in run order."""
    passed: int
    failed: int
    error: int
    skipped: int


def open_store(directory: Path, *, create: bool = True) -> Store:
    """Open (creating and migrating as needed) the store in ``directory``.

    With ``create=False`` a directory without a database gives an empty in-memory store, so that
    reading commands (``mcpctl runs``) leave no ``.mcpctl/`` behind. Use it as a context manager.
    """
    path = directory / DB_NAME
    try:
        if not create and not path.exists():
            return Store(_connect(":memory:", path), directory=directory)
        _make_directory(directory)
        return Store(_connect(str(path), path), directory=directory)
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(
            f"state store {path}: cannot open it: {exc} (choose another with --state-dir or MCPCTL_STATE_DIR)"
        ) from None


def _make_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True)
    except FileExistsError:
        if directory.is_dir():
            return  # already there (or another process just made it): not ours to mark
        raise
    # like .terraform/: the state is per checkout (local runs, absolute paths, server output) and
    # must not end up in a commit by `git add .`. Written only in a directory we created ourselves.
    (directory / ".gitignore").write_text("# created by mcpctl: local state, not for version control\n*\n")


def _connect(target: str, path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (sqlite3's implicit transactions are
    # skipped for PRAGMAs and would hide where a transaction starts)
    conn = sqlite3.connect(target, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        _enable_wal(conn)
        # NORMAL under WAL: a committed run may be lost on power failure, never corrupted
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path=path)
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    # WAL is a property of the file, set once. Switching needs an exclusive lock and SQLite answers
    # "database is locked" at once instead of calling the busy handler, so two processes creating
    # the store together would fail: retry within the busy timeout instead.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # in memory it stays "memory": fine
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


class Store:
    """The runs recorded in one state directory. Close it (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, *, directory: Path) -> None:
        self._conn = conn
        self.directory = directory
        """The state directory as the user gave it (for messages)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection, for the store's other tables (store/mock_calls.py)."""
        return self._conn

    def journal_mode(self) -> str:
        """The SQLite journal mode in force (``wal`` for a database file)."""
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def save_run(
        self, run: RunResult, *, redact: Callable[[str], str] | None = None, replace: bool = False
    ) -> None:
        """Record ``run`` with its suites and cases, in one transaction; ``redact`` hides secrets.
        ``replace``: a record of the same run id (a resumed batch run) is replaced."""
        hide = redact or _same
        try:
            self._insert(run, hide, replace=replace)
        except sqlite3.OperationalError as exc:  # locked past busy_timeout, disk full, read-only
            raise UsageError(
                f"state store {self.directory / DB_NAME}: cannot record run {run.run_id}: {exc}"
            ) from None

    def _insert(self, run: RunResult, hide: Callable[[str], str], *, replace: bool) -> None:
        with self._transaction():
            if replace:
                for table, column in (("cases", "run_id"), ("suites", "run_id"), ("runs", "id")):
                    self._conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (run.run_id,))
            self._conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", rows.run_row(run, hide))
            self._conn.executemany(
                "INSERT INTO suites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows.suite_rows(run, hide),
            )
            self._conn.executemany(
                "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows.case_rows(run, hide),
            )

    def list_runs(self, *, limit: int) -> list[RunSummary]:
        """The newest ``limit`` runs, newest first."""
        found = self._conn.execute(
            "SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self._summary(run) for run in found]

    def get_run(self, ref: str) -> RunResult:
        """The run named by ``ref``: a full id, a unique prefix of one, or ``last``."""
        run_id = self._resolve(ref)
        run = self._conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        suites = self._conn.execute(
            "SELECT * FROM suites WHERE run_id = ? ORDER BY position", (run_id,)
        ).fetchall()
        cases = self._conn.execute(
            "SELECT * FROM cases WHERE run_id = ? ORDER BY suite, position", (run_id,)
        ).fetchall()
        return rows.build_run(run, suites, cases)

    def _summary(self, run: sqlite3.Row) -> RunSummary:
        suites = self._conn.execute(
            "SELECT kind, name, error FROM suites WHERE run_id = ? ORDER BY position", (run["id"],)
        ).fetchall()
        counts = dict(
            self._conn.execute(
                "SELECT status, count(*) FROM cases WHERE run_id = ? GROUP BY status", (run["id"],)
            ).fetchall()
        )
        return RunSummary(
            id=run["id"],
            command=run["command"],
            started_at=run["started_at"],
            duration_ms=run["duration_ms"],
            status=cast(Status, run["status"]),
            exit_code=run["exit_code"],
            suites=tuple(f"{suite['kind']}/{suite['name']}" for suite in suites),
            passed=counts.get("passed", 0),
            failed=counts.get("failed", 0),
            error=counts.get("error", 0) + sum(1 for suite in suites if suite["error"]),
            skipped=counts.get("skipped", 0),
        )

    def _resolve(self, ref: str) -> str:
        if ref == "last":
            row = self._conn.execute(
                "SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise UsageError(f"no runs recorded in {self.directory} (run mcpctl test first)")
            return str(row["id"])
        # substr, not LIKE: a ref holding % or _ must match itself only
        found = [
            str(row["id"])
            for row in self._conn.execute(
                "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 11", (len(ref), ref)
            )
        ]
        if ref in found:
            return ref
        if not found:
            raise UsageError(f"no run {ref!r} in {self.directory} (mcpctl runs lists them)")
        if len(found) > 1:
            shown = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
            raise UsageError(f"run {ref!r} is ambiguous: it starts {shown}; give more characters")
        return found[0]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE: take the write lock up front, so a busy database waits (busy_timeout) at BEGIN
        # instead of failing half-way through the inserts
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")


def _same(text: str) -> str:
    return text
