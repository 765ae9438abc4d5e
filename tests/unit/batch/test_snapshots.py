from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from mcpctl.engine.batch import snapshots as snapshots_module
from mcpctl.engine.batch.snapshots import Restored, SnapshotCorrupt, Snapshots

CONFIG = b'// comment\r\n{\n\t"mcpServers": {}   \n}'  # odd bytes, no final newline


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A run dir, an existing config (0o640), a second config and a path that does not exist yet."""
    config = tmp_path / "home" / "claude_desktop_config.json"
    config.parent.mkdir()
    config.write_bytes(CONFIG)
    config.chmod(0o640)
    other = tmp_path / "home" / "mcp.json"
    other.write_bytes(b"{}\n")
    return tmp_path / "runs" / "r1", config, other, tmp_path / "home" / "new" / "settings.json"


def _change_everything(config: Path, other: Path, new: Path) -> None:
    config.write_bytes(b"changed")
    config.chmod(0o600)
    other.write_bytes(b'{"x": 1}')
    new.parent.mkdir()
    new.write_bytes(b"created by the run")


def test_restore_all_puts_every_file_back_byte_identical_newest_first(
    world: tuple[Path, Path, Path, Path],
) -> None:
    run, config, other, new = world
    snapshots = Snapshots(run)
    first = snapshots.save(config)
    snapshots.save(other)
    snapshots.save(new)
    _change_everything(config, other, new)
    assert snapshots.save(config) == first  # the first snapshot of a file is the one kept
    assert Snapshots(run).restore_all() == [
        Restored(path=new, action="removed"),
        Restored(path=other, action="restored"),
        Restored(path=config, action="restored"),
    ]
    assert (config.read_bytes(), _mode(config)) == (CONFIG, 0o640)
    assert other.read_bytes() == b"{}\n"
    assert not new.exists()


def test_rollback_runs_again_after_an_interruption(
    world: tuple[Path, Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    run, config, other, new = world
    snapshots = Snapshots(run)
    for path in (config, other, new):
        snapshots.save(path)
    _change_everything(config, other, new)
    real_write = snapshots_module.write_atomic

    def failing_for_config(path: Path, data: bytes, *, mode: int | None = None) -> None:
        if path == config:
            raise PermissionError(13, "Permission denied", str(path))
        real_write(path, data, mode=mode)

    monkeypatch.setattr(snapshots_module, "write_atomic", failing_for_config)
    assert [(r.action, r.error) for r in snapshots.restore_all()] == [
        ("removed", ""),
        ("restored", ""),
        ("failed", f"[Errno 13] Permission denied: '{config}'"),
    ]
    monkeypatch.setattr(snapshots_module, "write_atomic", real_write)
    assert [r.action for r in snapshots.restore_all()] == ["absent", "unchanged", "restored"]
    assert [r.action for r in snapshots.restore_all()] == ["absent", "unchanged", "unchanged"]
    assert config.read_bytes() == CONFIG


def test_a_mode_change_alone_is_restored(world: tuple[Path, Path, Path, Path]) -> None:
    run, config, _, _ = world
    snapshots = Snapshots(run)
    snapshots.save(config)
    config.chmod(0o666)
    assert [r.action for r in snapshots.restore_all()] == ["restored"]
    assert _mode(config) == 0o640


def test_a_deleted_file_and_directory_come_back(world: tuple[Path, Path, Path, Path]) -> None:
    run, config, other, _ = world
    snapshots = Snapshots(run)
    snapshots.save(config)
    config.unlink()
    other.unlink()
    config.parent.rmdir()
    assert [r.action for r in snapshots.restore_all()] == ["restored"]
    assert (config.read_bytes(), _mode(config)) == (CONFIG, 0o640)


def test_the_index_records_path_existence_mode_and_sha256(world: tuple[Path, Path, Path, Path]) -> None:
    run, config, _, new = world
    snapshots = Snapshots(run)
    snapshots.save(config)
    snapshots.save(new)
    folder = run / "snapshots"
    records = [json.loads(line) for line in (folder / "index.jsonl").read_text().splitlines()]
    assert [{k: v for k, v in r.items() if k != "at"} for r in records] == [
        {
            "n": 1,
            "path": str(config),
            "existed": True,
            "mode": 0o640,
            "sha256": hashlib.sha256(CONFIG).hexdigest(),
            "copy": "0001-claude_desktop_config.json",
        },
        {"n": 2, "path": str(new), "existed": False},
    ]
    assert (folder / "0001-claude_desktop_config.json").read_bytes() == CONFIG
    assert _mode(folder / "0001-claude_desktop_config.json") == 0o600  # copies hold tokens
    assert sorted(os.listdir(folder)) == ["0001-claude_desktop_config.json", "index.jsonl"]
    assert Snapshots(run).all() == snapshots.all()
    assert Snapshots(run).get(config) == snapshots.all()[0]


def test_a_path_through_a_symlink_is_saved_once_under_its_real_path(
    world: tuple[Path, Path, Path, Path],
) -> None:
    run, config, _, _ = world
    link = config.parent / "link.json"
    link.symlink_to(config)
    snapshots = Snapshots(run)
    assert snapshots.save(link).path == config
    assert snapshots.save(config).number == 1


def test_a_torn_index_line_is_ignored_and_repaired_by_the_next_save(
    world: tuple[Path, Path, Path, Path],
) -> None:
    run, config, other, _ = world
    Snapshots(run).save(config)
    index = run / "snapshots" / "index.jsonl"
    index.write_bytes(index.read_bytes() + b'{"n": 2, "path": "/x", "exi')  # killed mid-save
    snapshots = Snapshots(run)
    assert len(snapshots.all()) == 1
    assert snapshots.save(other).number == 2
    assert len(Snapshots(run).all()) == 2


def test_a_damaged_copy_is_not_restored(world: tuple[Path, Path, Path, Path]) -> None:
    run, config, _, _ = world
    snapshot = Snapshots(run).save(config)
    config.write_bytes(b"changed")
    (run / "snapshots" / "0001-claude_desktop_config.json").write_bytes(b"bit rot")
    assert Snapshots(run).restore_all() == [
        Restored(
            path=config,
            action="failed",
            error=f"{run}/snapshots/0001-claude_desktop_config.json: the copy does not match sha256 {snapshot.sha256}",
        )
    ]
    assert config.read_bytes() == b"changed"


def test_a_corrupt_index_line_is_an_error_naming_it(world: tuple[Path, Path, Path, Path]) -> None:
    run, config, other, _ = world
    snapshots = Snapshots(run)
    snapshots.save(config)
    snapshots.save(other)
    index = run / "snapshots" / "index.jsonl"
    first, second = index.read_bytes().splitlines()
    index.write_bytes(first + b"\n" + second.replace(b'"n":2', b'"n":5') + b"\n")
    with pytest.raises(SnapshotCorrupt) as caught:
        Snapshots(run)
    assert str(caught.value) == f"{index}:2: entry 5 for {other} out of place: the snapshot index is damaged"
    index.write_bytes(first + b"\n{}\n")
    with pytest.raises(SnapshotCorrupt, match=r"index.jsonl:2: unreadable entry \(KeyError: 'existed'\)"):
        Snapshots(run)
