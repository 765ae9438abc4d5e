"""``mcpctl pin``: lock a server's tool definitions, or check a server against a lock."""

from __future__ import annotations

import sys
from typing import Any

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, run_async
from mcpctl.cli.target import target_of
from mcpctl.engine.pin import read_tools
from mcpctl.errors import CheckFailed, UsageError
from mcpctl.spec.lockfile import (
    Lock,
    LockError,
    diff_tools,
    dump_lock,
    format_changes,
    make_lock,
    read_lock,
    summarize,
)


def run(conn: dict[str, Any], *, check: str | None) -> int:
    """Print the lock of the server's tools; with ``check``, compare them with that lock file."""
    target = target_of(conn)
    lock = _read(check) if check is not None else None
    name = conn["server"] if conn["server"] is not None else " ".join(conn["command"])

    async def main() -> int:
        tools, server_info, protocol = await read_tools(
            target, timeout=conn["timeout"], protocol=conn["protocol"]
        )
        if check is None or lock is None:
            try:
                sys.stdout.write(
                    dump_lock(make_lock(tools, server=name, server_info=server_info, protocol=protocol))
                )
            except LockError as exc:
                raise CheckFailed(str(exc)) from None
            return EXIT_OK
        changes = diff_tools(lock, tools)
        if not changes:
            print(f"tools match {check} ({len(tools)} tools)")
            return EXIT_OK
        for line in format_changes(changes):
            print(line)
        print(f"tools drifted from {check}: {summarize(changes)}")
        return EXIT_FAILED

    return run_async(main)


def _read(path: str) -> Lock:
    try:
        return read_lock(path)
    except LockError as exc:  # a bad lock is bad input: nothing is started
        raise UsageError(str(exc)) from None
