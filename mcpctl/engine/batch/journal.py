"""The run journal: ``runs/<run-id>/journal.jsonl``, the intent and outcome of every step (DESIGN.md §5).

Append-only, one JSON object a line, each append fsynced before it is acknowledged::

    {"seq": 7, "step": "execute/42", "phase": "intent", "op": "execute", "item": "42", "at": 1764089520.1}
    {"seq": 9, "step": "execute/42", "phase": "done", "op": "execute", "item": "42", "at": 1764089520.3}

A ``kill -9`` mid-write leaves at most a torn final line: it was never acknowledged, so
:meth:`Journal.open` drops it. Any other unreadable line is :class:`JournalCorrupt`.

Two ways to write. :class:`Journal` is sync (one write+fsync per call, or per ``with journal.group():``
block); :func:`open_journal_writer` gives a :class:`JournalWriter` whose async appends return once
durable and share one write+fsync between every task appending meanwhile (a database's group commit):
use it for many concurrent items.

How resuming settles a step the journal leaves in doubt: see :mod:`mcpctl.engine.batch`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, get_args

import orjson
import trio

from mcpctl.errors import McpctlError, UsageError
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.store.files import fsync_directory, make_directories, truncate_torn_tail, write_all

JOURNAL_NAME = "journal.jsonl"
FILE_MODE = 0o600
"""Journals and snapshots may hold tool arguments and client configs with tokens: owner only."""

Phase = Literal["intent", "done", "failed", "skipped"]
Status = Literal["pending", "in_doubt", "done", "failed", "skipped"]
"""``pending``: never journaled; ``in_doubt``: intended, no outcome (resolved as :mod:`mcpctl.engine.batch` says)."""

_PHASES: frozenset[str] = frozenset(get_args(Phase))
_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "step": (str,),
    "phase": (str,),
    "op": (str,),
    "item": (str, type(None)),
    "data": (dict, type(None)),
    "at": (int, float),
}
_STATUS: dict[str, Status] = {"intent": "in_doubt", "done": "done", "failed": "failed", "skipped": "skipped"}


class JournalCorrupt(UsageError):
    """A journal line other than a torn last one cannot be read: ``path`` and 1-based ``line``."""

    def __init__(self, problem: str, *, path: Path, line: int) -> None:
        self.path = path
        self.line = line
        super().__init__(
            f"{path}:{line}: {problem}: the journal is damaged (a crash tears at most its last line); "
            f"`mcpctl rollback {path.parent.name}` still restores files from the run's snapshots"
        )


class JournalWriteError(McpctlError):
    """The journal could not be written (disk full, I/O error): the run must stop."""

    exit_code = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One journal line."""

    seq: int
    """Position in the journal, from 1, strictly increasing."""
    step: str
    """The step's id, unique in the run (``deploy/cursor``, ``execute/42``)."""
    phase: Phase
    op: str
    """The operation (``deploy``, ``execute``...)."""
    item: str | None = None
    """The input key of an ``execute`` item, or what else the step works on."""
    data: dict[str, JSONValue] | None = None
    """Anything the operation needs to resolve or report the step (``error`` for ``failed``)."""
    at: float
    """Wall-clock time of the append (``time.time()``)."""

    def line(self) -> bytes:
        """The entry as one JSON line, newline included."""
        record: dict[str, JSONValue] = {
            "seq": self.seq,
            "step": self.step,
            "phase": self.phase,
            "op": self.op,
        }
        if self.item is not None:
            record["item"] = self.item
        if self.data:
            record["data"] = self.data
        record["at"] = self.at
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepState:
    """Where a step stands after replaying the journal."""

    step: str
    status: Status
    op: str = ""
    item: str | None = None
    attempts: int = 0
    """How many intents were journaled (retries and resumes add one each)."""
    last: Entry | None = None
    """The latest entry: the intent while ``in_doubt`` (its ``data`` tells how to resolve it), else the outcome."""


class Journal:
    """A run's journal, open for appending; sync, each call cheap (one write+fsync). Use as a context
    manager, or call :meth:`close`."""

    def __init__(self, path: Path, descriptor: int, entries: list[Entry]) -> None:
        self.path = path
        self._descriptor = descriptor
        self._seq = entries[-1].seq if entries else 0
        self._steps: dict[str, StepState] = {}
        self._buffer: list[bytes] | None = None
        self._writer_open = False
        for entry in entries:
            self._apply(entry)

    @classmethod
    def open(cls, run_dir: Path) -> Journal:
        """Create ``run_dir/journal.jsonl`` or reopen it: a torn last line is cut away, the rest replayed."""
        path = run_dir / JOURNAL_NAME
        make_directories(run_dir)
        truncate_torn_tail(path)
        created = not path.exists()
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            if created:
                fsync_directory(run_dir)
            return cls(path, descriptor, read_entries(path))
        except BaseException:
            os.close(descriptor)
            raise

    def intent(self, step: str, *, op: str, item: str | None = None, **data: JSONValue) -> Entry:
        """Journal that ``step`` is about to run (again), with what resuming needs to resolve it."""
        self._sync_only()
        return self._append(*self._record(step, "intent", op, item, data))

    def done(self, step: str, **data: JSONValue) -> Entry:
        """Journal that the intended ``step`` succeeded."""
        self._sync_only()
        return self._append(*self._outcome(step, "done", data))

    def failed(self, step: str, error: str, **data: JSONValue) -> Entry:
        """Journal that the intended ``step`` failed with ``error`` (a retry journals a new intent)."""
        self._sync_only()
        return self._append(*self._outcome(step, "failed", {"error": error, **data}))

    def skipped(self, step: str, *, op: str, item: str | None = None, **data: JSONValue) -> Entry:
        """Journal that ``step`` will not run (``reason=...``); it needs no intent."""
        self._sync_only()
        return self._append(*self._record(step, "skipped", op, item, data))

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """Buffer the appends made inside the block and write+fsync them once at its end."""
        if self._buffer is not None:  # nested: part of the outer group
            yield
            return
        self._buffer = []
        try:
            yield
        finally:
            chunks, self._buffer = self._buffer, None
            if chunks:
                self._write(chunks)

    def steps(self) -> dict[str, StepState]:
        """Every journaled step by id, in first-journaled order."""
        return dict(self._steps)

    def state(self, step: str) -> StepState:
        """Where ``step`` stands (``pending`` if never journaled)."""
        return self._steps.get(step) or StepState(step=step, status="pending")

    def close(self) -> None:
        """Close the file (every acknowledged append is already durable)."""
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _record(
        self, step: str, phase: Phase, op: str, item: str | None, data: dict[str, JSONValue]
    ) -> tuple[Entry, bytes]:
        entry = Entry(
            seq=self._seq + 1, step=step, phase=phase, op=op, item=item, data=data or None, at=time.time()
        )
        line = entry.line()  # encode first: unserialisable data must not consume a seq
        self._seq = entry.seq
        self._apply(entry)
        return entry, line

    def _outcome(self, step: str, phase: Phase, data: dict[str, JSONValue]) -> tuple[Entry, bytes]:
        state = self._steps.get(step)
        if state is None or state.status != "in_doubt":
            raise ValueError(f"journal: {phase} for step {step!r}, which has no open intent")
        return self._record(step, phase, state.op, state.item, data)

    def _sync_only(self) -> None:
        if self._writer_open:
            raise RuntimeError("journal: append through the open JournalWriter, not the Journal")

    def _append(self, entry: Entry, line: bytes) -> Entry:
        if self._buffer is not None:
            self._buffer.append(line)
        else:
            self._write([line])
        return entry

    def _write(self, chunks: list[bytes]) -> None:
        try:
            write_all(self._descriptor, b"".join(chunks))
            os.fsync(self._descriptor)
        except OSError as exc:
            raise JournalWriteError(f"{self.path}: cannot append to the journal: {exc}") from exc

    def _apply(self, entry: Entry) -> None:
        before = self._steps.get(entry.step)
        attempts = (before.attempts if before else 0) + (entry.phase == "intent")
        self._steps[entry.step] = StepState(
            step=entry.step,
            status=_STATUS[entry.phase],
            op=entry.op,
            item=entry.item,
            attempts=attempts,
            last=entry,
        )


class JournalWriter:
    """Async appends to a :class:`Journal` with group commit: each returns once its entry is durable, and
    every entry queued while a write+fsync runs goes into the next one. Get one from :func:`open_journal_writer`.
    """

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._batch = _Batch()
        self._wakeup = trio.Event()
        self._failure: JournalWriteError | None = None
        self._closing = False

    async def intent(self, step: str, *, op: str, item: str | None = None, **data: JSONValue) -> Entry:
        """:meth:`Journal.intent`, returning once durable."""
        self._ready()
        return await self._commit(*self._journal._record(step, "intent", op, item, data))

    async def done(self, step: str, **data: JSONValue) -> Entry:
        """:meth:`Journal.done`, returning once durable."""
        self._ready()
        return await self._commit(*self._journal._outcome(step, "done", data))

    async def failed(self, step: str, error: str, **data: JSONValue) -> Entry:
        """:meth:`Journal.failed`, returning once durable."""
        self._ready()
        return await self._commit(*self._journal._outcome(step, "failed", {"error": error, **data}))

    async def skipped(self, step: str, *, op: str, item: str | None = None, **data: JSONValue) -> Entry:
        """:meth:`Journal.skipped`, returning once durable."""
        self._ready()
        return await self._commit(*self._journal._record(step, "skipped", op, item, data))

    def _ready(self) -> None:
        if self._failure is not None:
            raise JournalWriteError(self._failure.message) from self._failure
        if self._closing:
            raise RuntimeError("journal: the JournalWriter is closed")

    async def _commit(self, entry: Entry, line: bytes) -> Entry:
        batch = self._batch
        batch.lines.append(line)
        self._wakeup.set()
        await batch.durable.wait()
        if batch.failure is not None:
            # one exception object per waiter: tasks must not share (and extend) one traceback
            raise JournalWriteError(batch.failure.message) from batch.failure
        return entry

    async def _flush_forever(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while not (self._closing and not self._batch.lines):
            await self._wakeup.wait()
            self._wakeup = trio.Event()
            batch, self._batch = self._batch, _Batch()
            if batch.lines:
                await self._flush(batch)

    async def _flush(self, batch: _Batch) -> None:
        if self._failure is None:
            try:
                # not abandoned on cancel: a write once begun completes and its waiters hear of it
                await trio.to_thread.run_sync(self._journal._write, batch.lines)
            except JournalWriteError as exc:
                self._failure = exc
        batch.failure = self._failure
        batch.durable.set()


class _Batch:
    __slots__ = ("durable", "failure", "lines")

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.durable = trio.Event()
        self.failure: JournalWriteError | None = None


@contextlib.asynccontextmanager
async def open_journal_writer(journal: Journal) -> AsyncIterator[JournalWriter]:
    """A :class:`JournalWriter` on ``journal``, flushing in a background task until the block ends (then
    the last entries are written). Appenders must finish inside the block; the sync :class:`Journal`
    methods refuse to append meanwhile, so that the file keeps ``seq`` order."""
    writer = JournalWriter(journal)
    journal._writer_open = True
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(writer._flush_forever)
            try:
                yield writer
            finally:
                writer._closing = True
                writer._wakeup.set()
    finally:
        journal._writer_open = False


def read_entries(path: Path) -> list[Entry]:
    """Every complete entry of the journal at ``path`` (none if it does not exist), without changing it.

    A torn last line is ignored; any other bad line raises :class:`JournalCorrupt`.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")[:-1]  # the part after the last newline is empty or torn
    entries: list[Entry] = []
    open_intents: set[str] = set()
    for number, line in enumerate(lines, start=1):
        entry = _parse(line, path=path, number=number)
        problem = _out_of_order(entry, entries[-1].seq if entries else 0, open_intents)
        if problem:
            raise JournalCorrupt(problem, path=path, line=number)
        entries.append(entry)
    return entries


def _parse(line: bytes, *, path: Path, number: int) -> Entry:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise JournalCorrupt(f"not JSON ({exc})", path=path, line=number) from None
    if not isinstance(record, dict):
        raise JournalCorrupt("not a JSON object", path=path, line=number)
    for key, kinds in _FIELDS.items():
        value = record.get(key)
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise JournalCorrupt(f"{key!r} is missing or has the wrong type", path=path, line=number)
    if record["phase"] not in _PHASES:
        raise JournalCorrupt(f"unknown phase {record['phase']!r}", path=path, line=number)
    fields: dict[str, JSONValue] = {key: record.get(key) for key in _FIELDS}
    return Entry(**fields)


def _out_of_order(entry: Entry, previous: int, open_intents: set[str]) -> str:
    if entry.seq <= previous:
        return f"seq {entry.seq} does not follow seq {previous}"
    if entry.phase == "intent":
        open_intents.add(entry.step)
    elif entry.phase in ("done", "failed"):
        if entry.step not in open_intents:
            return f"step {entry.step!r} is {entry.phase} without an intent"
        open_intents.discard(entry.step)
    return ""


__all__ = [
    "JOURNAL_NAME",
    "Entry",
    "Journal",
    "JournalCorrupt",
    "JournalWriteError",
    "JournalWriter",
    "Phase",
    "Status",
    "StepState",
    "open_journal_writer",
    "read_entries",
]
