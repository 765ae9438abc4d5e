"""stdio transport: a child process speaking newline-delimited JSON-RPC on its stdin/stdout.

The child runs in its own process group with stderr captured (the last lines go into error
messages). Closing is graceful first: close stdin, wait; then SIGTERM the group, wait; then
SIGKILL the group. Writes from concurrent tasks are coalesced into one ``write`` per batch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence

import orjson
import trio

from mcpctl.errors import FrameTooLarge, ProtocolError, ServerExited, ServerStartError, TransportError
from mcpctl.mcp import jsonrpc
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.transports.base import Era, Failed, FrameTap, Incoming

DEFAULT_MAX_FRAME = 16 * 1024 * 1024
_READ_SIZE = 1 << 16
_STDERR_KEEP = 64 * 1024
_WRITE_DEADLINE = 30.0


class _StderrTail:
    """The last ``_STDERR_KEEP`` bytes a child wrote to stderr."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0

    def add(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._size += len(chunk)
        while self._size > _STDERR_KEEP and len(self._chunks) > 1:
            self._size -= len(self._chunks.popleft())

    def text(self) -> str:
        return b"".join(self._chunks)[-_STDERR_KEEP:].decode("utf-8", "replace")


class StdioTransport:
    """Newline-delimited JSON-RPC over a child process's pipes."""

    unbound_responses = True

    def __init__(
        self, process: trio.Process, *, command: list[str], tap: FrameTap | None, max_frame: int
    ) -> None:
        self.process = process
        self.command = command
        self.stderr = _StderrTail()
        self._tap = tap
        self._max_frame = max_frame
        self._stdin = process.stdin
        self._stdin_fd = process.stdin.fileno() if isinstance(process.stdin, trio.lowlevel.FdStream) else -1
        self._stdout = process.stdout
        self._outbox: list[bytes] = []
        self._writing = False
        self._partial: list[bytes] = []
        self._partial_size = 0
        self._skipping = False
        self._eof = False
        self._broken: TransportError | None = None

    # -- sending ------------------------------------------------------------------------------
    async def send_batch(self, messages: Sequence[Message]) -> None:
        """One line holding the JSON array of ``messages``."""
        await self._write([orjson.dumps(list(messages))])

    async def send(self, messages: Sequence[Message]) -> None:
        dumps = orjson.dumps
        await self._write([dumps(msg) for msg in messages])

    async def _write(self, frames: list[bytes]) -> None:
        if self._broken is not None:
            raise self._broken
        for frame in frames:
            if self._tap is not None:
                self._tap("send", frame)
            self._outbox.append(frame + b"\n")
        if self._writing:
            return  # the task already writing picks these up: one write per batch
        # The hot path: one non-blocking write, no cancel scope, no scheduler round trip. Only
        # when the pipe is full does the rest go through the shielded, awaiting path.
        data = b"".join(self._outbox)
        self._outbox.clear()
        try:
            written = os.write(self._stdin_fd, data)
        except BlockingIOError:
            written = 0
        except OSError:
            written = -1
        if written == len(data):
            return
        self._outbox.append(data[max(written, 0) :])
        await self._flush()

    async def _flush(self) -> None:
        assert self._stdin is not None
        self._writing = True
        try:
            # Shielded: a caller's timeout must not cut a frame in half and corrupt the stream.
            with trio.CancelScope(shield=True), trio.move_on_after(_WRITE_DEADLINE) as scope:
                while self._outbox:
                    data = b"".join(self._outbox)
                    self._outbox.clear()
                    await self._stdin.send_all(data)
            if scope.cancelled_caught:
                self._broken = TransportError(f"server did not read its stdin for {_WRITE_DEADLINE:g}s")
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._broken = ServerExited(
                f"server closed its stdin ({type(exc).__name__})",
                returncode=self.process.poll(),
                stderr_tail=self.stderr.text(),
            )
        finally:
            self._writing = False
            self._outbox.clear()
        if self._broken is not None:
            raise self._broken

    # -- receiving ----------------------------------------------------------------------------
    async def receive(self) -> list[Incoming]:
        assert self._stdout is not None
        while True:
            if self._eof:
                raise await self._exited()
            try:
                chunk = bytes(await self._stdout.receive_some(_READ_SIZE))
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                chunk = b""
            if not chunk:
                self._eof = True
                if self._partial_size and not self._skipping:
                    raw = b"".join(self._partial)
                    err = ProtocolError(
                        f"truncated frame: {len(raw)} bytes without a newline before EOF", frame=raw
                    )
                    return [Failed(None, err)]
                continue
            items = self._split(chunk)
            if items:
                return items

    def _split(self, chunk: bytes) -> list[Incoming]:
        if b"\n" not in chunk:
            self._add_partial(chunk)
            if self._partial_size > self._max_frame and not self._skipping:
                self._skipping = True
                return [Failed(None, FrameTooLarge(size=self._partial_size, limit=self._max_frame))]
            return []
        head, *middle, tail = chunk.split(b"\n")
        frames: list[bytes] = []
        if self._skipping:
            self._skipping = False  # the oversized frame ends here; drop it
        elif self._partial:
            self._partial.append(head)
            frames.append(b"".join(self._partial))
        else:
            frames.append(head)
        self._partial.clear()
        self._partial_size = 0
        frames.extend(middle)
        if tail:
            self._add_partial(tail)
        out: list[Incoming] = []
        limit, tap, loads = self._max_frame, self._tap, orjson.loads
        for frame in frames:
            if len(frame) > limit:
                out.append(Failed(None, FrameTooLarge(size=len(frame), limit=limit)))
            elif frame and not frame.isspace():
                if tap is not None:
                    tap("recv", frame)
                try:  # the hot path: one object per line
                    value = loads(frame)
                except orjson.JSONDecodeError:
                    value = None
                if type(value) is dict:
                    out.append(value)
                else:
                    self._decode(frame, out)
        return out

    def _add_partial(self, data: bytes) -> None:
        if self._skipping:
            self._partial_size += len(data)
            return
        self._partial.append(data)
        self._partial_size += len(data)

    def _decode(self, frame: bytes, out: list[Incoming]) -> None:
        """The slow path: a batch, or something that is not a JSON object."""
        for item in jsonrpc.decode(frame):
            if isinstance(item, jsonrpc.Malformed):
                out.append(Failed(None, ProtocolError(f"server sent {item.reason}", frame=item.raw[:200])))
            else:
                out.append(item)

    async def _exited(self) -> ServerExited:
        with trio.move_on_after(0.5):
            await self.process.wait()
        return ServerExited(
            "server closed its stdout", returncode=self.process.poll(), stderr_tail=self.stderr.text()
        )

    # -- lifecycle ----------------------------------------------------------------------------
    def negotiated(self, *, protocol_version: str, era: Era) -> None:
        """stdio frames carry no per-request metadata: nothing to do."""

    def diagnostics(self) -> str:
        return self.stderr.text()

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await _stop(self.process, self._stdin)


async def _stop(process: trio.Process, stdin: trio.abc.SendStream | None) -> None:
    if stdin is not None:
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            await stdin.aclose()
    for sig, grace in ((None, 2.0), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, sig)
        with trio.move_on_after(grace):
            await process.wait()
        if process.returncode is not None:
            break
    # the group may hold grandchildren that outlived the leader
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _pump_stderr(process: trio.Process, tail: _StderrTail) -> None:
    assert process.stderr is not None
    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        while chunk := await process.stderr.receive_some(_READ_SIZE):
            tail.add(bytes(chunk))


@contextlib.asynccontextmanager
async def open_stdio_transport(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    tap: FrameTap | None = None,
    max_frame: int = DEFAULT_MAX_FRAME,
) -> AsyncIterator[StdioTransport]:
    """Spawn ``command`` in its own process group and yield a transport over its pipes.

    ``env`` is added to the current environment. The child is always stopped on exit.
    """
    argv = list(command)
    if not argv:
        raise ServerStartError("no server command given", command=argv)
    full_env = {**os.environ, **env} if env else None
    try:
        process = await trio.lowlevel.open_process(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        raise ServerStartError(f"cannot start {argv[0]!r}: {exc.strerror or exc}", command=argv) from None
    transport = StdioTransport(process, command=argv, tap=tap, max_frame=max_frame)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_pump_stderr, process, transport.stderr)
            try:
                yield transport
            finally:
                await transport.aclose()
                # let the pump drain what the child wrote last, but never wait on a grandchild
                nursery.cancel_scope.deadline = trio.current_time() + 0.5
    finally:
        with trio.CancelScope(shield=True):
            await _stop(process, None)
