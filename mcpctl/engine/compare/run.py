"""Compare two servers: both contracts read and diffed, then each suite run against both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import trio

from mcpctl.engine.compare.answers import SideBySide, run_suite_answers, side_by_side
from mcpctl.engine.compare.contract import Contract, Difference, diff_contracts, fetch_contract
from mcpctl.errors import McpctlError, ServerError
from mcpctl.mcp.client import ServerTarget
from mcpctl.spec.model import TestSuiteSpec

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteComparison:
    """One suite run against both servers, test by test."""

    suite: str
    rows: tuple[SideBySide, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Everything ``mcpctl compare`` found: A and B as given, their contracts, the differences."""

    a: str
    b: str
    contract_a: Contract
    contract_b: Contract
    differences: tuple[Difference, ...]
    suites: tuple[SuiteComparison, ...] = ()

    @property
    def differs(self) -> bool:
        """A contract difference, or a test whose answers or status differ."""
        return bool(self.differences) or any(row.differs for s in self.suites for row in s.rows)


async def compare(
    a: tuple[str, ServerTarget],
    b: tuple[str, ServerTarget],
    suites: Sequence[TestSuiteSpec] = (),
    *,
    timeout: float,
) -> Comparison:
    """Read both contracts (``(label, target)`` each), diff them, and run ``suites`` against both.

    A server that cannot be reached or read is a :class:`ServerError` naming it (exit 3)."""
    (label_a, target_a), (label_b, target_b) = a, b
    contract_a, contract_b = await _both(
        partial(_reach, label_a, partial(fetch_contract, target_a, timeout=timeout)),
        partial(_reach, label_b, partial(fetch_contract, target_b, timeout=timeout)),
    )
    compared = []
    for suite in suites:
        left, right = await _both(
            partial(_reach, label_a, partial(run_suite_answers, target_a, suite, timeout=timeout)),
            partial(_reach, label_b, partial(run_suite_answers, target_b, suite, timeout=timeout)),
        )
        compared.append(SuiteComparison(suite=suite.metadata.name, rows=tuple(side_by_side(left, right))))
    return Comparison(
        a=label_a,
        b=label_b,
        contract_a=contract_a,
        contract_b=contract_b,
        differences=tuple(diff_contracts(contract_a, contract_b)),
        suites=tuple(compared),
    )


async def _both(first: Callable[[], Awaitable[T]], second: Callable[[], Awaitable[T]]) -> tuple[T, T]:
    """Both at once (two servers, two processes: the wait is the slower one, not the sum)."""
    found: dict[int, T] = {}

    async def one(index: int, work: Callable[[], Awaitable[T]]) -> None:
        found[index] = await work()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(one, 0, first)
        nursery.start_soon(one, 1, second)
    return found[0], found[1]


async def _reach(label: str, work: Callable[[], Awaitable[T]]) -> T:
    try:
        return await work()
    except ServerError as exc:
        raise ServerError(f"{label}: {exc}") from None
    except McpctlError as exc:  # a JSON-RPC error to a list request: the contract cannot be read
        raise ServerError(f"{label}: could not read the server: {exc}") from None
