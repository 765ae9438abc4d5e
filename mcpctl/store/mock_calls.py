"""The calls mocks answered (``mcpctl mock serve``), in the state store: one ``mock_serves`` row per
serve, one ``mock_calls`` row per call holding the call's record as JSON (``CallRecord.as_json``), so
a field the mock adds to its records is kept without a migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson

from mcpctl.errors import UsageError
from mcpctl.store.db import DB_NAME, Store

Record = Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class MockServe:
    """One run of ``mcpctl mock serve``."""

    id: str
    mock: str
    """The MockServer's ``metadata.name``."""
    spec_path: str
    started_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MockCall:
    """One stored call: the serve it belongs to and the mock's record of it."""

    serve_id: str
    mock: str
    record: dict[str, object]


def _conn(store: Store) -> sqlite3.Connection:
    # the store's one connection; runs and mock calls share its transactions and busy handling
    return store.connection


def save_calls(store: Store, serve: MockServe, records: Sequence[Record], *, first: int) -> None:
    """Append ``records`` to ``serve`` (created on first use), numbered from ``first``."""
    conn = _conn(store)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT OR IGNORE INTO mock_serves VALUES (?, ?, ?, ?)",
                (serve.id, serve.mock, serve.spec_path, serve.started_at),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO mock_calls VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        serve.id,
                        first + offset,
                        _number(record.get("at")),
                        str(record.get("tool")),
                        _json(record),
                    )
                    for offset, record in enumerate(records)
                ],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        raise UsageError(
            f"state store {store.directory / DB_NAME}: cannot record mock calls: {exc}"
        ) from None


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _json(record: Record) -> str:
    return orjson.dumps(dict(record), default=str).decode()


def resolve_serve(store: Store, ref: str, *, mock: str | None = None) -> str:
    """The serve id ``ref`` names: ``last`` (of ``mock`` when given), a full id or a unique prefix."""
    conn = _conn(store)
    if ref == "last":
        query = "SELECT id FROM mock_serves {} ORDER BY started_at DESC, id DESC LIMIT 1"
        where, params = ("WHERE mock = ?", (mock,)) if mock is not None else ("", ())
        row = conn.execute(query.format(where), params).fetchone()
        if row is None:
            about = f" of mock {mock!r}" if mock is not None else ""
            raise UsageError(
                f"no mock serves{about} recorded in {store.directory} (run mcpctl mock serve first)"
            )
        return str(row["id"])
    found = [
        str(row["id"])
        for row in conn.execute(
            "SELECT id FROM mock_serves WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 11", (len(ref), ref)
        )
    ]
    if ref in found or len(found) == 1:
        return ref if ref in found else found[0]
    if not found:
        raise UsageError(f"no mock serve {ref!r} in {store.directory} (mcpctl mock history lists them)")
    raise UsageError(
        f"mock serve {ref!r} is ambiguous: it starts {', '.join(found[:10])}; give more characters"
    )


def list_calls(
    store: Store,
    *,
    mock: str | None = None,
    serve: str | None = None,
    tool: str | None = None,
    limit: int | None = None,
) -> list[MockCall]:
    """The stored calls that match, oldest first; ``limit`` keeps the newest that many."""
    clauses, params = [], []
    for column, value in (("s.mock", mock), ("c.serve_id", serve), ("c.tool", tool)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = (
        _conn(store)
        .execute(
            "SELECT c.serve_id, s.mock, c.record FROM mock_calls c JOIN mock_serves s ON s.id = c.serve_id "
            f"{where} ORDER BY c.at DESC, c.serve_id DESC, c.position DESC LIMIT ?",
            (*params, -1 if limit is None else limit),
        )
        .fetchall()
    )
    return [
        MockCall(serve_id=row["serve_id"], mock=row["mock"], record=orjson.loads(row["record"]))
        for row in reversed(rows)
    ]
