"""Serve a mock over stdio: newline-delimited JSON-RPC on stdin/stdout, one task per request so
that slow answers (configured latency) never hold up fast ones, answers written in batches.

A malformed line is answered with a JSON-RPC error (-32700 or -32600) and serving goes on; the
server exits when stdin closes, as MCP's stdio transport asks.
"""

from __future__ import annotations

import contextlib
import os

import trio

from mcpctl.mcp.jsonrpc import (
    INVALID_REQUEST,
    PARSE_ERROR,
    Malformed,
    Message,
    classify,
    decode,
    encode,
    error,
)
from mcpctl.mock.session import STREAM_BREAK, MockApp, MockSession, Notify

MAX_LINE = 16 * 1024 * 1024
_WRITE_BUFFER = 256


async def serve_stdio(app: MockApp, *, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Serve one session over the given file descriptors until end of input."""
    send, receive = trio.open_memory_channel[bytes](_WRITE_BUFFER)
    async with (
        trio.lowlevel.FdStream(os.dup(stdin_fd)) as stdin,
        trio.lowlevel.FdStream(os.dup(stdout_fd)) as stdout,
        trio.open_nursery() as nursery,
    ):
        output = _Output(stdout.fileno(), send)
        nursery.start_soon(_writer, stdout, receive, output)

        async def write(message: Message) -> None:
            if message is STREAM_BREAK:
                return  # one stream for everything: nothing to break
            with contextlib.suppress(trio.ClosedResourceError, trio.BrokenResourceError):
                await output.put(encode(message) + b"\n")  # after EOF the answer has nowhere to go

        session = app.open_session(write)
        try:
            # requests still running at end of input are answered before the output closes
            # (`printf ... | mcpctl mock serve` must print every answer)
            async with trio.open_nursery() as requests:
                await _reader(stdin, session, write, send, requests)
        finally:
            session.close()
            await send.aclose()


class _Output:
    """Answers on their way to stdout: written at once when nothing is queued (one system call, no
    task switch: the hot path), else queued behind what is, for the writer task to batch."""

    def __init__(self, fd: int, send: trio.MemorySendChannel[bytes]) -> None:
        self.fd = fd
        self.send = send
        self.busy = False
        """The writer task is in the middle of a write."""
        self.queued = 0
        """Chunks handed to the writer and not written yet. The channel's buffer cannot tell: a chunk
        handed straight to the waiting writer leaves it empty before the writer runs, and a direct write
        then would land in the middle of a frame whose rest is still queued."""

    async def put(self, data: bytes) -> None:
        if not self.busy and self.queued == 0:
            try:
                written = os.write(self.fd, data)  # the pipe is non-blocking: may take only part
            except BlockingIOError:
                written = 0
            except OSError:
                return  # the client closed our stdout: nothing left to say
            if written == len(data):
                return
            data = data[written:]
        self.queued += 1
        await self.send.send(data)


async def _writer(
    stdout: trio.abc.SendStream, receive: trio.MemoryReceiveChannel[bytes], output: _Output
) -> None:
    async with receive:
        async for first in receive:
            chunks = [first]
            while True:  # everything already queued goes out in one write
                try:
                    chunks.append(receive.receive_nowait())
                except (trio.WouldBlock, trio.EndOfChannel):
                    break
            output.busy = True
            try:
                await stdout.send_all(b"".join(chunks))
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return  # the client closed our stdout: nothing left to say
            finally:
                output.busy = False
                output.queued -= len(chunks)


async def _reader(
    stdin: trio.abc.ReceiveStream,
    session: MockSession,
    write: Notify,
    send: trio.MemorySendChannel[bytes],
    nursery: trio.Nursery,
) -> None:
    buffer = b""
    while True:
        chunk = await stdin.receive_some(1 << 16)
        if not chunk:
            return
        buffer += chunk
        if b"\n" not in chunk:
            if len(buffer) > MAX_LINE:
                await write(error(None, INVALID_REQUEST, f"message larger than {MAX_LINE} bytes"))
                buffer = b""
            continue
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                await _dispatch(line, session, write, send, nursery)


async def _dispatch(
    line: bytes,
    session: MockSession,
    write: Notify,
    send: trio.MemorySendChannel[bytes],
    nursery: trio.Nursery,
) -> None:
    items = decode(line)
    if len(items) == 1 and isinstance(items[0], Malformed):
        reason = items[0].reason
        code = PARSE_ERROR if reason.startswith("invalid JSON") else INVALID_REQUEST
        await write(
            error(None, code, f"{'Parse error' if code == PARSE_ERROR else 'Invalid Request'}: {reason}")
        )
        return
    if not line.lstrip().startswith(b"["):
        item = items[0]
        assert not isinstance(item, Malformed)
        if classify(item) == "request" and not session.instant(item):
            nursery.start_soon(_answer, session, item, write)
        else:  # instant requests and notifications (cancellations) are answered at once, in order
            await _answer(session, item, write)
        return
    nursery.start_soon(_answer_batch, session, items, send)


async def _answer(session: MockSession, message: Message, write: Notify) -> None:
    answer = await session.handle(message, write)
    if answer is not None:
        await write(answer)


async def _answer_batch(
    session: MockSession, items: list[Message | Malformed], send: trio.MemorySendChannel[bytes]
) -> None:
    answers: list[Message | None] = [None] * len(items)

    async def one(index: int, item: Message | Malformed) -> None:
        if isinstance(item, Malformed):
            answers[index] = error(None, INVALID_REQUEST, f"Invalid Request: {item.reason}")
            return

        async def related(message: Message) -> None:
            if message is not STREAM_BREAK:
                await send.send(encode(message) + b"\n")

        answers[index] = await session.handle(item, related)

    async with trio.open_nursery() as nursery:
        for index, item in enumerate(items):
            nursery.start_soon(one, index, item)
    found = [answer for answer in answers if answer is not None]
    if found:
        await send.send(encode(found) + b"\n")  # type: ignore[arg-type]  # encode takes a batch too
