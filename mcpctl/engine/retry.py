"""Retrying a call: which failures deserve another try, and how long to wait before it.

A :class:`RetryPolicy` is plain data (a ``BatchPlan``'s ``retry:`` or a test's ``retries`` become one);
:func:`with_retries` runs an async call under it, sleeping with trio between attempts.

**Waiting.** Exponential backoff with *full jitter* (AWS Architecture Blog, "Exponential Backoff And
Jitter"): before retry ``n`` (0 for the wait after the first failed attempt) the policy sleeps
``uniform(0, min(max_delay, base_delay * multiplier ** n))``; with ``jitter="none"`` it sleeps the
ceiling itself. The draws come from the ``rng`` the caller passes, so a seeded run repeats exactly.
An error carrying ``retry_after`` seconds (see :func:`retry_after`) waits at least that long, still
capped by ``max_delay``: the user's cap bounds every wait, even one a server asks for.

**What is retried** (:func:`retryable`, a pure function)::

    error                                   default   opt in / out
    RequestTimeout, trio.TooSlowError       yes       retry_on: "timeout"
    TransportError, ServerExited            yes       retry_on: "connection"
    HttpStatusError 429, 502, 503, 504      yes       retry_statuses (any set of codes)
    RpcError                                no        retry_codes (e.g. {-32000}); none by default:
                                                      a JSON-RPC error is a valid answer, and even
                                                      -32603 usually repeats the same bug
    ProtocolError                           no        retry_on: "protocol" (a malformed frame is
                                                      usually a server bug, not bad luck)
    ServerStartError                        no        retry_on: "start" (a wrong command stays wrong)
    FrameTooLarge                           never     the same answer will be as large again
    CheckFailed, UsageError, SpecError,     never     an assertion or bad input does not heal
    AuthError, anything not an McpctlError            (nor does a bug)
    an exception group                      when every exception in it is retryable

**Giving up.** After the last attempt, or at the first failure that is not retryable, the error of
that attempt is re-raised *as itself*, so the exit code (DESIGN.md §6) and ``except`` clauses keep
working; when more than one attempt was made it carries a note (``add_note``) listing every attempt.
Callers that need the attempts as data pass ``on_attempt``, called after every attempt.

Cancellation is never retried: only :class:`Exception` is caught, and ``trio.Cancelled`` (a
``BaseException``) raised in the call or in a backoff sleep propagates at once.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

import trio

from mcpctl.errors import (
    FrameTooLarge,
    HttpStatusError,
    ProtocolError,
    RequestTimeout,
    RpcError,
    ServerStartError,
    TransportError,
)

T = TypeVar("T")

ErrorKind = Literal["timeout", "connection", "protocol", "start"]
"""A family of failures a policy can retry as a whole (see the table in the module docstring)."""

Jitter = Literal["full", "none"]

DEFAULT_RETRY_ON: frozenset[ErrorKind] = frozenset({"timeout", "connection"})
DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often to try a call, how long to wait between tries, and which failures to retry.

    Times are seconds. Invalid values raise :class:`ValueError` with a message fit for a spec error.
    """

    attempts: int = 3
    """Total tries, the first included: 1 means no retry."""
    base_delay: float = 1.0
    """The backoff ceiling before the first retry."""
    max_delay: float = 30.0
    """No wait is longer than this (the exponential ceiling and any ``Retry-After`` are capped)."""
    multiplier: float = 2.0
    """The ceiling grows by this factor after each retry."""
    jitter: Jitter = "full"
    """``full``: sleep a uniform draw in ``[0, ceiling]``; ``none``: sleep the ceiling."""
    retry_on: frozenset[ErrorKind] = DEFAULT_RETRY_ON
    """Families of failures to retry."""
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    """HTTP statuses to retry (an :class:`~mcpctl.errors.HttpStatusError` with another is final)."""
    retry_codes: frozenset[int] = frozenset()
    """JSON-RPC error codes to retry (none by default)."""

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1 (the first try counts): {self.attempts}")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"delays cannot be negative: base {self.base_delay}s, max {self.max_delay}s")
        if self.multiplier < 1:
            raise ValueError(f"the backoff multiplier must be at least 1: {self.multiplier}")

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry ``retry`` (0-based): ``min(max_delay, base * multiplier**retry)``."""
        try:
            grown = self.base_delay * self.multiplier**retry
        except OverflowError:  # long policies: the cap was reached long ago
            return self.max_delay
        return min(self.max_delay, grown)

    def delay(self, retry: int, rng: random.Random, *, at_least: float | None = None) -> float:
        """The wait before retry ``retry`` (0-based): one draw from ``rng`` with full jitter.

        ``at_least`` (a server's ``Retry-After``) raises the wait to that, up to ``max_delay``; the draw
        is made either way, so the sequence of draws does not depend on what servers answered.
        """
        ceiling = self.ceiling(retry)
        wait = rng.uniform(0.0, ceiling) if self.jitter == "full" else ceiling
        if at_least is not None:
            wait = max(wait, min(at_least, self.max_delay))
        return wait


NO_RETRY = RetryPolicy(attempts=1)
"""Try once."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One try of a call under :func:`with_retries`, reported to ``on_attempt`` as it ends."""

    number: int
    """1 for the first try."""
    attempts: int
    """The most tries the policy allows."""
    error: Exception | None
    """What the try raised; ``None`` when it succeeded."""
    retrying: bool
    """Another try follows (after ``delay``)."""
    delay: float
    """Seconds slept before the next try; 0.0 when none follows."""
    duration: float
    """Seconds the try took, on trio's clock."""

    @property
    def ok(self) -> bool:
        """The try succeeded."""
        return self.error is None


def error_kind(exc: BaseException) -> ErrorKind | None:
    """The family ``exc`` belongs to for ``retry_on``, or ``None`` when it belongs to none."""
    if isinstance(exc, RequestTimeout | trio.TooSlowError):
        return "timeout"
    if isinstance(exc, FrameTooLarge):
        return None
    if isinstance(exc, TransportError):
        return "connection"
    if isinstance(exc, ProtocolError):
        return "protocol"
    if isinstance(exc, ServerStartError):
        return "start"
    return None


def retryable(exc: BaseException, policy: RetryPolicy) -> bool:
    """Whether another try may succeed where ``exc`` failed, under ``policy`` (no I/O, no state)."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = list(_leaves(exc))
        return bool(leaves) and all(retryable(leaf, policy) for leaf in leaves)
    if isinstance(exc, HttpStatusError):
        return exc.status in policy.retry_statuses
    if isinstance(exc, RpcError):
        return exc.code in policy.retry_codes
    kind = error_kind(exc)
    return kind is not None and kind in policy.retry_on


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked to wait (``Retry-After``), when the error carries them.

    Read from a ``retry_after`` attribute in seconds. :class:`~mcpctl.errors.HttpStatusError` keeps
    only ``status`` and ``body`` today, so this is ``None`` until the transports record the header.
    """
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    rng: random.Random,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> T:
    """Await ``call()`` until it succeeds, a failure is not retryable, or ``policy.attempts`` are used.

    Returns the first success. Otherwise re-raises the last error itself, with a note listing the
    attempts when there was more than one. ``on_attempt`` hears of every try as it ends, before the
    backoff sleep. Put a deadline around the whole with ``trio.fail_after`` at the call site.
    """
    history: list[Attempt] = []
    for number in range(1, policy.attempts + 1):
        started = trio.current_time()
        try:
            value = await call()
        except Exception as exc:
            retrying = number < policy.attempts and retryable(exc, policy)
            delay = policy.delay(number - 1, rng, at_least=retry_after(exc)) if retrying else 0.0
            history.append(_ended(number, policy, started, error=exc, delay=delay if retrying else None))
            if on_attempt is not None:
                on_attempt(history[-1])
            if not retrying:
                if number > 1:
                    exc.add_note(attempts_note(history))
                raise
            await trio.sleep(delay)
        else:
            if on_attempt is not None:
                on_attempt(_ended(number, policy, started, error=None, delay=None))
            return value
    raise AssertionError("unreachable: the last attempt returns or raises")


def _ended(
    number: int, policy: RetryPolicy, started: float, *, error: Exception | None, delay: float | None
) -> Attempt:
    return Attempt(
        number=number,
        attempts=policy.attempts,
        error=error,
        retrying=delay is not None,
        delay=delay or 0.0,
        duration=trio.current_time() - started,
    )


def attempts_note(history: list[Attempt]) -> str:
    """The note a given-up error carries: why the retries stopped, then one line per attempt."""
    last = history[-1]
    if last.number == last.attempts:
        head = f"gave up after {last.number} attempts"
    else:
        head = f"gave up after {last.number} of {last.attempts} attempts: this error is not retried"
    lines = [head]
    for attempt in history:
        waited = f" (then waited {attempt.delay:.3f}s)" if attempt.retrying else ""
        name = type(attempt.error).__name__
        lines.append(f"  attempt {attempt.number}: {name}: {attempt.error}{waited}")
    return "\n".join(lines)
