"""Keep a served mock's call history in the state store while it serves.

The hot path only appends to ``ServedMock.history``; every ``interval`` the flusher slices off what
is new and writes it from a worker thread (sqlite3 blocks), and once more, synchronously, at exit.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import trio

from mcpctl.errors import McpctlError
from mcpctl.mock.app import ServedMock
from mcpctl.mock.history import CallRecord
from mcpctl.store import open_store
from mcpctl.store.mock_calls import MockServe, save_calls

FLUSH_INTERVAL = 1.0


class HistoryFlusher:
    """Writes the new records of ``app.history`` to the store in ``directory``, tagged with ``serve``."""

    def __init__(self, app: ServedMock, *, directory: Path, serve: MockServe) -> None:
        self.app = app
        self.directory = directory
        self.serve = serve
        self.written = 0
        """Records written so far (the position of the next one in the serve)."""
        self._taken = 0
        self._last: CallRecord | None = None
        self._failed = False

    def take(self) -> tuple[int, list[CallRecord]]:
        """The records added since the last take, and the position of the first of them."""
        history = self.app.history
        size = len(history)
        if self._last is not None and (size < self._taken or history[self._taken - 1] is not self._last):
            # an `mcpctl/history` request with clear emptied the list: all it holds now is new
            # (records added between our last take and the clear are lost; see the report)
            self._taken = 0
        fresh = history[self._taken : size]
        first = self.written
        if fresh:
            self._taken, self._last = size, fresh[-1]
            self.written += len(fresh)
        return first, fresh

    async def run(self, *, interval: float = FLUSH_INTERVAL) -> None:
        """Flush every ``interval`` seconds until cancelled."""
        while True:
            await trio.sleep(interval)
            first, fresh = self.take()
            if fresh:
                await trio.to_thread.run_sync(self._write, first, fresh)

    def flush(self) -> None:
        """Write what is new now (blocking: for exit, when nothing else runs)."""
        first, fresh = self.take()
        if fresh:
            self._write(first, fresh)

    def _write(self, first: int, records: Sequence[CallRecord]) -> None:
        if self._failed:
            return
        try:
            # a connection per flush: sqlite3 connections stay in their thread, and trio's worker
            # threads vary
            with open_store(self.directory) as store:
                save_calls(store, self.serve, [record.as_json() for record in records], first=first)
        except McpctlError as exc:  # an unwritable state dir must not stop the mock: say so once
            self._failed = True
            print(f"mcpctl: warning: call history not saved: {exc}", file=sys.stderr, flush=True)
