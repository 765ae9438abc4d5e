from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.batch import journal as journal_module
from mcpctl.engine.batch.journal import (
    Entry,
    Journal,
    JournalCorrupt,
    JournalWriteError,
    StepState,
    read_entries,
)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module.time, "time", lambda: 1764089520.5)


def _lines(run_dir: Path) -> list[bytes]:
    return (run_dir / "journal.jsonl").read_bytes().splitlines()


def test_each_append_is_one_json_line_on_disk_at_once(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "r1"
    with Journal.open(run) as journal:
        journal.intent("execute/42", op="execute", item="42", attempt=1)
        assert _lines(run) == [
            b'{"seq":1,"step":"execute/42","phase":"intent","op":"execute","item":"42",'
            b'"data":{"attempt":1},"at":1764089520.5}'
        ]
        journal.done("execute/42")
        journal.skipped("validate/a", op="validate", reason="not selected")
        journal.intent("deploy/cursor", op="deploy")
        journal.failed("deploy/cursor", "entry differs", path="/x")
    assert _lines(run)[1:] == [
        b'{"seq":2,"step":"execute/42","phase":"done","op":"execute","item":"42","at":1764089520.5}',
        b'{"seq":3,"step":"validate/a","phase":"skipped","op":"validate","data":{"reason":"not selected"},'
        b'"at":1764089520.5}',
        b'{"seq":4,"step":"deploy/cursor","phase":"intent","op":"deploy","at":1764089520.5}',
        b'{"seq":5,"step":"deploy/cursor","phase":"failed","op":"deploy","data":{"error":"entry differs",'
        b'"path":"/x"},"at":1764089520.5}',
    ]
    assert oct((run / "journal.jsonl").stat().st_mode & 0o777) == "0o600"


def test_reopening_replays_every_step(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        journal.intent("a", op="execute", item="1")
        journal.done("a", bytes=10)
        journal.intent("b", op="execute", item="2", why="in doubt")
        journal.intent("c", op="deploy")
        journal.failed("c", "boom")
        journal.intent("c", op="deploy")  # a retry
        journal.done("c")
    with Journal.open(tmp_path) as journal:
        steps = journal.steps()
        assert list(steps) == ["a", "b", "c"]
        assert [(s.status, s.op, s.item, s.attempts) for s in steps.values()] == [
            ("done", "execute", "1", 1),
            ("in_doubt", "execute", "2", 1),
            ("done", "deploy", None, 2),
        ]
        assert steps["b"].last == Entry(
            seq=3, step="b", phase="intent", op="execute", item="2", data={"why": "in doubt"}, at=1764089520.5
        )
        assert journal.state("never") == StepState(step="never", status="pending")
        # appends go on after the replayed ones
        assert journal.done("b").seq == 8


def test_an_outcome_needs_an_open_intent(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        with pytest.raises(ValueError, match="journal: done for step 'a', which has no open intent"):
            journal.done("a")
        journal.intent("a", op="execute")
        journal.done("a")
        with pytest.raises(ValueError, match="journal: failed for step 'a', which has no open intent"):
            journal.failed("a", "again")


def test_unserialisable_data_consumes_no_seq(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        with pytest.raises(TypeError):
            journal.intent("a", op="execute", what=object())
        assert journal.state("a").status == "pending"
        assert journal.intent("a", op="execute").seq == 1


def test_a_group_is_written_and_fsynced_once_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    real_write = Journal._write
    monkeypatch.setattr(
        Journal, "_write", lambda self, chunks: (writes.append(len(chunks)), real_write(self, chunks))
    )
    with Journal.open(tmp_path) as journal:
        with journal.group():
            journal.intent("a", op="deploy")
            with journal.group():  # nested groups join the outer one
                journal.intent("b", op="deploy")
            journal.done("a")
            assert _lines(tmp_path) == []
        assert len(_lines(tmp_path)) == 3
        journal.done("b")
    assert writes == [3, 1]


def test_a_torn_last_line_is_ignored_then_cut_on_reopen(tmp_path: Path) -> None:
    with Journal.open(tmp_path) as journal:
        journal.intent("a", op="execute")
    path = tmp_path / "journal.jsonl"
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"seq":2,"step":"a","pha')  # killed mid-write
    assert [e.seq for e in read_entries(path)] == [1]
    assert path.read_bytes().endswith(b'"pha')  # reading alone changes nothing
    with Journal.open(tmp_path) as journal:
        assert path.read_bytes() == whole
        journal.done("a")
    assert [e.phase for e in read_entries(path)] == ["intent", "done"]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (b"{not json", "not JSON (unexpected character, expected a string key: line 1 column 2 (char 1))"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"seq":2,"step":"a","phase":"intent","at":1.0}', "'op' is missing or has the wrong type"),
        (
            b'{"seq":true,"step":"a","phase":"intent","op":"x","at":1.0}',
            "'seq' is missing or has the wrong type",
        ),
        (
            b'{"seq":2,"step":"a","phase":"intent","op":"x","data":[],"at":1.0}',
            "'data' is missing or has the wrong type",
        ),
        (b'{"seq":2,"step":"a","phase":"begun","op":"x","at":1.0}', "unknown phase 'begun'"),
        (b'{"seq":1,"step":"a","phase":"intent","op":"x","at":1.0}', "seq 1 does not follow seq 1"),
        (b'{"seq":2,"step":"z","phase":"done","op":"x","at":1.0}', "step 'z' is done without an intent"),
    ],
)
def test_a_corrupt_line_is_an_error_naming_it(tmp_path: Path, bad: bytes, problem: str) -> None:
    run = tmp_path / "runs" / "20261125T161203-3fa2c1"
    with Journal.open(run) as journal:
        journal.intent("a", op="execute")
    path = run / "journal.jsonl"
    good = path.read_bytes()
    path.write_bytes(good + bad + b"\n" + good.replace(b'"seq":1', b'"seq":9'))
    with pytest.raises(JournalCorrupt) as caught:
        Journal.open(run)
    assert str(caught.value) == (
        f"{path}:2: {problem}: the journal is damaged (a crash tears at most its last line); "
        "`mcpctl rollback 20261125T161203-3fa2c1` still restores files from the run's snapshots"
    )
    assert caught.value.line == 2


def test_a_complete_but_corrupt_last_line_is_not_forgiven(tmp_path: Path) -> None:
    (tmp_path / "journal.jsonl").write_bytes(b"garbage\n")
    with pytest.raises(JournalCorrupt, match=r"journal.jsonl:1: not JSON"):
        Journal.open(tmp_path)


def test_a_failed_write_is_a_journal_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(descriptor: int, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module, "write_all", full)
    with Journal.open(tmp_path) as journal, pytest.raises(JournalWriteError) as caught:
        journal.intent("a", op="execute")
    assert str(caught.value) == (
        f"{tmp_path}/journal.jsonl: cannot append to the journal: [Errno 28] No space left on device"
    )
    assert caught.value.exit_code == 3
