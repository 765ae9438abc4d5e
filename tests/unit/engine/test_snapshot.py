"""Snapshots, unit by unit: each normalizer, what a snapshot keeps of an answer, and every outcome of a
check (written, unchanged, failed with its diff, updated, refused, missing under CI), with exact text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mcpctl.engine.expect import Answer, RpcFailure
from mcpctl.engine.snapshot import (
    MAX_DIFF_LINES,
    UPDATE_SNAPSHOTS,
    SnapshotMode,
    answer_document,
    check_snapshot,
    diff,
    note,
    snapshot_path,
)
from mcpctl.engine.snapshot_normalize import normalize
from mcpctl.spec.model import IgnoreKeys, Normalizer, Preset, ReplaceText, SortLists

PRESETS: tuple[Normalizer, ...] = (Preset(name="timestamps"), Preset(name="uuids"), Preset(name="tmp-paths"))


def tool(structured: object, text: str = "ok") -> Answer:
    return Answer(
        kind="tool", result={"content": [{"type": "text", "text": text}], "structuredContent": structured}
    )


def test_the_timestamp_preset_takes_iso_8601_strings_and_epoch_numbers_under_time_keys() -> None:
    value = {
        "text": "at 2025-06-03T09:12:00.000Z, then 2025-06-03 09:12:00+02:00 and 2025-06-03T09:12:00,5-0700",
        "createdAt": 1764115200,
        "updated_at": 1764115200123,
        "timestamp": 1764115200.5,
        "count": 1764115200,
        "expires": 12,
        "nested": [{"startTime": 1764115200123456}],
        "date": "2025-06-03",
    }
    assert normalize(value, [Preset(name="timestamps")]) == {
        "text": "at <timestamp>, then <timestamp> and <timestamp>",
        "createdAt": "<timestamp>",
        "updated_at": "<timestamp>",
        "timestamp": "<timestamp>",
        "count": 1764115200,  # not a time key
        "expires": 12,  # not epoch-like
        "nested": [{"startTime": "<timestamp>"}],
        "date": "2025-06-03",  # a date alone is not a moment
    }


def test_the_uuid_and_tmp_path_presets() -> None:
    value = {
        "id": "9B2E4C1A-0001-4F6E-8A3B-1D2C3E4F5A61",
        "text": "wrote /tmp/pytest-of-me/pytest-3/test_a0/out.txt, and /var/folders/x1/T/y.log; /tmp done",
        "mac": "/private/var/folders/ab/cd/T/z",
        "uri": "file:///tmp/a b",
        "kept": "/home/me/tmp/file not-a-uuid-1234",
    }
    assert normalize(value, [Preset(name="uuids"), Preset(name="tmp-paths")]) == {
        "id": "<uuid>",
        "text": "wrote <tmp-path>, and <tmp-path>; <tmp-path> done",
        "mac": "<tmp-path>",
        "uri": "file://<tmp-path> b",
        "kept": "/home/me/tmp/file not-a-uuid-1234",
    }


def test_replace_ignore_keys_and_sort_lists() -> None:
    value = {
        "a": {"etag": "x", "items": [3, 1, 2], "ids": ["b", "a"]},
        "etag": "y",
        "list": [{"k": 2}, {"k": 1}],
        "msg": "req-123 ok",
    }
    assert normalize(
        value,
        [
            ReplaceText(pattern=re.compile(r"req-(\d+)"), replacement=r"req-N"),
            IgnoreKeys(keys=("etag", "/a/ids/0", "/missing/x")),
            SortLists(pointers=("/a/items",)),
        ],
    ) == {"a": {"items": [1, 2, 3], "ids": ["a"]}, "list": [{"k": 2}, {"k": 1}], "msg": "req-N ok"}
    assert normalize(value, [SortLists()])["list"] == [{"k": 1}, {"k": 2}]  # type: ignore[index]
    assert value["a"] == {"etag": "x", "items": [3, 1, 2], "ids": ["b", "a"]}  # not changed in place


def test_normalizers_are_idempotent() -> None:
    value = {"at": "2025-06-03T09:12:00Z", "id": "9b2e4c1a-0001-4f6e-8a3b-1d2c3e4f5a61", "p": "/tmp/x"}
    once = normalize(value, PRESETS)
    assert normalize(once, PRESETS) == once


def test_what_a_snapshot_keeps_of_each_kind_of_answer() -> None:
    assert answer_document(Answer(kind="tool", result={"content": [], "_meta": {"x": 1}})) == {
        "content": [],
        "isError": False,
    }
    assert answer_document(Answer(kind="resource", result={"contents": [{"uri": "a"}]})) == {
        "contents": [{"uri": "a"}]
    }
    assert answer_document(Answer(kind="prompt", result={"description": "d", "messages": []})) == {
        "description": "d",
        "messages": [],
    }
    error = Answer(kind="tool", error=RpcFailure(code=-32603, message="boom", data={"why": 1}))
    assert answer_document(error) == {"error": {"code": -32603, "message": "boom", "data": {"why": 1}}}


def test_the_path_beside_the_spec() -> None:
    assert snapshot_path("specs/api.yaml", "list") == Path("specs/__snapshots__/api/list.json")
    assert snapshot_path("/x/api.yml", "list.yaml") == Path("/x/__snapshots__/api/list.yaml")
    assert snapshot_path("api.yaml", "v1.json") == Path("__snapshots__/api/v1.json")


def check(tmp_path: Path, answer: Answer, *, mode: SnapshotMode | None = None, others_failed: bool = False):  # type: ignore[no-untyped-def]
    return check_snapshot(
        "item",
        answer,
        spec_path=str(tmp_path / "suite.yaml"),
        normalizers=PRESETS,
        mode=mode or SnapshotMode(),
        others_failed=others_failed,
    )


def test_written_then_unchanged_despite_new_ids_and_times(tmp_path: Path) -> None:
    first = check(
        tmp_path, tool({"id": "9b2e4c1a-0001-4f6e-8a3b-1d2c3e4f5a61", "at": "2025-06-03T09:12:00Z"})
    )
    assert (first.status, first.failures) == ("written", ())
    path = tmp_path / "__snapshots__" / "suite" / "item.json"
    assert path.read_text() == (
        "{\n"
        '  "content": [\n'
        "    {\n"
        '      "text": "ok",\n'
        '      "type": "text"\n'
        "    }\n"
        "  ],\n"
        '  "isError": false,\n'
        '  "structuredContent": {\n'
        '    "at": "<timestamp>",\n'
        '    "id": "<uuid>"\n'
        "  }\n"
        "}\n"
    )
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    again = check(
        tmp_path, tool({"id": "0d33bdac-1c64-4d8f-8f41-a2a427444231", "at": "2026-01-01T00:00:00Z"})
    )
    assert (again.status, again.failures) == ("unchanged", ())
    updating = check(
        tmp_path,
        tool({"at": "2027-01-01T00:00:00Z", "id": "0d33bdac-1c64-4d8f-8f41-a2a427444231"}),
        mode=SnapshotMode(update=True),
    )
    assert updating.status == "unchanged"
    assert path.stat().st_mtime_ns == 1_000_000_000  # an unchanged snapshot is not rewritten


def test_a_changed_answer_fails_with_a_minimal_diff(tmp_path: Path) -> None:
    check(tmp_path, tool({"name": "a", "size": 1, "tags": ["x"]}))
    found = check(tmp_path, tool({"name": "b", "size": 1, "tags": ["x"]}))
    assert found.status == "failed"
    (failure,) = found.failures
    assert failure.message == (
        "snapshot item: the answer differs from __snapshots__/suite/item.json"
        " (mcpctl test --update-snapshots accepts it)"
    )
    assert failure.details == (
        "--- __snapshots__/suite/item.json",
        "+++ answer",
        "@@ -9,3 +9,3 @@",
        '   "structuredContent": {',
        '-    "name": "a",',
        '+    "name": "b",',
        '     "size": 1,',
    )


def test_update_rewrites_a_changed_snapshot_atomically(tmp_path: Path) -> None:
    check(tmp_path, tool({"v": 1}))
    found = check(tmp_path, tool({"v": 2}), mode=SnapshotMode(update=True))
    assert (found.status, found.failures) == ("updated", ())
    path = tmp_path / "__snapshots__" / "suite" / "item.json"
    assert '"v": 2' in path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["item.json"]  # no temp file left behind


def test_no_write_while_other_assertions_fail(tmp_path: Path) -> None:
    missing = check(tmp_path, tool({"v": 1}), others_failed=True)
    assert missing.status == "refused"
    assert [f.message for f in missing.failures] == [
        "snapshot item not written: the test's other assertions fail"
    ]
    assert not (tmp_path / "__snapshots__").exists()
    check(tmp_path, tool({"v": 1}))
    refused = check(tmp_path, tool({"v": 2}), mode=SnapshotMode(update=True), others_failed=True)
    assert [f.message for f in refused.failures] == [
        "snapshot item not updated: the test's other assertions fail"
    ]
    assert '"v": 1' in (tmp_path / "__snapshots__" / "suite" / "item.json").read_text()


def test_under_ci_a_missing_snapshot_fails_unless_updating(tmp_path: Path) -> None:
    found = check(tmp_path, tool({"v": 1}), mode=SnapshotMode(ci=True))
    assert found.status == "missing"
    assert [f.message for f in found.failures] == [
        "snapshot item missing; run mcpctl test --update-snapshots"
    ]
    assert not (tmp_path / "__snapshots__").exists()
    assert check(tmp_path, tool({"v": 1}), mode=SnapshotMode(ci=True, update=True)).status == "written"


def test_a_run_that_only_compares_writes_no_snapshot(tmp_path: Path) -> None:
    # mcpctl compare --suite: server B must not be judged by a snapshot server A just wrote
    found = check(tmp_path, tool({"v": 1}), mode=SnapshotMode(write=False))
    assert [f.message for f in found.failures] == [
        "snapshot item missing (this command writes none; mcpctl test does)"
    ]
    assert not (tmp_path / "__snapshots__").exists()
    check(tmp_path, tool({"v": 1}))
    changed = check(tmp_path, tool({"v": 2}), mode=SnapshotMode(update=True, write=False))
    assert changed.status == "failed"
    assert '"v": 1' in (tmp_path / "__snapshots__" / "suite" / "item.json").read_text()


def test_yaml_snapshots(tmp_path: Path) -> None:
    found = check_snapshot(
        "item.yaml",
        tool({"b": 1, "a": "2025-06-03T09:12:00Z"}),
        spec_path=str(tmp_path / "suite.yaml"),
        normalizers=PRESETS,
        mode=SnapshotMode(),
        others_failed=False,
    )
    assert found.status == "written"
    assert (tmp_path / "__snapshots__" / "suite" / "item.yaml").read_text() == (
        "content:\n- text: ok\n  type: text\nisError: false\nstructuredContent:\n  a: <timestamp>\n  b: 1\n"
    )


def test_the_mode_reads_the_environment_and_the_flag() -> None:
    assert SnapshotMode.current({"CI": "true"}) == SnapshotMode(ci=True)
    assert SnapshotMode.current({"CI": "1"}) == SnapshotMode(ci=True)
    assert SnapshotMode.current({"CI": "false"}) == SnapshotMode()
    token = UPDATE_SNAPSHOTS.set(True)
    try:
        assert SnapshotMode.current({}) == SnapshotMode(update=True)
    finally:
        UPDATE_SNAPSHOTS.reset(token)


def test_a_long_diff_is_capped() -> None:
    stored = "".join(f"{n}\n" for n in range(200))
    actual = "".join(f"{n}!\n" for n in range(200))
    lines = diff(stored, actual, "x")
    assert len(lines) == MAX_DIFF_LINES + 1
    assert lines[-1] == f"… {2 + 1 + 400 - MAX_DIFF_LINES} more lines of diff"


@pytest.mark.parametrize(
    ("seen", "status", "kept"),
    [
        ("written", "unchanged", "written"),
        ("failed", "unchanged", "failed"),
        ("unchanged", "updated", "updated"),
        ("written", "refused", "refused"),
    ],
)
def test_over_repeats_the_weightiest_outcome_stays(seen: str, status: str, kept: str) -> None:
    found = {"s": seen}
    note(found, "s", status)  # type: ignore[arg-type]
    assert found == {"s": kept}


def test_a_snapshot_that_cannot_be_written_fails_the_check(tmp_path: Path) -> None:
    (tmp_path / "__snapshots__").write_text("a file where the directory goes")
    found = check(tmp_path, tool({"v": 1}))
    assert found.status == "failed"
    assert [f.message for f in found.failures] == [
        f"snapshot item: {tmp_path}/__snapshots__/suite/item.json: Not a directory"
    ]
