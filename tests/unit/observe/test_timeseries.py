"""TimeSeries: per-second buckets, compaction that halves the resolution and keeps totals exact, the
bucket bound over a 10-hour run, merging shards started at different seconds, and the saved form."""

from __future__ import annotations

import gc
import random
import re
import tracemalloc
from collections import Counter

import pytest

from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.observe.timeseries import BucketRecord, SeriesRecord, TimePoint, TimeSeries

MS = 1_000_000  # nanoseconds
T0 = 1_700_000_000.0  # a Unix time, a multiple of 1024 s


def calls(start: float, seconds: int, per_second: int, seed: int) -> list[tuple[float, str, int | None]]:
    rng = random.Random(seed)
    found: list[tuple[float, str, int | None]] = []
    for second in range(seconds):
        for _ in range(per_second):
            outcome = rng.choice(["ok", "ok", "ok", "is_error", "timeout"])
            latency = None if outcome == "timeout" else rng.randint(1, 300) * MS // 10
            found.append((start + second + rng.random(), outcome, latency))
    return found


def fed(records: list[tuple[float, str, int | None]], *, start: float, max_buckets: int = 3600) -> TimeSeries:
    series = TimeSeries(start=start, max_buckets=max_buckets)
    for at, outcome, latency in records:
        series.record(at, outcome, latency)
    return series


def totals(series: TimeSeries) -> tuple[Counter[str], int]:
    outcomes: Counter[str] = Counter()
    latencies = 0
    for point in series.points():
        outcomes.update(point.outcomes)
        latencies += point.latency.count
    return outcomes, latencies


def test_records_fall_in_the_wall_clock_second_they_ended_in() -> None:
    series = TimeSeries(start=T0 + 0.7)
    series.record(T0 + 0.2, "ok", 2 * MS)
    series.record(T0 + 0.99, "ok", 4 * MS)
    series.record(T0 + 1.0, "timeout")
    series.record(T0 + 1.5, "rpc:-32603", 1 * MS)

    first, second = series.points()

    assert series.start == T0
    assert len(series) == 2
    assert (first.start, first.width, first.outcomes) == (T0, 1, {"ok": 2})
    # 2 significant figures: values within 1 %, the mean exact
    assert (first.latency.count, first.latency.mean) == (2, 3.0)
    assert (first.latency.p50, first.latency.max) == (pytest.approx(2, rel=1e-2), pytest.approx(4, rel=1e-2))
    assert (second.start, second.outcomes) == (T0 + 1, {"timeout": 1, "rpc:-32603": 1})
    assert (second.latency.count, second.latency.mean) == (1, 1.0)
    assert series.points(last=1) == (second,)
    assert series.points(last=0) == ()


def test_late_records_reach_sealed_buckets() -> None:
    series = TimeSeries(start=T0)
    for second in range(5):
        series.record(T0 + second, "ok", 10 * MS)
    series.record(T0, "ok", 20 * MS)  # the first bucket was encoded three seconds ago
    series.record(T0 + 4, "ok", 30 * MS)

    points = series.points()

    assert [p.latency.count for p in points] == [2, 1, 1, 1, 2]
    assert (points[0].latency.max, points[4].latency.max) == (
        pytest.approx(20, rel=1e-2),
        pytest.approx(30, rel=1e-2),
    )


def test_when_full_adjacent_buckets_merge_pairwise_and_totals_stay_exact() -> None:
    records = calls(T0, seconds=9, per_second=50, seed=1)
    series = fed(records, start=T0, max_buckets=4)

    points = series.points()

    # 9 one-second buckets do not fit in 4; 2-second ones neither (5); 4-second ones do (3)
    assert series.width == 4
    assert [(p.start, p.width) for p in points] == [(T0, 4), (T0 + 4, 4), (T0 + 8, 4)]
    assert totals(series) == (
        Counter(o for _, o, _ in records),
        sum(1 for *_, ms in records if ms is not None),
    )
    for point, low in zip(points, (0, 4, 8), strict=True):
        inside = [ns for at, _, ns in records if T0 + low <= at < T0 + low + 4 and ns is not None]
        expected = LatencyHistogram(significant_figures=2)
        for ns in inside:
            expected.record(ns)
        assert point.latency == expected.summary()


def test_buckets_never_exceed_the_bound_over_a_ten_hour_run() -> None:
    series = TimeSeries(start=T0, max_buckets=360)
    most = 0
    for second in range(10 * 3600):
        series.record(T0 + second + 0.5, "ok" if second % 100 else "timeout", (1 + second % 7) * MS)
        most = max(most, len(series))

    assert most == 360
    assert series.width == 128  # 36,000 s in 360 buckets: 64 s is too fine, 128 s fits
    assert len(series) == 282
    assert totals(series) == (Counter({"ok": 35_640, "timeout": 360}), 36_000)


def test_older_buckets_keep_their_histogram_encoded() -> None:
    records = calls(T0, seconds=200, per_second=20, seed=8)
    gc.collect()  # hdrh histograms hold a reference cycle: count only what is still reachable
    tracemalloc.start()
    try:
        series = fed(records, start=T0)
        gc.collect()
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # 200 live 2-figure histograms would take 5.5 MB; two live ones and 198 encoded take ~0.2 MB
    assert len(series) == 200
    assert used < 400_000


def test_shards_started_at_different_seconds_merge_into_the_series_of_all_calls() -> None:
    first = calls(T0 + 0.4, seconds=20, per_second=30, seed=2)
    second = calls(T0 + 3.9, seconds=25, per_second=30, seed=3)
    whole = fed(first + second, start=T0 + 0.4, max_buckets=16)
    shard_a, shard_b = fed(first, start=T0 + 0.4, max_buckets=16), fed(second, start=T0 + 3.9, max_buckets=16)
    assert (shard_a.width, shard_b.width) == (2, 2)

    shard_b.merge(shard_a)

    assert shard_b.width == whole.width == 2
    assert shard_b.start == T0
    assert shard_b.points() == whole.points()


def test_merging_a_compacted_shard_coarsens_the_finer_one() -> None:
    fine = fed(calls(T0, seconds=3, per_second=10, seed=4), start=T0, max_buckets=8)
    coarse = fed(calls(T0, seconds=20, per_second=10, seed=5), start=T0, max_buckets=8)
    assert (fine.width, coarse.width) == (1, 4)

    fine.merge(coarse)

    assert fine.width == 4
    assert [p.start for p in fine.points()] == [T0 + 4 * i for i in range(5)]
    assert totals(fine)[0].total() == 230
    assert (
        coarse.points() == fed(calls(T0, seconds=20, per_second=10, seed=5), start=T0, max_buckets=8).points()
    )


def test_the_saved_record_restores_the_same_series() -> None:
    series = fed(calls(T0, seconds=6, per_second=20, seed=6), start=T0 + 0.5, max_buckets=4)
    series.record(T0 + 7, "timeout")

    record = series.to_record()
    restored = TimeSeries.from_record(record)

    assert (record.start, record.width, record.max_buckets, len(record.buckets)) == (T0, 2, 4, 4)
    assert record.buckets[-1] == BucketRecord(start=T0 + 6, outcomes={"timeout": 1}, latency="")
    assert restored.points() == series.points()
    assert restored.to_record() == record
    restored.record(T0 + 7.5, "ok", MS)
    assert restored.points(last=1)[0].outcomes == {"timeout": 1, "ok": 1}


def test_a_point_of_an_empty_latency_bucket_reports_zeros() -> None:
    series = TimeSeries(start=T0)
    series.record(T0, "timeout")

    (point,) = series.points()

    assert point == TimePoint(
        start=T0, width=1, outcomes={"timeout": 1}, latency=LatencyHistogram().summary()
    )


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            SeriesRecord(start=0, width=3, max_buckets=4, buckets=()),
            "time series width must be a power of two seconds, got 3",
        ),
        (
            SeriesRecord(start=0, width=2, max_buckets=1, buckets=()),
            "a time series needs at least 2 buckets, got 1",
        ),
        (
            SeriesRecord(
                start=0, width=2, max_buckets=2, buckets=(BucketRecord(start=3, outcomes={}, latency=""),)
            ),
            "time series bucket 3 is not one of 2-second buckets",
        ),
        (
            SeriesRecord(
                start=0,
                width=1,
                max_buckets=2,
                buckets=tuple(BucketRecord(start=s, outcomes={}, latency="") for s in range(3)),
            ),
            "time series has 3 buckets, more than 2",
        ),
        (
            SeriesRecord(
                start=0,
                width=1,
                max_buckets=2,
                buckets=(BucketRecord(start=0, outcomes={}, latency=LatencyHistogram().encode()),),
            ),
            "time series bucket 0 has another precision",
        ),
    ],
)
def test_an_inconsistent_record_is_refused(record: SeriesRecord, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        TimeSeries.from_record(record)
