"""Shards: the split of a profile adds up to the whole, and merged results equal one run over the same
samples (results built from recorded histograms directly: no servers)."""

from __future__ import annotations

import dataclasses
import random

import orjson
import pytest

from mcpctl.engine.load.metrics import LoadResult, Metrics
from mcpctl.engine.load.result_json import from_json, to_json
from mcpctl.engine.load.schedule import arrival_offsets
from mcpctl.engine.load.shard import merge_results, parse_shard, shard_profile
from mcpctl.engine.load.thresholds import Watch
from mcpctl.errors import UsageError
from mcpctl.spec.load_checks import parse_threshold
from mcpctl.spec.load_model import LoadModel, Profile, Stage, Threshold
from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration

START = 1_700_000_000.0


def profile(*stages: tuple[float, float], start: float = 0.0, model: LoadModel = "arrival-rate") -> Profile:
    return Profile(
        model=model,
        stages=tuple(Stage(duration=Duration(seconds=d), target=t) for d, t in stages),
        start_target=start,
        max_in_flight=1000 if model == "arrival-rate" else None,
    )


# shard_profile


def test_eight_arrival_rate_shards_sum_to_the_whole() -> None:
    whole = profile((10, 100), (20, 100), (10, 0))
    counts = [len(list(arrival_offsets(shard_profile(whole, i, 8)))) for i in range(1, 9)]
    assert counts == [375] * 8
    assert sum(counts) == len(list(arrival_offsets(whole))) == 3000


def test_eight_arrival_rate_shards_of_an_uneven_profile_are_within_one_percent() -> None:
    whole = profile((7, 330), (13, 330), (3, 50), start=20)
    total = len(list(arrival_offsets(whole)))
    shards = [shard_profile(whole, i, 8) for i in range(1, 9)]
    split = sum(len(list(arrival_offsets(shard))) for shard in shards)
    assert split == pytest.approx(total, rel=0.01)
    # each schedule starts its last request when the rate's integral passes a whole number: a shard sends
    # its share rounded up, so the shards send at most count - 1 more than the whole
    assert 0 <= split - total < 8
    for n in range(3):
        assert sum(shard.stages[n].target for shard in shards) == pytest.approx(whole.stages[n].target)
    assert sum(shard.max_in_flight or 0 for shard in shards) == 1000


def test_vus_split_sums_exactly_at_every_stage() -> None:
    whole = profile((5, 10), (5, 3), (5, 27), (5, 0), start=7, model="vus")
    shards = [shard_profile(whole, i, 8) for i in range(1, 9)]
    for n, stage in enumerate(whole.stages):
        targets = [shard.stages[n].target for shard in shards]
        assert sum(targets) == stage.target
        assert all(abs(t - stage.target / 8) < 1 for t in targets)
    assert [shard.start_target for shard in shards] == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert [shard.stages[2].target for shard in shards] == [4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    assert all(shard.max_in_flight is None for shard in shards)


def test_parse_shard() -> None:
    assert parse_shard("2/8") == (2, 8)
    for text, message in [
        ("2", "--shard '2': expected I/N, such as 2/8 (shard 2 of 8)"),
        ("a/8", "--shard 'a/8': expected I/N, such as 2/8 (shard 2 of 8)"),
        ("0/8", "--shard '0/8': the shard index must be between 1 and 8"),
        ("9/8", "--shard '9/8': the shard index must be between 1 and 8"),
        ("1/0", "--shard '1/0': the shard count must be at least 1"),
    ]:
        with pytest.raises(UsageError) as info:
            parse_shard(text)
        assert str(info.value) == message


# merge_results


def thresholds(*texts: str) -> tuple[Threshold, ...]:
    source = Source(path="t.yaml", line=1, column=1)
    made = []
    for text in texts:
        metric, op, value = parse_threshold(text)
        made.append(Threshold(metric=metric, op=op, value=value, text=text, source=source))
    return tuple(made)


def build(samples: list[tuple[str, str, int, float]], *, watch: Watch, duration: float = 10.0) -> LoadResult:
    """A result of the samples (call, outcome, latency ns, seconds since the start); ``echo`` calls have a
    time to first byte (half their latency), ``refuse`` calls none (as over stdio)."""
    metrics = Metrics(("echo", "refuse"), started_at=START, start_ns=0)
    for call, outcome, latency_ns, at in samples:
        metrics.record(call, outcome, latency_ns, int(at * 1e9), latency_ns // 2 if call == "echo" else 0)
        metrics.lag.record(latency_ns // 100)
    return LoadResult(
        name="steady",
        spec_hash="abc",
        model="arrival-rate",
        sessions="shared",
        seed=1,
        started_at=START,
        duration=duration,
        calls=metrics.calls(),
        overall=metrics.overall.stats("*"),
        lag=metrics.lag.summary(),
        lag_histogram=metrics.lag.encode(),
        dropped=len(samples) % 3,
        initialize=None,
        initialize_histogram=None,
        thresholds=watch.results(metrics, duration),
        aborted=False,
        abort_reason=None,
        series=metrics.series.to_record(),
    )


def samples(seed: int, n: int, slow: int) -> list[tuple[str, str, int, float]]:
    pick = random.Random(seed)
    return [
        (
            "echo" if pick.random() < 0.75 else "refuse",
            "ok" if pick.random() < 0.9 else "is_error",
            pick.randrange(1_000_000, slow),
            pick.uniform(0, 10),
        )
        for _ in range(n)
    ]


def test_merge_equals_one_run_over_the_same_samples() -> None:
    rules = thresholds("p99 < 50ms", "error_rate < 50%", "rate > 100/s")
    fast, slow = samples(1, 2000, 20_000_000), samples(2, 1500, 400_000_000)
    shard_a, shard_b = build(fast, watch=Watch(rules)), build(slow, watch=Watch(rules), duration=9.5)
    whole = build(fast + slow, watch=Watch(rules))

    merged = merge_results([shard_a, shard_b])

    assert merged.overall.latency.p99 == whole.overall.latency.p99
    assert merged.overall == whole.overall
    assert merged.calls[0].first_byte is not None
    assert merged.calls[0].first_byte == whole.calls[0].first_byte
    assert merged.calls[1].first_byte is None
    assert merged.calls == whole.calls
    assert merged.lag == whole.lag
    assert merged.dropped == shard_a.dropped + shard_b.dropped
    assert merged.duration == 10.0
    assert merged.series == whole.series
    # the first shard held p99 < 50ms, the merged numbers do not: thresholds are evaluated again
    assert [t.passed for t in shard_a.thresholds] == [True, True, True]
    assert merged.thresholds == whole.thresholds
    assert [t.passed for t in merged.thresholds] == [False, True, True]
    assert merged.exit_code == 1


def test_merge_keeps_a_shard_abort() -> None:
    rules = thresholds("error_rate < 50%")
    shard_a = build(samples(1, 100, 2_000_000), watch=Watch(rules))
    shard_b = build(samples(2, 100, 2_000_000), watch=Watch(rules))
    broke = shard_b.thresholds[0]
    aborted = type(broke)(text=broke.text, call=None, passed=False, value=0.6, broke_at=2.0, aborted=True)
    shard_b = shard_b.__class__(
        **{
            **{f: getattr(shard_b, f) for f in shard_b.__slots__},
            "thresholds": (aborted,),
            "aborted": True,
            "abort_reason": "threshold 'error_rate < 50%' broke at 2s (observed 0.6)",
        }
    )
    merged = merge_results([shard_a, shard_b])
    assert merged.aborted
    assert merged.abort_reason == "threshold 'error_rate < 50%' broke at 2s (observed 0.6)"
    assert (merged.thresholds[0].passed, merged.thresholds[0].aborted, merged.thresholds[0].broke_at) == (
        False,
        True,
        2.0,
    )


def test_merge_refuses_results_of_other_specs() -> None:
    rules = thresholds("p99 < 50ms")
    one = build(samples(1, 10, 2_000_000), watch=Watch(rules))
    other = from_json({**to_json(one), "spec_hash": "def"})
    with pytest.raises(UsageError) as info:
        merge_results([one, other])
    assert str(info.value) == (
        "LoadTest/steady: cannot merge results of different spec_hashs ('abc' and 'def'):"
        " shards must run the same spec"
    )


# JSON


def test_json_round_trip() -> None:
    result = build(samples(3, 300, 30_000_000), watch=Watch(thresholds("p99 < 50ms", "rate > 1/s")))
    data = orjson.loads(orjson.dumps(to_json(result, shard="2/8")))
    assert data["shard"] == "2/8"
    assert data["exit_code"] == 0
    assert from_json(data) == result


def test_from_json_says_what_is_wrong() -> None:
    data = to_json(build(samples(3, 10, 3_000_000), watch=Watch(())))
    del data["overall"]
    with pytest.raises(ValueError, match=r"^result 'steady'\.overall: expected an object, got NoneType$"):
        from_json(data)
    with pytest.raises(ValueError, match=r"^result 'steady': 'seed' has the wrong type \(str\)$"):
        from_json({**to_json(build([], watch=Watch(()))), "seed": "1"})


def test_a_shard_checks_a_rate_threshold_against_its_share() -> None:
    from mcpctl.engine.load.shard import shard_spec
    from mcpctl.spec.load_model import LoadTestSpec
    from mcpctl.spec.model import Metadata

    spec = LoadTestSpec(
        metadata=Metadata(name="t"),
        server="echo",
        scenario=(),
        profile=profile((10, 800.0)),
        thresholds=thresholds("rate > 400/s", "p99 < 250ms"),
        source=Source(path="t.yaml", line=1, column=1),
        spec_hash="0" * 64,
    )
    shard = shard_spec(spec, 2, 8)
    assert [stage.target for stage in shard.profile.stages] == [100.0]
    assert [(t.metric, t.value, t.text) for t in shard.thresholds] == [
        ("rate", 50.0, "rate > 400/s"),  # the text stays: merge checks the whole against it
        ("p99", 250.0, "p99 < 250ms"),
    ]


def test_the_workers_of_a_shard_check_the_shards_share_of_a_rate() -> None:
    rules = thresholds("rate > 300/s")
    one, two = (
        build(samples(1, 1000, 2_000_000), watch=Watch(rules)),
        build(samples(2, 1000, 2_000_000), watch=Watch(rules)),
    )
    whole = merge_results([one, two])  # 2,000 calls in 10 s: 200/s
    assert [(t.passed, t.value) for t in whole.thresholds] == [(False, 200.0)]
    [share] = thresholds("rate > 300/s")
    share = dataclasses.replace(share, value=150.0)  # shard 1 of 2: half the rate
    merged = merge_results([one, two], thresholds=(share,))
    assert [(t.text, t.passed, t.value) for t in merged.thresholds] == [("rate > 300/s", True, 200.0)]
