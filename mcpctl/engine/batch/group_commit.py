"""Group commit for append-only files written by many trio tasks (a database's group commit).

Each :meth:`GroupCommit.append` returns once its line is durable; every line queued while one
write+fsync runs goes into the next one, so 100 concurrent appenders cost about one fsync per
round instead of 100. The write itself runs in a worker thread and is never abandoned on cancel: a
write once begun completes and its waiters hear of it.

An append may carry *evidence*: bytes for another file (a :class:`Sink`, such as an ``execute``
output) that must be durable before the line is. A round writes and fsyncs every sink's evidence
first, then the lines; if a sink fails, none of the round's lines is written. So an answer and the
journal's ``done`` for it cost one round, and ``done`` is never durable without its answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import trio

from mcpctl.errors import McpctlError

COMMIT_DELAY = 0.01
"""How long a round no task waits for may fill before it is written (seconds)."""

Durable = Callable[[McpctlError | None], None]
"""Told when a line queued with :meth:`GroupCommit.append_nowait` is durable (``None``) or lost."""


class Sink(Protocol):
    """A file that takes evidence: ``write`` appends ``data`` and fsyncs, or raises an McpctlError."""

    def write(self, data: bytes) -> None: ...


class GroupCommit:
    """Durable appends through ``write(lines)`` (which must write and fsync them, or raise an
    :class:`~mcpctl.errors.McpctlError`; after one failure every append fails). Run with :func:`open_group_commit`."""

    def __init__(self, write: Callable[[list[bytes]], None]) -> None:
        self._write = write
        self._batch = _Batch()
        self._wakeup = trio.Event()
        self._failure: McpctlError | None = None
        self._flushing: _Batch | None = None
        self._hurry = trio.Event()
        self.closing = False
        self.delay = COMMIT_DELAY

    @property
    def usable(self) -> bool:
        """Appending works (no write failed, not closed)."""
        return self._failure is None and not self.closing

    def check(self) -> None:
        """Raise if appending is no longer possible (a write failed, or the committer closed)."""
        if self._failure is not None:
            raise _copy(self._failure)
        if self.closing:
            raise RuntimeError("group commit: closed")

    async def append(self, line: bytes, *, evidence: tuple[Sink, bytes] | None = None) -> None:
        """Queue ``line`` (after ``evidence``, if given); return once it is written and fsynced."""
        batch = self._queue(line, evidence)
        batch.waited = True
        self._hurry.set()
        await batch.durable.wait()
        if batch.failure is not None:
            raise _copy(batch.failure)

    def append_nowait(
        self, line: bytes, on_durable: Durable, *, evidence: tuple[Sink, bytes] | None = None
    ) -> None:
        """Queue ``line`` and return at once; ``on_durable(None)`` is called once it is written and
        fsynced (``on_durable(error)`` if the round failed). No task waits: a step can go on to the
        next while its line is being made durable."""
        self._queue(line, evidence).callbacks.append(on_durable)

    async def barrier(self) -> None:
        """Return once every line queued so far is durable (or its round failed)."""
        for batch in (self._flushing, self._batch):
            if batch is not None and batch.lines:
                batch.waited = True
                self._wakeup.set()
                self._hurry.set()
                await batch.durable.wait()

    def _queue(self, line: bytes, evidence: tuple[Sink, bytes] | None) -> _Batch:
        self.check()
        batch = self._batch
        batch.lines.append(line)
        if evidence is not None:
            batch.evidence.setdefault(evidence[0], []).append(evidence[1])
        self._wakeup.set()
        return batch

    async def _flush_forever(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while not (self.closing and not self._batch.lines):
            await self._wakeup.wait()
            if not self._batch.waited and not self.closing:
                # nobody waits for this round (only nowait appends): let it fill for a moment, so
                # that a fast bulk run pays one write and fsync per many items, not per few
                with trio.move_on_after(self.delay):
                    await self._hurry.wait()
            self._wakeup = trio.Event()
            self._hurry = trio.Event()
            batch, self._batch = self._batch, _Batch()
            if batch.lines:
                self._flushing = batch
                await self._flush(batch)
                self._flushing = None

    async def _flush(self, batch: _Batch) -> None:
        if self._failure is None:
            try:
                await trio.to_thread.run_sync(self._write_round, batch)
            except McpctlError as exc:
                self._failure = exc
        batch.failure = self._failure
        batch.durable.set()
        for callback in batch.callbacks:
            callback(None if self._failure is None else _copy(self._failure))

    def _write_round(self, batch: _Batch) -> None:
        for sink, chunks in batch.evidence.items():
            sink.write(b"".join(chunks))
        self._write(batch.lines)


def _copy(failure: McpctlError) -> McpctlError:
    # one exception object per waiter: tasks must not share (and extend) one traceback
    copy = type(failure).__new__(type(failure))
    McpctlError.__init__(copy, failure.message)
    copy.__cause__ = failure
    return copy


@contextlib.asynccontextmanager
async def open_group_commit(write: Callable[[list[bytes]], None]) -> AsyncIterator[GroupCommit]:
    """A :class:`GroupCommit` flushing in a background task until the block ends (then the last lines
    are written). Appenders must finish inside the block."""
    committer = GroupCommit(write)
    async with trio.open_nursery() as nursery:
        await nursery.start(committer._flush_forever)
        try:
            yield committer
        finally:
            committer.closing = True
            committer._wakeup.set()


class _Batch:
    __slots__ = ("callbacks", "durable", "evidence", "failure", "lines", "waited")

    def __init__(self) -> None:
        self.waited = False
        """Someone awaits this round (:meth:`GroupCommit.append`, :meth:`~GroupCommit.barrier`)."""
        self.lines: list[bytes] = []
        self.callbacks: list[Durable] = []
        self.evidence: dict[Sink, list[bytes]] = {}
        self.durable = trio.Event()
        self.failure: McpctlError | None = None
