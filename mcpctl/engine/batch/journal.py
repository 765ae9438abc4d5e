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

from mcpctl.engine.batch.group_commit import Durable, GroupCommit, Sink, open_group_commit
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
        self._pairs: dict[str, tuple[dict[str, JSONValue], int]] = {}
        """Steps settled by :meth:`_pair` since opening: their last line and how many pairs."""
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
        for step in list(self._pairs):
            self._fold(step)
        return dict(self._steps)

    def state(self, step: str) -> StepState:
        """Where ``step`` stands (``pending`` if never journaled)."""
        self._fold(step)
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

    def _pair(
        self, step: str, phase: Phase, op: str, item: str | None, data: dict[str, JSONValue]
    ) -> tuple[int, bytes]:
        """An intent and its outcome as two lines, replayed as one. The hot path of ``execute``, so
        the lines are built directly (as :meth:`Entry.line` would) and the step's state is kept
        compact until asked for (:meth:`state`). Returns the outcome's seq and the lines."""
        now, seq = time.time(), self._seq + 1
        head: dict[str, JSONValue] = {"seq": seq, "step": step, "phase": "intent", "op": op}
        tail: dict[str, JSONValue] = {"seq": seq + 1, "step": step, "phase": phase, "op": op}
        if item is not None:
            head["item"] = tail["item"] = item
        if data:
            tail["data"] = data
        head["at"] = tail["at"] = now
        lines = orjson.dumps(head, option=orjson.OPT_APPEND_NEWLINE) + orjson.dumps(
            tail, option=orjson.OPT_APPEND_NEWLINE
        )
        self._seq = seq + 1
        self._pairs[step] = (tail, self._pairs[step][1] + 1 if step in self._pairs else 1)
        return seq + 1, lines

    def _outcome(self, step: str, phase: Phase, data: dict[str, JSONValue]) -> tuple[Entry, bytes]:
        self._fold(step)
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

    def _fold(self, step: str) -> None:
        """Turn the compact state :meth:`_pair` keeps into the step's :class:`StepState`."""
        pair = self._pairs.pop(step, None)
        if pair is None:
            return
        tail, pairs = pair
        last = Entry(
            seq=int(tail["seq"]),
            step=step,
            phase=tail["phase"],
            op=str(tail["op"]),
            item=tail.get("item"),
            data=tail.get("data"),
            at=float(tail["at"]),
        )
        before = self._steps.get(step)
        self._steps[step] = StepState(
            step=step,
            status=_STATUS[last.phase],
            op=last.op,
            item=last.item,
            attempts=(before.attempts if before else 0) + pairs,
            last=last,
        )

    def _apply(self, entry: Entry) -> None:
        self._fold(entry.step)
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
    """Async appends to a :class:`Journal` with group commit (:mod:`.group_commit`): each returns once
    its entry is durable, and every entry queued while a write+fsync runs goes into the next one. Get
    one from :func:`open_journal_writer`.
    """

    def __init__(self, journal: Journal, committer: GroupCommit) -> None:
        self._journal = journal
        self._committer = committer

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

    async def settled(
        self,
        step: str,
        phase: Literal["done", "failed"],
        *,
        op: str,
        item: str | None = None,
        evidence: tuple[Sink, bytes] | None = None,
        **data: JSONValue,
    ) -> int:
        """Journal a step's intent and its outcome together, in one commit: for steps whose evidence
        of effect lives elsewhere (an ``execute`` answer in its output), so that resuming needs no
        intent written before the effect. ``evidence`` is made durable first, in the same round.
        Returns the outcome's seq."""
        self._ready()
        seq, lines = self._journal._pair(step, phase, op, item, data)
        await self._committer.append(lines, evidence=evidence)
        return seq

    def settled_nowait(
        self,
        step: str,
        phase: Literal["done", "failed"],
        *,
        op: str,
        on_durable: Durable,
        item: str | None = None,
        evidence: tuple[Sink, bytes] | None = None,
        **data: JSONValue,
    ) -> int:
        """:meth:`settled` without waiting: ``on_durable`` hears when the entries (and evidence) are
        durable. Call :meth:`barrier` before relying on all of them."""
        self._ready()
        seq, lines = self._journal._pair(step, phase, op, item, data)
        self._committer.append_nowait(lines, on_durable, evidence=evidence)
        return seq

    async def barrier(self) -> None:
        """Return once every entry appended so far is durable."""
        await self._committer.barrier()

    def _ready(self) -> None:
        if self._committer.usable:
            return
        try:
            self._committer.check()
        except RuntimeError:
            raise RuntimeError("journal: the JournalWriter is closed") from None

    async def _commit(self, entry: Entry, line: bytes) -> Entry:
        await self._committer.append(line)
        return entry


@contextlib.asynccontextmanager
async def open_journal_writer(journal: Journal) -> AsyncIterator[JournalWriter]:
    """A :class:`JournalWriter` on ``journal``, flushing in a background task until the block ends (then
    the last entries are written). Appenders must finish inside the block; the sync :class:`Journal`
    methods refuse to append meanwhile, so that the file keeps ``seq`` order."""
    journal._writer_open = True
    try:
        async with open_group_commit(journal._write) as committer:
            yield JournalWriter(journal, committer)
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
