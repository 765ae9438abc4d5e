from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mcpctl.engine.results import reliability
from mcpctl.errors import UsageError
from mcpctl.store import RunSummary, new_run_id, open_store, state_dir
from mcpctl.store.schema import MIGRATIONS, VERSION
from tests.unit.report.sample import STARTED, sample_run


def test_a_run_reads_back_equal(tmp_path: Path) -> None:
    run = sample_run()
    with open_store(tmp_path / "state") as store:
        store.save_run(run)
    with open_store(tmp_path / "state") as store:
        assert store.get_run(run.run_id) == run


def test_a_repeated_case_keeps_its_reliability_and_snapshots(tmp_path: Path) -> None:
    base = sample_run()
    suite = base.suites[0]
    first = dataclasses.replace(
        suite.cases[0],
        flaky=True,
        reliability=reliability(
            runs=20, passed=18, k=5, required=">= 90%", failures=("run 3 of 20: token abc123 refused",)
        ),
        snapshots={"list": "unchanged", "item": "written"},
    )
    run = dataclasses.replace(base, suites=(dataclasses.replace(suite, cases=(first, *suite.cases[1:])),))
    with open_store(tmp_path / "state") as store:
        store.save_run(run, redact=lambda text: text.replace("abc123", "***"))
        back = store.get_run(run.run_id)
    kept = back.suites[0].cases[0]
    assert kept.reliability == dataclasses.replace(
        first.reliability, failures=("run 3 of 20: token *** refused",)
    )
    assert kept.snapshots == {"list": "unchanged", "item": "written"}
    assert back.suites[0].cases[1:] == suite.cases[1:]


def test_the_database_is_wal_migrated_and_ignored_by_git(tmp_path: Path) -> None:
    directory = tmp_path / "deep" / ".mcpctl"
    with open_store(directory) as store:
        assert store.journal_mode() == "wal"
    assert (directory / ".gitignore").read_text() == (
        "# created by mcpctl: local state, not for version control\n*\n"
    )
    conn = sqlite3.connect(directory / "state.db")
    assert conn.execute("PRAGMA user_version").fetchone() == (VERSION,)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {
        *("runs", "suites", "cases", "mock_serves", "mock_calls"),
        *("alert_history", "alerts_active", "alert_acks", "silences", "monitor_events", "monitor_rollups"),
        "baselines",
        "sqlite_sequence",  # kept by SQLite for the AUTOINCREMENT ids
    }
    conn.close()


def test_an_existing_directory_gets_no_gitignore(tmp_path: Path) -> None:
    # the user's own folder: a "*" there would hide their files from git
    with open_store(tmp_path):
        pass
    assert not (tmp_path / ".gitignore").exists()


def test_a_version_2_database_is_migrated_keeping_its_runs(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "state.db")
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO runs VALUES ('r1', 'test', 1.0, 2.0, 'passed', 0)")
    conn.execute(
        "INSERT INTO suites VALUES ('r1', 0, 'TestSuite', 's', 'echo', '{}', '', 'a.yaml', '', 1.0, 2.0,"
        " 'passed', '')"
    )
    conn.commit()
    conn.close()
    with open_store(tmp_path) as store:
        [suite] = store.get_run("r1").suites
    assert (suite.name, suite.attachment) == ("s", "")


def test_an_empty_database_file_is_migrated(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "state.db").close()
    with open_store(tmp_path) as store:
        store.save_run(sample_run())
        assert len(store.list_runs(limit=5)) == 1


def test_a_database_from_a_newer_mcpctl_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(UsageError) as caught:
        open_store(tmp_path)
    assert str(caught.value) == (
        f"state store {tmp_path / 'state.db'}: schema version 99 is newer than this mcpctl knows "
        f"({VERSION}); upgrade mcpctl, or use another --state-dir"
    )


def test_a_corrupt_database_names_its_path(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError) as caught:
        open_store(tmp_path)
    assert str(caught.value) == (
        f"state store {tmp_path / 'state.db'}: cannot open it: file is not a database "
        "(choose another with --state-dir or MCPCTL_STATE_DIR)"
    )


def test_a_state_dir_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(UsageError, match=r"^state store .*taken/state\.db: cannot open it: "):
        open_store(tmp_path / "taken")


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "none", create=False) as store:
        assert store.list_runs(limit=5) == []
        with pytest.raises(UsageError) as caught:
            store.get_run("last")
    assert str(caught.value) == f"no runs recorded in {tmp_path / 'none'} (run mcpctl test first)"
    assert not (tmp_path / "none").exists()


def test_a_writer_waits_for_another_connection(tmp_path: Path) -> None:
    def save_second() -> None:
        with open_store(tmp_path) as second:
            second.save_run(sample_run("20261125T161203-000002"))

    with open_store(tmp_path) as first:
        first._conn.execute("BEGIN IMMEDIATE")  # hold the write lock, as a slow writer would
        saver = threading.Thread(target=save_second)
        saver.start()
        time.sleep(0.2)
        assert saver.is_alive()  # waiting on busy_timeout, not failed with "database is locked"
        first._conn.execute(
            "INSERT INTO runs VALUES ('20261125T161203-000001', 'test', 1.0, 1.0, 'passed', 0)"
        )
        first._conn.execute("COMMIT")
        saver.join(timeout=10)
        assert [summary.id for summary in first.list_runs(limit=5)] == [
            "20261125T161203-000002",
            "20261125T161203-000001",
        ]


def test_concurrent_savers_lose_nothing(tmp_path: Path) -> None:
    def save_many(tag: str) -> None:
        with open_store(tmp_path) as store:
            for number in range(15):
                store.save_run(sample_run(f"{tag}-{number:02d}", started_at=STARTED + number))

    threads = [threading.Thread(target=save_many, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with open_store(tmp_path) as store:
        assert len(store.list_runs(limit=100)) == 30


def test_processes_creating_the_store_together_all_get_it(tmp_path: Path) -> None:
    # switching a new file to WAL answers "locked" at once (no busy handler): open_store retries
    failures: list[BaseException] = []

    def open_one(directory: Path) -> None:
        try:
            with open_store(directory):
                pass
        except BaseException as exc:
            failures.append(exc)

    for round_ in range(10):
        threads = [threading.Thread(target=open_one, args=(tmp_path / str(round_),)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == []


def test_a_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.save_run(sample_run())
        with pytest.raises(sqlite3.IntegrityError):
            store.save_run(sample_run())  # same id
        assert len(store.list_runs(limit=5)) == 1


def _three_runs(directory: Path) -> None:
    with open_store(directory) as store:
        for number, run_id in enumerate(
            ["20261125T161203-3fa2c1", "20261125T161203-3fb000", "20261126T080000-0a0a0a"]
        ):
            store.save_run(sample_run(run_id, started_at=STARTED + number))


@pytest.mark.parametrize(
    ("ref", "found"),
    [
        ("last", "20261126T080000-0a0a0a"),
        ("20261125T161203-3fa2c1", "20261125T161203-3fa2c1"),
        ("20261125T161203-3fb", "20261125T161203-3fb000"),
        ("20261126", "20261126T080000-0a0a0a"),
    ],
)
def test_a_run_is_named_by_id_prefix_or_last(tmp_path: Path, ref: str, found: str) -> None:
    _three_runs(tmp_path)
    with open_store(tmp_path) as store:
        assert store.get_run(ref).run_id == found


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (
            "20261125T161203-3f",
            "run '20261125T161203-3f' is ambiguous: it starts 20261125T161203-3fa2c1, "
            "20261125T161203-3fb000; give more characters",
        ),
        ("2027", "no run '2027' in {dir} (mcpctl runs lists them)"),
        ("%", "no run '%' in {dir} (mcpctl runs lists them)"),
    ],
)
def test_unknown_and_ambiguous_refs_are_usage_errors(tmp_path: Path, ref: str, message: str) -> None:
    _three_runs(tmp_path)
    with open_store(tmp_path) as store, pytest.raises(UsageError) as caught:
        store.get_run(ref)
    assert str(caught.value) == message.format(dir=tmp_path)


def test_runs_are_listed_newest_first_with_counts(tmp_path: Path) -> None:
    _three_runs(tmp_path)
    with open_store(tmp_path) as store:
        listed = store.list_runs(limit=2)
    assert listed == [
        RunSummary(
            id="20261126T080000-0a0a0a",
            command="test",
            started_at=STARTED + 2,
            duration_ms=1234.5,
            status="error",
            exit_code=3,
            suites=("TestSuite/basic", "TestSuite/broken"),
            passed=2,
            failed=1,
            error=1,  # the suite that could not run
            skipped=1,
        ),
        RunSummary(
            id="20261125T161203-3fb000",
            command="test",
            started_at=STARTED + 1,
            duration_ms=1234.5,
            status="error",
            exit_code=3,
            suites=("TestSuite/basic", "TestSuite/broken"),
            passed=2,
            failed=1,
            error=1,
            skipped=1,
        ),
    ]


def test_secrets_are_redacted_before_they_are_saved(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        store.save_run(sample_run(), redact=lambda text: text.replace("41", "***"))
        saved = store.get_run("last")
    assert saved.suites[0].cases[1].message == "structuredContent/sum: expected 42, got ***"
    assert saved.suites[0].cases[1].details == ("- 42", "+ ***")
    stored = (tmp_path / "state.db").read_bytes()  # the last close checkpointed the WAL into it
    assert b"got ***" in stored
    assert b"got 41" not in stored


def test_run_ids_sort_by_time() -> None:
    first = new_run_id(STARTED)
    assert re.fullmatch(r"20261125T161203-[0-9a-f]{6}", first)
    assert new_run_id(STARTED + 1) > first
    assert len({new_run_id(STARTED) for _ in range(20)}) > 1


def test_state_dir_prefers_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPCTL_STATE_DIR", raising=False)
    assert state_dir(None) == Path(".mcpctl")
    monkeypatch.setenv("MCPCTL_STATE_DIR", "/env/state")
    assert state_dir(None) == Path("/env/state")
    assert state_dir("given") == Path("given")


def test_a_store_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    with open_store(tmp_path) as first, open_store(tmp_path) as second:
        second._conn.execute("PRAGMA busy_timeout = 50")
        first._conn.execute("BEGIN IMMEDIATE")
        with pytest.raises(UsageError) as caught:
            second.save_run(sample_run())
        first._conn.execute("ROLLBACK")
    assert str(caught.value) == (
        f"state store {tmp_path / 'state.db'}: cannot record run 20261125T161203-3fa2c1: database is locked"
    )
