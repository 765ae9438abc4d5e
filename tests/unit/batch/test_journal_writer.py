from __future__ import annotations

from pathlib import Path

import pytest
import trio

from mcpctl.engine.batch.journal import (
    Journal,
    JournalWriteError,
    JournalWriter,
    open_journal_writer,
    read_entries,
)


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = Journal._write

    def counting(self: Journal, chunks: list[bytes]) -> None:
        sizes.append(len(chunks))
        real(self, chunks)

    monkeypatch.setattr(Journal, "_write", counting)
    return sizes


async def test_every_acknowledged_entry_is_on_disk_and_appenders_share_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = _count_writes(monkeypatch)
    path = tmp_path / "journal.jsonl"
    acknowledged: list[str] = []

    async def item(writer: JournalWriter, number: int) -> None:
        step = f"execute/{number}"
        await writer.intent(step, op="execute", item=str(number))
        await writer.done(step, answer=number * 2)
        # durable means: on disk now, read through another descriptor
        assert f'"step":"{step}","phase":"done"'.encode() in path.read_bytes()
        acknowledged.append(step)

    with Journal.open(tmp_path) as journal:
        async with open_journal_writer(journal) as writer, trio.open_nursery() as nursery:
            for number in range(300):
                nursery.start_soon(item, writer, number)
    assert len(acknowledged) == 300
    entries = read_entries(path)
    assert [e.seq for e in entries] == list(range(1, 601))  # file order is seq order
    with Journal.open(tmp_path) as reopened:
        steps = reopened.steps()
    assert all(steps[step].status == "done" for step in acknowledged)
    assert steps["execute/7"].last is not None
    assert steps["execute/7"].last.data == {"answer": 14}
    assert sum(writes) == 600
    assert len(writes) < 100  # group commit: far fewer write+fsync rounds than entries


async def test_entries_queued_at_the_end_are_flushed_before_the_block_ends(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        async with open_journal_writer(journal) as writer:
            await writer.skipped("validate/a", op="validate", reason="filtered")
            await writer.intent("deploy/b", op="deploy")
            await writer.failed("deploy/b", "conflict")
        assert [s.status for s in journal.steps().values()] == ["skipped", "failed"]
    assert len(read_entries(tmp_path / "journal.jsonl")) == 3


async def test_the_sync_journal_refuses_to_append_while_a_writer_is_open(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        async with open_journal_writer(journal) as writer:
            with pytest.raises(RuntimeError, match="append through the open JournalWriter"):
                journal.intent("a", op="execute")
        journal.intent("a", op="execute")  # closed: allowed again
        with pytest.raises(RuntimeError, match="the JournalWriter is closed"):
            await writer.done("a")


async def test_a_failed_write_fails_its_waiters_and_every_later_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Journal, chunks: list[bytes]) -> None:
        raise JournalWriteError(
            f"{self.path}: cannot append to the journal: [Errno 28] No space left on device"
        )

    monkeypatch.setattr(Journal, "_write", full)
    errors: list[str] = []

    async def item(number: int) -> None:
        try:
            await writer.intent(f"execute/{number}", op="execute")
        except JournalWriteError as exc:
            errors.append(str(exc))

    with Journal.open(tmp_path) as journal:
        async with open_journal_writer(journal) as writer:
            async with trio.open_nursery() as nursery:
                for number in range(5):
                    nursery.start_soon(item, number)
            await item(99)
    assert (
        errors
        == [f"{tmp_path}/journal.jsonl: cannot append to the journal: [Errno 28] No space left on device"] * 6
    )


async def test_cancelling_the_appenders_leaves_a_consistent_journal(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        async with open_journal_writer(journal) as writer:
            with trio.move_on_after(0.05):
                async with trio.open_nursery() as nursery:
                    for number in range(50):
                        nursery.start_soon(_forever, writer, number)
    with Journal.open(tmp_path) as reopened:
        assert reopened.steps()  # every line written was whole and in order


async def _forever(writer: JournalWriter, number: int) -> None:
    for attempt in range(1_000_000):
        step = f"execute/{number}/{attempt}"
        await writer.intent(step, op="execute")
        await writer.done(step)
