"""Group commit (mcpctl/engine/batch/group_commit.py): evidence before lines, rounds that nobody waits
for fill for a moment, waiters and barriers do not wait for that, failures reach everyone."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from mcpctl.engine.batch.group_commit import COMMIT_DELAY, open_group_commit
from mcpctl.errors import McpctlError


class Recorder:
    """A sink and a journal writer in one: remembers each write, in order, with the time it came."""

    def __init__(self, fail: bool = False) -> None:
        self.writes: list[tuple[str, bytes]] = []
        self.fail = fail

    def write(self, data: bytes) -> None:  # the Sink side (evidence)
        self.writes.append(("evidence", data))

    def lines(self, lines: list[bytes]) -> None:  # the journal side
        if self.fail:
            raise McpctlError("disk full")
        self.writes.append(("lines", b"".join(lines)))


async def test_nowait_appends_share_one_round_with_evidence_first(
    autojump_clock: trio.testing.MockClock,
) -> None:
    record = Recorder()
    heard: list[tuple[int, McpctlError | None]] = []
    async with open_group_commit(record.lines) as committer:
        for n in range(3):
            committer.append_nowait(
                b"L%d\n" % n, lambda error, n=n: heard.append((n, error)), evidence=(record, b"E%d\n" % n)
            )
            await trio.sleep(COMMIT_DELAY / 10)  # arriving one by one, within the delay
        assert heard == []  # not durable yet: the round is still filling
        await committer.barrier()
        assert heard == [(0, None), (1, None), (2, None)]
    assert record.writes == [("evidence", b"E0\nE1\nE2\n"), ("lines", b"L0\nL1\nL2\n")]


async def test_a_waiter_does_not_wait_for_the_delay(autojump_clock: trio.testing.MockClock) -> None:
    record = Recorder()
    async with open_group_commit(record.lines) as committer:
        committer.append_nowait(b"a\n", lambda error: None)
        start = trio.current_time()
        await committer.append(b"b\n")
        assert trio.current_time() - start < COMMIT_DELAY
    assert record.writes == [("lines", b"a\nb\n")]


async def test_a_failed_round_tells_every_callback_and_refuses_later_appends(
    autojump_clock: trio.testing.MockClock,
) -> None:
    record = Recorder(fail=True)
    heard: list[str] = []
    async with open_group_commit(record.lines) as committer:
        committer.append_nowait(b"a\n", lambda error: heard.append(str(error)))
        committer.append_nowait(b"b\n", lambda error: heard.append(str(error)))
        await committer.barrier()
        assert heard == ["disk full", "disk full"]
        assert not committer.usable
        with pytest.raises(McpctlError, match=r"^disk full$"):
            committer.append_nowait(b"c\n", lambda error: None)
