from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mcpctl.store import files
from mcpctl.store.files import make_directories, truncate_torn_tail, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_new_file_gets_its_bytes_and_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    write_atomic(target, b'{"a": 1}\r\n\x00')
    assert target.read_bytes() == b'{"a": 1}\r\n\x00'
    assert _mode(target) == 0o666 & ~_umask()
    assert os.listdir(tmp_path) == ["config.json"]


def test_replacing_a_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert (target.read_bytes(), _mode(target)) == (b"new", 0o640)


def test_an_explicit_mode_wins(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomic(target, b"new", mode=0o600)
    assert _mode(target) == 0o600
    write_atomic(tmp_path / "g", b"", mode=0o751)
    assert _mode(tmp_path / "g") == 0o751


def test_a_symlink_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


@pytest.mark.parametrize("failing", ["write_all", "replace"])
def test_a_failed_write_leaves_the_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"old")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "replace":
        monkeypatch.setattr(files.os, "replace", fail)
    else:
        monkeypatch.setattr(files, "write_all", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new")
    assert os.listdir(tmp_path) == ["config.json"]
    assert target.read_bytes() == b"old"


def test_a_missing_directory_is_an_error_not_a_stray_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "no" / "f", b"x")
    assert os.listdir(tmp_path) == []


def test_make_directories_makes_every_missing_level(tmp_path: Path) -> None:
    make_directories(tmp_path / "a" / "b" / "c")
    make_directories(tmp_path / "a" / "b" / "c")  # already there: nothing to do
    assert (tmp_path / "a" / "b" / "c").is_dir()


@pytest.mark.parametrize(
    ("content", "dropped", "kept"),
    [
        (b'{"a":1}\n{"b":2}\n{"c"', 4, b'{"a":1}\n{"b":2}\n'),
        (b'{"a":1}\n', 0, b'{"a":1}\n'),
        (b'{"tor', 5, b""),
        (b"", 0, b""),
        (b"x\n" + b"y" * 200_000, 200_000, b"x\n"),  # a tail longer than one read block
    ],
)
def test_a_torn_tail_is_cut_back_to_the_last_newline(
    tmp_path: Path, content: bytes, dropped: int, kept: bytes
) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_bytes(content)
    assert truncate_torn_tail(path) == dropped
    assert path.read_bytes() == kept


def test_a_missing_file_has_no_torn_tail(tmp_path: Path) -> None:
    assert truncate_torn_tail(tmp_path / "none.jsonl") == 0
    assert not (tmp_path / "none.jsonl").exists()
