"""Batch plans: operations over many servers, with a journal, snapshots and a state lock.

The crash-safe storage the engine builds on: :mod:`.journal` (intent and outcome of every step, group
commit), :mod:`.snapshots` (files as they were before the run), :mod:`.lock` (one apply per state dir).
The engine: :mod:`.engine` (plan, apply, resume, the run's directory), :mod:`.run` (the step loop,
failure budget, memory guard, signals), :mod:`.ops` (one module per operation), :mod:`.tally`.

Resuming (``mcpctl apply --resume RUN``) replays :meth:`Journal.steps`. ``done`` steps are settled;
``failed`` and ``pending`` (never journaled) steps run; ``skipped`` ones are decided again (an entry
still unchanged is skipped again; a server whose validation failed is validated again). An ``in_doubt`` step (an intent
without an outcome: killed mid-step) is resolved by its operation, so each operation must leave evidence
of its effect *before* it journals ``done``:

- ``execute``: the answer line, holding the item key, is made durable in the output before the
  item's journal entries, in the same group-commit round (:mod:`.group_commit`: evidence first);
  the item's intent and ``done`` are written together, since the output is the evidence. Resume
  truncates the output's torn tail (:func:`mcpctl.store.files.truncate_torn_tail`), reads its keys,
  journals ``done(step, recovered=True)`` for in-doubt items (a kill between the two lines) whose
  key is there, skips pending items whose key is there, and runs the rest again: every answer is
  written exactly once (the tool itself may have been called twice).
- file changes (``deploy``, ``update``): :meth:`Snapshots.save` first, then ``intent(step, ...,
  sha256_after=...)``, then the atomic write, then ``done``. In doubt: the file's sha256 equals
  ``sha256_after`` → done; equals the snapshot's → not applied, run it; anything else → someone else
  changed the file: fail the step rather than overwrite.
- read-only operations (``validate``, ``test``): run again.
"""

from __future__ import annotations

from mcpctl.engine.batch.journal import (
    Entry,
    Journal,
    JournalCorrupt,
    JournalWriteError,
    JournalWriter,
    StepState,
    open_journal_writer,
)
from mcpctl.engine.batch.lock import LockHolder, acquire_state_lock
from mcpctl.engine.batch.snapshots import Restored, Snapshot, SnapshotCorrupt, Snapshots

__all__ = [
    "Entry",
    "Journal",
    "JournalCorrupt",
    "JournalWriteError",
    "JournalWriter",
    "LockHolder",
    "Restored",
    "Snapshot",
    "SnapshotCorrupt",
    "Snapshots",
    "StepState",
    "acquire_state_lock",
    "open_journal_writer",
]
