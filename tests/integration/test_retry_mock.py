"""Issue 6, acceptance 2: retries and the failure budget against `mcpctl mock serve` with an error rate.

The mock draws one number per call from ``random.Random(seed)`` (mcpctl/mock/behaviour.py ``Dice.fails``:
the call fails when the draw is below the rate; no latency is set, so nothing else is drawn), and the
calls here are sequential, so the expected attempts, successes and failures follow from replaying that
generator in the test, independently of mcpctl.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcpctl.engine.failures import FailureBudget
from mcpctl.engine.retry import Attempt, RetryPolicy, with_retries
from mcpctl.errors import RpcError
from mcpctl.mcp.client import Client, StdioTarget, open_client
from testing.paths import PYTHON

SEED = 11
RATE = 0.30
ITEMS = 200
BUSY = -32000

MOCK = f"""\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: flaky}}
seed: {SEED}
behaviour:
  errorRate: {RATE:.0%}
  error: {{code: {BUSY}, message: busy}}
tools:
  - name: work
    inputSchema:
      type: object
      properties: {{item: {{type: integer}}}}
      required: [item]
    default: {{text: "done {{{{ args.item }}}}"}}
"""

POLICY = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.004, retry_codes=frozenset({BUSY}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    attempts: int
    ok: bool


def replay(policy: RetryPolicy, items: int) -> Iterator[Item]:
    """What the seeded mock implies for ``items`` sequential items under ``policy``."""
    draws = random.Random(SEED)
    for _ in range(items):
        for attempt in range(1, policy.attempts + 1):
            if draws.random() >= RATE:
                yield Item(attempts=attempt, ok=True)
                break
        else:
            yield Item(attempts=policy.attempts, ok=False)


def serve(tmp_path: Path) -> StdioTarget:
    spec = tmp_path / "flaky.yaml"
    spec.write_text(MOCK, encoding="utf-8")
    return StdioTarget(command=(PYTHON, "-m", "mcpctl", "mock", "serve", str(spec)))


async def run_item(client: Client, item: int, seen: list[Attempt]) -> bool:
    async def call() -> str:
        result = await client.call_tool("work", {"item": item})
        return result.text

    try:
        text = await with_retries(call, POLICY, rng=random.Random(item), on_attempt=seen.append)
    except RpcError as exc:
        given_up = exc
    else:
        assert text == f"done {item}"
        return True
    assert given_up.code == BUSY
    assert given_up.__notes__[0].splitlines()[0] == "gave up after 3 attempts"
    return False


async def test_attempts_successes_and_failures_match_the_seeded_mock(tmp_path: Path) -> None:
    expected = list(replay(POLICY, ITEMS))
    outcomes: list[bool] = []
    per_item: list[int] = []
    async with open_client(serve(tmp_path)) as client:
        for item in range(ITEMS):
            seen: list[Attempt] = []
            outcomes.append(await run_item(client, item, seen))
            per_item.append(len(seen))
    failures = sum(not item.ok for item in expected)
    assert 0 < failures < 20  # the seed exercises giving up, and retries save most items
    assert per_item == [item.attempts for item in expected]
    assert outcomes == [item.ok for item in expected]
    assert sum(per_item) == sum(item.attempts for item in expected)
    assert outcomes.count(True) == ITEMS - failures


def stop_point(policy: RetryPolicy, percentage: float) -> int:
    """The number of items started before the budget stops the run (checked before each start)."""
    budget = FailureBudget(max_fail_percentage=percentage, total=ITEMS)
    for started, item in enumerate(replay(policy, ITEMS)):
        if budget.exceeded():
            return started
        budget.record(ok=item.ok)
    return ITEMS


@pytest.mark.parametrize("percentage", [1, 2])
async def test_max_fail_percentage_stops_at_the_right_item(tmp_path: Path, percentage: float) -> None:
    budget = FailureBudget(max_fail_percentage=percentage, total=ITEMS)
    started = 0
    async with open_client(serve(tmp_path)) as client:
        for item in range(ITEMS):
            if budget.exceeded():
                break
            started += 1
            budget.record(ok=await run_item(client, item, []))
    expected = stop_point(POLICY, percentage)
    assert started == expected < ITEMS
    assert budget.failed == budget.allowed + 1  # type: ignore[operator]
    assert budget.exceeded()
    # the failure that tipped the budget was the last item started
    assert [item.ok for item in replay(POLICY, expected)][-1] is False
