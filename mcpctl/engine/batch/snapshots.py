"""Snapshots: the exact bytes of every file a run changes, saved before it changes them (DESIGN.md §5).

``runs/<run-id>/snapshots/`` holds one copy per file (``0001-claude_desktop_config.json``) and
``index.jsonl``, one fsynced line per file in the order saved::

    {"n": 1, "path": "/home/u/.cursor/mcp.json", "existed": true, "mode": 420, "sha256": "9f2c...",
     "copy": "0001-mcp.json", "at": 1764089520.1}

The copy is durable before its index line, and the index line before :meth:`Snapshots.save` returns, so
a file is changed only once its snapshot can bring it back. :meth:`Snapshots.restore_all` (``mcpctl
rollback RUN``) puts every file back in reverse order, atomically, checking sha256 on the way in and out;
it may be interrupted and run again.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from mcpctl.errors import UsageError
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.store.files import fsync_directory, make_directories, truncate_torn_tail, write_all, write_atomic

SNAPSHOTS_DIR = "snapshots"
INDEX_NAME = "index.jsonl"
COPY_MODE = 0o600
"""Client configs hold tokens in ``env`` and ``headers``: copies are readable by their owner only."""

Action = Literal["restored", "removed", "unchanged", "absent", "failed"]
"""``restored``: bytes or mode put back; ``removed``: the run created the file; ``unchanged``: already as
saved; ``absent``: did not exist and still does not; ``failed``: see ``error``."""


class SnapshotCorrupt(UsageError):
    """A line of a snapshot index other than a torn last one cannot be read."""

    def __init__(self, problem: str, *, path: Path, line: int) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}: the snapshot index is damaged")


class _NotRestored(Exception):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What a file was before the run changed it."""

    number: int
    """Order of saving, from 1."""
    path: Path
    """The file's absolute path (symlinks resolved: the file that is written)."""
    existed: bool
    mode: int | None = None
    """Permission bits (``0o644``), if it existed."""
    sha256: str | None = None
    """Of the saved bytes, if it existed."""
    copy: str | None = None
    """The copy's name in the snapshots folder, if it existed."""
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Restored:
    """What :meth:`Snapshots.restore_all` did to one file."""

    path: Path
    action: Action
    error: str = ""


class Snapshots:
    """A run's snapshots: :meth:`save` before changing a file, :meth:`restore_all` to roll back."""

    def __init__(self, run_dir: Path) -> None:
        self.directory = run_dir / SNAPSHOTS_DIR
        self.index = self.directory / INDEX_NAME
        self._saved: dict[Path, Snapshot] = {}
        self._repaired = False
        for snapshot in _read_index(self.index):
            self._saved[snapshot.path] = snapshot

    def save(self, path: Path | str) -> Snapshot:
        """Save ``path``'s bytes and mode (or that it does not exist) unless already saved: the first
        snapshot of a file is the one rollback restores."""
        real = Path(os.path.realpath(path))
        if real in self._saved:
            return self._saved[real]
        number = len(self._saved) + 1
        make_directories(self.directory)
        try:
            data, mode = _read(real)
        except FileNotFoundError:
            snapshot = Snapshot(number=number, path=real, existed=False, at=time.time())
        else:
            copy = f"{number:04d}-{real.name[-120:]}"  # stays under NAME_MAX
            write_atomic(self.directory / copy, data, mode=COPY_MODE)
            digest = hashlib.sha256(data).hexdigest()
            snapshot = Snapshot(
                number=number, path=real, existed=True, mode=mode, sha256=digest, copy=copy, at=time.time()
            )
        self._append(snapshot)
        self._saved[real] = snapshot
        return snapshot

    def get(self, path: Path | str) -> Snapshot | None:
        """The snapshot of ``path``, if saved (resume compares a file in doubt with it)."""
        return self._saved.get(Path(os.path.realpath(path)))

    def all(self) -> list[Snapshot]:
        """Every snapshot in the order saved."""
        return list(self._saved.values())

    def restore_all(self) -> list[Restored]:
        """Put every saved file back as it was, newest first; remove the files that did not exist.

        Idempotent: a file already as saved is left alone (``unchanged``), so an interrupted rollback is
        simply run again. A file that cannot be restored is reported ``failed`` and the others go on.
        """
        done: list[Restored] = []
        for snapshot in reversed(self.all()):
            try:
                action = self._restore(snapshot)
            except (OSError, _NotRestored) as exc:
                done.append(Restored(path=snapshot.path, action="failed", error=str(exc)))
            else:
                done.append(Restored(path=snapshot.path, action=action))
        return done

    def _restore(self, snapshot: Snapshot) -> Action:
        if not snapshot.existed:
            try:
                os.unlink(snapshot.path)
            except FileNotFoundError:
                return "absent"
            fsync_directory(snapshot.path.parent)
            return "removed"
        assert snapshot.copy is not None  # existed: the index decoder filled both
        assert snapshot.mode is not None
        data = (self.directory / snapshot.copy).read_bytes()
        if hashlib.sha256(data).hexdigest() != snapshot.sha256:
            raise _NotRestored(
                f"{self.directory / snapshot.copy}: the copy does not match sha256 {snapshot.sha256}"
            )
        try:
            if _read(snapshot.path) == (data, snapshot.mode):
                return "unchanged"
        except FileNotFoundError:
            make_directories(snapshot.path.parent)
        write_atomic(snapshot.path, data, mode=snapshot.mode)
        if hashlib.sha256(snapshot.path.read_bytes()).hexdigest() != snapshot.sha256:
            raise _NotRestored(f"{snapshot.path}: the restored bytes do not match sha256 {snapshot.sha256}")
        return "restored"

    def _append(self, snapshot: Snapshot) -> None:
        if not self._repaired:  # a torn line left by a crash must not glue onto the next one
            truncate_torn_tail(self.index)
            self._repaired = True
        created = not self.index.exists()
        descriptor = os.open(self.index, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, COPY_MODE)
        try:
            write_all(descriptor, _encode(snapshot))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if created:
            fsync_directory(self.directory)


def _read(path: Path) -> tuple[bytes, int]:
    with open(path, "rb") as file:
        return file.read(), stat.S_IMODE(os.fstat(file.fileno()).st_mode)


def _encode(snapshot: Snapshot) -> bytes:
    record: dict[str, JSONValue] = {
        "n": snapshot.number,
        "path": str(snapshot.path),
        "existed": snapshot.existed,
    }
    if snapshot.existed:
        record.update(mode=snapshot.mode, sha256=snapshot.sha256, copy=snapshot.copy)
    record["at"] = snapshot.at
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def _read_index(index: Path) -> list[Snapshot]:
    try:
        lines = index.read_bytes().split(b"\n")[:-1]  # after the last newline: nothing, or a torn line
    except FileNotFoundError:
        return []
    return [_decode(line, index=index, number=number) for number, line in enumerate(lines, start=1)]


def _decode(line: bytes, *, index: Path, number: int) -> Snapshot:
    try:
        record = orjson.loads(line)
        existed = record["existed"]
        snapshot = Snapshot(
            number=int(record["n"]),
            path=Path(record["path"]),
            existed=bool(existed),
            mode=int(record["mode"]) if existed else None,
            sha256=str(record["sha256"]) if existed else None,
            copy=str(record["copy"]) if existed else None,
            at=float(record["at"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise SnapshotCorrupt(
            f"unreadable entry ({type(exc).__name__}: {exc})", path=index, line=number
        ) from None
    if snapshot.number != number or not snapshot.path.is_absolute():
        raise SnapshotCorrupt(
            f"entry {snapshot.number} for {snapshot.path} out of place", path=index, line=number
        )
    return snapshot


__all__ = ["INDEX_NAME", "SNAPSHOTS_DIR", "Action", "Restored", "Snapshot", "SnapshotCorrupt", "Snapshots"]
