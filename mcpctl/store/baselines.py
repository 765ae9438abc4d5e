"""Named baselines in the state store: ``mcpctl baseline set RUN --name NAME`` points a name at a run, and
``--baseline NAME`` compares a new run with it (``last-pass`` is not stored: it is looked up each time)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mcpctl.errors import UsageError
from mcpctl.store.db import Store

LAST_PASS = "last-pass"


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """A name and the run it points at."""

    name: str
    run_id: str
    set_at: float


def set_baseline(store: Store, name: str, run_ref: str) -> Baseline:
    """Point ``name`` at the run ``run_ref`` (an id, a prefix or ``last``), replacing what it pointed at."""
    if name == LAST_PASS:
        raise UsageError(f"{LAST_PASS!r} is reserved: it always means the newest passing run")
    run = store.get_run(run_ref)
    found = Baseline(name=name, run_id=run.run_id, set_at=time.time())
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT OR REPLACE INTO baselines VALUES (?, ?, ?)", (name, found.run_id, found.set_at))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found


def baselines(store: Store) -> list[Baseline]:
    """Every named baseline, by name."""
    rows = store.connection.execute("SELECT name, run_id, set_at FROM baselines ORDER BY name").fetchall()
    return [Baseline(name=r[0], run_id=r[1], set_at=r[2]) for r in rows]


def get_baseline(store: Store, name: str) -> Baseline:
    """The baseline called ``name``."""
    for found in baselines(store):
        if found.name == name:
            return found
    known = ", ".join(b.name for b in baselines(store)) or "none; set one with mcpctl baseline set RUN"
    raise UsageError(f"no baseline named {name!r} in {store.directory} (known: {known}, or {LAST_PASS})")


def remove_baseline(store: Store, name: str) -> None:
    """Forget the baseline ``name`` (the run stays)."""
    get_baseline(store, name)
    conn = store.connection
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM baselines WHERE name = ?", (name,))
    conn.execute("COMMIT")
