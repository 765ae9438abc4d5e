"""Issue 5, acceptance 3: latency distributions and error rates, measured over 10,000 calls each on
trio's virtual clock: the mean latency and the error share land within 5 % of the spec, and a
seeded run repeats exactly."""

from __future__ import annotations

import math

import pytest
import trio

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mock.app import ServedMock
from mcpctl.spec.mock_model import Behaviour, Latency, MockServerSpec, MockTool
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.units import parse_duration, parse_percent

CALLS = 10_000
SRC = Source(path="mock.yaml", line=1, column=1)
ms = parse_duration

DISTRIBUTIONS = {
    "fixed": (Latency(distribution="fixed", value=ms("20ms")), 20.0),
    "uniform": (Latency(distribution="uniform", min=ms("10ms"), max=ms("50ms")), 30.0),
    "normal": (Latency(distribution="normal", mean=ms("40ms"), stddev=ms("8ms")), 40.0),
    "lognormal": (
        Latency(distribution="lognormal", median=ms("30ms"), sigma=0.5),
        30.0 * math.exp(0.5**2 / 2),
    ),
}


def mock(latency: Latency | None, *, error_rate: str | None = None, seed: int | None = 11) -> ServedMock:
    behaviour = Behaviour(latency=latency, error_rate=parse_percent(error_rate) if error_rate else None)
    spec = MockServerSpec(
        metadata=Metadata(name="dist"),
        server_name="dist",
        seed=seed,
        behaviour=behaviour,
        tools=(MockTool(name="work", source=SRC),),
        source=SRC,
        spec_hash="x",
    )
    return ServedMock(spec)


async def calls(app: ServedMock, n: int = CALLS) -> tuple[list[float], list[bool]]:
    async def drop(message: Message) -> None:
        pass

    session = app.open_session(drop)
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "work", "arguments": {}}}
    latencies, failed = [], []
    for _ in range(n):
        start = trio.current_time()
        answer = await session.handle(request, drop)
        latencies.append(round((trio.current_time() - start) * 1000, 6))  # the clock's float drift aside
        assert answer is not None
        failed.append("error" in answer)
    return latencies, failed


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
async def test_mean_latency_within_5_percent(name: str, autojump_clock: trio.abc.Clock) -> None:
    latency, expected_mean = DISTRIBUTIONS[name]
    measured, _ = await calls(mock(latency))
    mean = sum(measured) / len(measured)
    assert abs(mean - expected_mean) <= 0.05 * expected_mean, (name, mean, expected_mean)
    assert min(measured) >= 0


async def test_uniform_stays_in_its_bounds(autojump_clock: trio.abc.Clock) -> None:
    measured, _ = await calls(mock(DISTRIBUTIONS["uniform"][0]), 2000)
    assert min(measured) >= 10 - 1e-6
    assert max(measured) <= 50 + 1e-6


# 10,000 draws pin a share down to about ±0.3 points (one standard deviation at 10 %): enough to
# check 10 % and above to within 5 % of itself, not 1 % (whose standard deviation is 10 % of it)
@pytest.mark.parametrize("rate", ["10%", "25%", "50%"])
async def test_error_share_within_5_percent(rate: str, autojump_clock: trio.abc.Clock) -> None:
    _, failed = await calls(mock(None, error_rate=rate))
    share = sum(failed) / len(failed)
    expected = parse_percent(rate).fraction
    assert abs(share - expected) <= 0.05 * expected, (rate, share)


async def test_a_seeded_run_repeats_exactly(autojump_clock: trio.abc.Clock) -> None:
    latency = DISTRIBUTIONS["lognormal"][0]
    first = await calls(mock(latency, error_rate="20%", seed=99), 2000)
    second = await calls(mock(latency, error_rate="20%", seed=99), 2000)
    other = await calls(mock(latency, error_rate="20%", seed=100), 2000)
    assert first == second
    assert first != other
