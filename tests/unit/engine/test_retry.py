"""Retry policy: classification table, backoff with full jitter on trio's virtual clock, giving up,
and cancellation that is never retried."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Awaitable, Callable

import pytest
import trio
import trio.testing

from mcpctl.engine.retry import (
    NO_RETRY,
    Attempt,
    RetryPolicy,
    attempts_note,
    error_kind,
    retry_after,
    retryable,
    with_retries,
)
from mcpctl.errors import (
    AuthError,
    CheckFailed,
    FrameTooLarge,
    HttpStatusError,
    ProtocolError,
    RequestTimeout,
    RpcError,
    ServerExited,
    ServerStartError,
    SpecError,
    TransportError,
    UsageError,
)

DEFAULT = RetryPolicy()
EVERYTHING = RetryPolicy(
    retry_on=frozenset({"timeout", "connection", "protocol", "start"}),
    retry_statuses=frozenset(range(100, 600)),
    retry_codes=frozenset({-32000, -32603}),
)


def http(status: int) -> HttpStatusError:
    return HttpStatusError("POST /mcp", status=status)


def rpc(code: int) -> RpcError:
    return RpcError(code=code, message="busy", method="tools/call")


TIMEOUT = RequestTimeout(method="tools/call", timeout=5)


@pytest.mark.parametrize(
    ("exc", "by_default", "when_opted_in"),
    [
        (TIMEOUT, True, True),
        (trio.TooSlowError(), True, True),
        (TransportError("connection refused"), True, True),
        (ServerExited("server exited", returncode=1), True, True),
        (http(429), True, True),
        (http(502), True, True),
        (http(503), True, True),
        (http(504), True, True),
        (http(500), False, True),
        (http(404), False, True),
        (rpc(-32000), False, True),
        (rpc(-32603), False, True),
        (rpc(-32602), False, False),
        (ProtocolError("invalid JSON"), False, True),
        (ServerStartError("cannot start", command=["x"]), False, True),
        (FrameTooLarge(size=10, limit=5), False, False),
        (CheckFailed("expected 1, got 2"), False, False),
        (UsageError("bad option"), False, False),
        (SpecError("bad", path="plan.yaml"), False, False),
        (AuthError("token request failed"), False, False),
        (ValueError("a bug"), False, False),
        (ExceptionGroup("all", [TIMEOUT, http(503)]), True, True),
        (ExceptionGroup("some", [TIMEOUT, CheckFailed("no")]), False, False),
        (ExceptionGroup("nested", [ExceptionGroup("inner", [TIMEOUT])]), True, True),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_retryable_table(exc: BaseException, by_default: bool, when_opted_in: bool) -> None:
    assert retryable(exc, DEFAULT) is by_default
    assert retryable(exc, EVERYTHING) is when_opted_in


def test_nothing_is_retried_when_opted_out() -> None:
    none = RetryPolicy(retry_on=frozenset(), retry_statuses=frozenset(), retry_codes=frozenset())
    for exc in (TIMEOUT, TransportError("x"), http(503), rpc(-32000)):
        assert not retryable(exc, none)


def test_error_kinds() -> None:
    assert error_kind(TIMEOUT) == "timeout"
    assert error_kind(ServerExited("gone")) == "connection"
    assert error_kind(ProtocolError("x")) == "protocol"
    assert error_kind(ServerStartError("x", command=["x"])) == "start"
    assert error_kind(FrameTooLarge(size=2, limit=1)) is None
    assert error_kind(KeyboardInterrupt()) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attempts": 0}, "attempts must be at least 1 (the first try counts): 0"),
        ({"base_delay": -1}, "delays cannot be negative: base -1s, max 30.0s"),
        ({"multiplier": 0.5}, "the backoff multiplier must be at least 1: 0.5"),
    ],
)
def test_policy_validation(fields: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        RetryPolicy(**fields)  # type: ignore[arg-type]


def test_ceiling_grows_then_caps() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    assert [policy.ceiling(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.ceiling(5000) == 3.0  # no OverflowError


class Flaky:
    """A call failing with ``errors`` in turn, then answering ``"ok"``; records trio's clock."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[float] = []

    async def __call__(self) -> str:
        self.calls.append(trio.current_time())
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def run(
    call: Callable[[], Awaitable[str]], policy: RetryPolicy, seed: int = 7
) -> tuple[str, list[Attempt]]:
    seen: list[Attempt] = []
    value = await with_retries(call, policy, rng=random.Random(seed), on_attempt=seen.append)
    return value, seen


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_full_jitter_sleeps_follow_the_formula(autojump_clock: trio.testing.MockClock) -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.1, max_delay=1.0, multiplier=3.0)
    call = Flaky(*[TIMEOUT] * 5)
    value, seen = await run(call, policy, seed=42)
    twin = random.Random(42)
    expected = [twin.uniform(0, min(1.0, 0.1 * 3.0**n)) for n in range(5)]
    assert value == "ok"
    assert gaps(call.calls) == pytest.approx(expected, abs=1e-9)
    assert [a.delay for a in seen] == [*expected, 0.0]
    assert [a.number for a in seen] == [1, 2, 3, 4, 5, 6]
    assert [a.ok for a in seen] == [False] * 5 + [True]
    assert [a.retrying for a in seen] == [True] * 5 + [False]
    assert all(a.attempts == 6 for a in seen)


async def test_jitter_none_sleeps_the_capped_ceiling(autojump_clock: trio.testing.MockClock) -> None:
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=5.0, jitter="none")
    call = Flaky(*[http(503)] * 4)
    assert (await run(call, policy))[0] == "ok"
    assert gaps(call.calls) == [1.0, 2.0, 4.0, 5.0]


async def test_gives_up_after_the_last_attempt(autojump_clock: trio.testing.MockClock) -> None:
    policy = RetryPolicy(attempts=3, base_delay=1.0, jitter="none")
    errors = [TransportError("refused 1"), TransportError("refused 2"), TransportError("refused 3")]
    call = Flaky(*errors)
    seen: list[Attempt] = []
    with pytest.raises(TransportError) as caught:
        await with_retries(call, policy, rng=random.Random(1), on_attempt=seen.append)
    assert caught.value is errors[2]
    assert len(call.calls) == 3
    assert [a.error for a in seen] == errors
    assert [a.retrying for a in seen] == [True, True, False]
    assert caught.value.__notes__ == [
        "gave up after 3 attempts\n"
        "  attempt 1: TransportError: refused 1 (then waited 1.000s)\n"
        "  attempt 2: TransportError: refused 2 (then waited 2.000s)\n"
        "  attempt 3: TransportError: refused 3"
    ]


async def test_a_non_retryable_error_fails_at_once(autojump_clock: trio.testing.MockClock) -> None:
    failure = CheckFailed("expected 1, got 2")
    call = Flaky(failure)
    with pytest.raises(CheckFailed) as caught:
        await run(call, DEFAULT)
    assert caught.value is failure
    assert len(call.calls) == 1
    assert not hasattr(caught.value, "__notes__")  # one attempt: nothing to add
    assert trio.current_time() == 0


async def test_a_non_retryable_error_after_retries_says_why(autojump_clock: trio.testing.MockClock) -> None:
    call = Flaky(TIMEOUT, rpc(-32602))
    with pytest.raises(RpcError) as caught:
        await run(call, RetryPolicy(attempts=5, jitter="none"))
    assert len(call.calls) == 2
    assert caught.value.__notes__ == [
        "gave up after 2 of 5 attempts: this error is not retried\n"
        "  attempt 1: RequestTimeout: tools/call: no answer within 5s (request cancelled) (then waited 1.000s)\n"
        "  attempt 2: RpcError: tools/call: server error -32602: busy"
    ]


async def test_rpc_codes_the_policy_lists_are_retried(autojump_clock: trio.testing.MockClock) -> None:
    call = Flaky(rpc(-32000), rpc(-32000))
    value, seen = await run(call, RetryPolicy(retry_codes=frozenset({-32000})))
    assert value == "ok"
    assert len(seen) == 3


async def test_one_attempt_means_no_retry(autojump_clock: trio.testing.MockClock) -> None:
    call = Flaky(TIMEOUT)
    with pytest.raises(RequestTimeout):
        await run(call, NO_RETRY)
    assert len(call.calls) == 1


class Throttled(HttpStatusError):
    """An HTTP 429 carrying ``Retry-After`` (errors.HttpStatusError does not record it yet)."""

    def __init__(self, seconds: float) -> None:
        super().__init__("POST /mcp", status=429)
        self.retry_after = seconds


async def test_retry_after_raises_the_wait_up_to_the_cap(autojump_clock: trio.testing.MockClock) -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0)
    call = Flaky(Throttled(4.0), Throttled(60.0))
    await run(call, policy)
    assert gaps(call.calls) == [4.0, 10.0]
    assert retry_after(http(429)) is None
    assert retry_after(Throttled(2)) == 2.0


async def test_a_short_retry_after_does_not_shorten_the_backoff(
    autojump_clock: trio.testing.MockClock,
) -> None:
    policy = RetryPolicy(attempts=2, base_delay=8.0, jitter="none")
    call = Flaky(Throttled(1.0))
    await run(call, policy)
    assert gaps(call.calls) == [8.0]


async def test_cancellation_in_a_backoff_sleep_propagates(autojump_clock: trio.testing.MockClock) -> None:
    call = Flaky(*[TIMEOUT] * 10)
    policy = RetryPolicy(attempts=10, base_delay=10.0, jitter="none")
    with trio.move_on_after(15) as scope:  # cancels the second sleep (20s)
        await run(call, policy)
    assert scope.cancelled_caught
    assert len(call.calls) == 2
    assert trio.current_time() == 15


async def test_cancellation_inside_the_call_is_not_retried(autojump_clock: trio.testing.MockClock) -> None:
    calls = 0

    async def hangs() -> str:
        nonlocal calls
        calls += 1
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    with trio.move_on_after(1) as scope:
        await with_retries(hangs, RetryPolicy(attempts=5), rng=random.Random(0))
    assert scope.cancelled_caught
    assert calls == 1


async def test_a_deadline_around_the_call_is_a_retryable_timeout(
    autojump_clock: trio.testing.MockClock,
) -> None:
    answers = iter([60.0, 60.0, 0.5])

    async def slow() -> str:
        with trio.fail_after(1):
            await trio.sleep(next(answers))
        return "ok"

    value, seen = await run(slow, RetryPolicy(attempts=3, base_delay=0.0))
    assert value == "ok"
    assert [type(a.error).__name__ for a in seen] == ["TooSlowError", "TooSlowError", "NoneType"]
    assert [a.duration for a in seen] == [1.0, 1.0, 0.5]


def test_attempts_note_of_a_single_retry() -> None:
    history = [
        Attempt(number=1, attempts=2, error=TIMEOUT, retrying=True, delay=0.25, duration=5.0),
        Attempt(number=2, attempts=2, error=TIMEOUT, retrying=False, delay=0.0, duration=5.0),
    ]
    assert attempts_note(history).splitlines()[0] == "gave up after 2 attempts"
