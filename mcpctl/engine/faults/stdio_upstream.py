"""The pipes of the stdio fault proxy: lines in, lines out, and the server process behind them.

:class:`Outlet` writes whole lines to a stream (one ``os.write`` when nothing is queued: the
hot path takes no task switch), :class:`LineReader` cuts a stream into newline-delimited
frames, and :class:`Upstream` is one life of the server process: started in its own session
with stderr inherited (the server's stderr passes through the proxy's), killed at once for a
``crash`` fault, stopped (terminate, then kill its process group) when the proxy ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

import trio

from mcpctl.errors import ServerStartError

READ_SIZE = 1 << 16
TERM_GRACE = 0.5
"""Seconds a server has to exit after SIGTERM before its process group is killed."""
_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


class Outlet:
    """Whole lines to one stream, in order, from any task; writes after a failure are dropped."""

    def __init__(self, stream: trio.abc.SendStream) -> None:
        self.stream = stream
        self._fd = stream.fileno() if isinstance(stream, trio.lowlevel.FdStream) else -1
        self._lock = trio.StrictFIFOLock()
        self.broken = False

    async def write(self, data: bytes) -> None:
        """Write ``data`` (one or more lines, each ending with a newline)."""
        if self.broken or not data:
            return
        if self._fd >= 0 and not self._lock.locked():
            # the hot path: one non-blocking write, no checkpoint; only a full pipe takes the slow path
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:
                written = 0
            except OSError:
                self.broken = True
                return
            if written == len(data):
                return
            data = data[written:]
        async with self._lock:
            if self.broken:
                return
            try:
                await self.stream.send_all(data)
            except _BROKEN:
                self.broken = True

    async def aclose(self) -> None:
        """Close the stream; later writes are dropped."""
        self.broken = True
        with contextlib.suppress(*_BROKEN):
            await self.stream.aclose()


class LineReader:
    """Newline-delimited frames from a stream, as they arrive (a frame keeps any ``\\r``)."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._partial: list[bytes] = []

    @property
    def rest(self) -> bytes:
        """What came after the last newline (at end of input: a frame cut short)."""
        return b"".join(self._partial)

    async def lines(self) -> list[bytes] | None:
        """The complete lines of the next chunk(s) read, without their newlines; ``None`` at end of
        input (then :attr:`rest` holds a last line that had no newline)."""
        while True:
            try:
                chunk = bytes(await self._stream.receive_some(READ_SIZE))
            except _BROKEN:
                chunk = b""
            if not chunk:
                return None
            if b"\n" not in chunk:
                self._partial.append(chunk)
                continue
            lines = chunk.split(b"\n")
            if self._partial:
                self._partial.append(lines[0])
                lines[0] = b"".join(self._partial)
                self._partial.clear()
            tail = lines.pop()
            if tail:
                self._partial.append(tail)
            return lines


class Upstream:
    """One life of the server process: its pipes, and whether the proxy killed it."""

    def __init__(self, process: trio.Process, life: int) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self.process = process
        self.life = life
        self.stdin = Outlet(process.stdin)
        self.stdout = LineReader(process.stdout)
        self._stdout_stream = process.stdout
        self.scope = trio.CancelScope()
        """Cancels this life's reader and crash timer."""
        self.killed = False

    @classmethod
    async def spawn(
        cls, command: Sequence[str], *, env: Mapping[str, str] | None, cwd: str | None, life: int
    ) -> Upstream:
        """Start ``command`` in its own session (``env`` added to ours), stderr inherited."""
        argv = list(command)
        if not argv:
            raise ServerStartError("no server command given", command=argv)
        try:
            process = await trio.lowlevel.open_process(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                env={**os.environ, **env} if env else None,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ServerStartError(f"cannot start {argv[0]!r}: {exc.strerror or exc}", command=argv) from None
        return cls(process, life)

    @property
    def exit_code(self) -> int:
        """What the proxy exits with when this server exited by itself (128 + N for signal N)."""
        code = self.process.returncode
        if code is None:
            return 1  # it closed its stdout but would not exit: it was stopped
        return 128 - code if code < 0 else code

    def kill(self) -> None:
        """SIGKILL the process group now (a ``crash`` fault) and stop this life's tasks."""
        self.killed = True
        self.scope.cancel()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def close_stdin(self) -> None:
        """End the server's input: a well-behaved stdio server exits."""
        await self.stdin.aclose()

    async def stop(self) -> None:
        """Close the pipes, terminate the process group, kill it if it lingers, and reap the process."""
        with trio.CancelScope(shield=True):
            await self.stdin.aclose()
            with contextlib.suppress(*_BROKEN):
                await self._stdout_stream.aclose()
            for sig, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, 5.0)):
                if self.process.returncode is not None:
                    break
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, sig)
                with trio.move_on_after(grace):
                    await self.process.wait()
            # the group may hold grandchildren that outlived the leader
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
