"""Crash-safe file primitives (DESIGN.md §5): atomic replacement, directory fsync, torn-tail repair.

A file written with :func:`write_atomic` holds either its old bytes or its new bytes after a
``kill -9`` or a power cut, never a mix; an append-only JSONL file whose writer died mid-line is
repaired by :func:`truncate_torn_tail`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

NEW_FILE_MODE = 0o666
"""Permissions asked for a file that did not exist (the umask applies, as for ``open(path, "w")``)."""


def write_atomic(path: Path | str, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` all at once: a temp file beside it, write, fsync, rename, fsync
    the directory.

    The file keeps its permission bits unless ``mode`` is given; a new file gets ``0o666`` minus
    the umask. A symlink is followed: the file it points to is replaced and the link stays. On any
    failure the temp file is removed and ``path`` is untouched. The parent directory must exist.
    """
    target = Path(os.path.realpath(path))
    keep = _mode_of(target) if mode is None else mode
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # same directory: os.replace is atomic only within one file system
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
    try:
        try:
            if keep is not None:
                os.fchmod(descriptor, keep)
            write_all(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_directory(target.parent)


def fsync_directory(path: Path | str) -> None:
    """Flush the directory ``path`` itself, so that a file created or renamed in it survives a crash."""
    if os.name != "posix":
        return
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def make_directories(path: Path | str) -> None:
    """``mkdir -p path``, durably: each directory made is fsynced into its parent."""
    target = Path(path).absolute()
    missing = [d for d in (target, *target.parents) if not d.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir()
        fsync_directory(directory.parent)


def truncate_torn_tail(path: Path | str) -> int:
    """Cut an append-only line file back to its last newline; return how many bytes were dropped.

    A writer killed in the middle of a write leaves a final line without its newline: that line was
    never acknowledged, so it is dropped (and the cut fsynced) before the file is read or appended to.
    A missing file drops nothing.
    """
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0
    try:
        size = os.fstat(descriptor).st_size
        keep = _end_of_last_line(descriptor, size)
        if keep == size:
            return 0
        os.ftruncate(descriptor, keep)
        os.fsync(descriptor)
        return size - keep
    finally:
        os.close(descriptor)


def _end_of_last_line(descriptor: int, size: int) -> int:
    # read backwards in blocks: the torn tail is short, the file may be large
    end = size
    while end > 0:
        start = max(0, end - 65536)
        block = os.pread(descriptor, end - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def write_all(descriptor: int, data: bytes) -> None:
    """Write all of ``data`` to ``descriptor`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


__all__ = [
    "NEW_FILE_MODE",
    "fsync_directory",
    "make_directories",
    "truncate_torn_tail",
    "write_all",
    "write_atomic",
]
