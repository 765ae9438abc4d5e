"""LatencyHistogram: exact percentiles on known data, coordinated omission correction, merging shards
(equal to one histogram over every sample), and the encoded form shards travel in."""

from __future__ import annotations

import random
import re

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpctl.observe.histogram import HIGHEST_US, LatencyHistogram, LatencyStats

MS = 1_000_000  # nanoseconds


def filled(values_ns: list[int], **kwargs: int) -> LatencyHistogram:
    histogram = LatencyHistogram(**kwargs)
    for value in values_ns:
        histogram.record(value)
    return histogram


def test_percentiles_are_exact_by_nearest_rank_below_two_milliseconds() -> None:
    # 1 µs .. 1000 µs: the histogram counts single microseconds up to 2048 µs
    histogram = filled([us * 1000 for us in range(1000, 0, -1)])

    assert histogram.summary() == LatencyStats(
        count=1000, min=0.001, p50=0.5, p90=0.9, p95=0.95, p99=0.99, p999=0.999, max=1.0, mean=0.5005
    )
    assert [histogram.percentile(p) for p in (0.1, 25, 50, 99.9, 100)] == [0.001, 0.25, 0.5, 0.999, 1.0]


def test_large_values_keep_three_significant_figures_and_the_mean_is_exact() -> None:
    values = [1_234_567_000, 45_678_000, 7_000_000_000]
    histogram = filled(values)

    for p, value in zip((33, 66, 100), sorted(values), strict=True):
        assert histogram.percentile(p) == pytest.approx(value / MS, rel=1e-3)
    assert histogram.mean == sum(values) / len(values) / MS


def test_nanoseconds_round_to_the_nearest_microsecond_and_out_of_range_values_are_clamped() -> None:
    histogram = filled([1499, 1500, -5, 2 * 3600 * 1000 * MS])

    assert histogram.count == 4
    assert histogram.min == 0.0
    assert histogram.percentile(25) == 0.0
    assert histogram.percentile(50) == 0.001
    assert histogram.percentile(75) == 0.002
    assert histogram.max == pytest.approx(HIGHEST_US / 1000, rel=1e-3)
    assert histogram.mean == (0 + 1 + 2 + HIGHEST_US) / 4 / 1000


def test_an_empty_histogram_reports_zeros() -> None:
    histogram = LatencyHistogram()

    assert histogram.summary() == LatencyStats(
        count=0, min=0.0, p50=0.0, p90=0.0, p95=0.0, p99=0.0, p999=0.0, max=0.0, mean=0.0
    )
    assert (histogram.count, histogram.min, histogram.max, histogram.mean) == (0, 0.0, 0.0, 0.0)
    assert histogram.percentile(99) == 0.0


def stalled_run(*, corrected: bool) -> LatencyHistogram:
    """10 s at 100 calls/s (10 ms apart), 1 ms each, but one call stalls for 1 s; a closed loop sends
    nothing during the stall, so 900 calls complete at 1 ms and one at 1000 ms."""
    histogram = LatencyHistogram()
    for value in [1 * MS] * 900 + [1000 * MS]:
        if corrected:
            histogram.record_corrected(value, 10 * MS)
        else:
            histogram.record(value)
    return histogram


def test_corrected_recording_fills_in_the_calls_a_stall_kept_from_being_sent() -> None:
    plain, corrected = stalled_run(corrected=False), stalled_run(corrected=True)

    assert plain.count == 901
    assert plain.percentile(99) == 1.0
    # the stall stands for 100 calls: 1000 ms, 990 ms, ..., 10 ms
    assert corrected.count == 1000
    assert corrected.percentile(99) >= 900
    assert corrected.summary().p99 == pytest.approx(900, rel=1e-3)
    assert corrected.percentile(90) == 1.0
    assert corrected.mean == (900 * 1 + sum(range(10, 1001, 10))) / 1000
    assert corrected.max == pytest.approx(1000, rel=1e-3)


def test_corrected_recording_below_the_interval_is_a_plain_record() -> None:
    histogram = LatencyHistogram()
    histogram.record_corrected(5 * MS, 10 * MS)
    histogram.record_corrected(5 * MS, 0)

    assert histogram == filled([5 * MS, 5 * MS])


def test_merging_two_halves_gives_exactly_the_histogram_of_all_samples() -> None:
    rng = random.Random(7)
    samples = [int(rng.lognormvariate(15, 1.2)) for _ in range(20_000)]
    whole = filled(samples)
    first, second = filled(samples[::2]), filled(samples[1::2])

    first.merge(second)

    assert first == whole
    assert first.summary() == whole.summary()
    points = [0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100]
    assert [first.percentile(p) for p in points] == [whole.percentile(p) for p in points]
    assert second == filled(samples[1::2])  # left as it was


def test_merging_an_empty_histogram_changes_nothing_and_merging_into_one_copies() -> None:
    histogram = filled([3 * MS, 8 * MS])
    histogram.merge(LatencyHistogram())
    empty = LatencyHistogram()
    empty.merge(histogram)

    assert histogram.min == 3.0
    assert empty == histogram
    assert empty.summary() == histogram.summary()


def test_histograms_of_other_precisions_do_not_merge() -> None:
    with pytest.raises(
        ValueError, match=r"^cannot merge a histogram of 2 significant figures into one of 3$"
    ):
        LatencyHistogram().merge(LatencyHistogram(significant_figures=2))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10**10), max_size=200), st.integers(min_value=1, max_value=4)
)
def test_any_split_into_shards_merges_back_to_the_whole(samples: list[int], shards: int) -> None:
    merged = LatencyHistogram()
    for shard in range(shards):
        merged.merge(LatencyHistogram.decode(filled(samples[shard::shards]).encode()))

    assert merged == filled(samples)
    assert merged.summary() == filled(samples).summary()


def test_encoding_round_trips_every_counter_and_the_exact_sum() -> None:
    histogram = filled([us * 1000 for us in (1, 2, 2, 900, 50_000, 7_000_000)])
    text = histogram.encode()

    decoded = LatencyHistogram.decode(text)

    assert text.isascii()
    assert text.startswith("mcpctl-hdr1:7050905:HISTF")
    assert decoded == histogram
    assert decoded.summary() == histogram.summary()
    decoded.record(1 * MS)
    assert decoded.count == 7


def test_an_empty_histogram_round_trips() -> None:
    assert LatencyHistogram.decode(LatencyHistogram().encode()) == LatencyHistogram()
    two = LatencyHistogram(significant_figures=2)
    assert LatencyHistogram.decode(two.encode()).significant_figures == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not an encoded latency histogram (mcpctl-hdr1:SUM:BASE64): ''"),
        (
            "mcpctl-hdr1:-1:HISTF",
            "not an encoded latency histogram (mcpctl-hdr1:SUM:BASE64): 'mcpctl-hdr1:-1:HISTF'",
        ),
        (
            "HISTFAAAABx4nJNpmSzMgADMUJoRRFybvITB",
            "not an encoded latency histogram (mcpctl-hdr1:SUM:BASE64): "
            "'HISTFAAAABx4nJNpmSzMgADMUJoRRFybvITB'",
        ),
        ("mcpctl-hdr1:0:HISTFAAAABx4", "corrupt latency histogram: Decoded length=28 buffer length=1"),
        ("mcpctl-hdr1:0:not base64 at all!", "corrupt latency histogram: Incorrect padding"),
        ("mcpctl-hdr1:0:" + "A" * 40, "corrupt latency histogram: HdrCookieException"),
    ],
)
def test_decoding_something_else_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        LatencyHistogram.decode(text)


def test_a_histogram_of_another_range_is_refused() -> None:
    foreign = HdrHistogram(1, 60_000_000, 3).encode().decode("ascii")

    with pytest.raises(
        ValueError, match=r"^latency histogram covers 1\.\.60000000 µs, expected 1\.\.3600000000$"
    ):
        LatencyHistogram.decode(f"mcpctl-hdr1:0:{foreign}")


def test_histograms_are_compared_by_content_and_not_hashable() -> None:
    assert filled([MS]) == filled([MS])
    assert filled([MS]) != filled([2 * MS])
    assert filled([MS]) != "1 ms"
    with pytest.raises(TypeError):
        hash(LatencyHistogram())


@pytest.mark.parametrize("figures", [2, 3])
def test_percentiles_in_one_pass_equal_hdrhistograms_own(figures: int) -> None:
    rng = random.Random(figures)
    histogram = LatencyHistogram(significant_figures=figures)
    for _ in range(2000):
        histogram.record(int(rng.lognormvariate(14, 1.5)))  # ~1 ms, spread over decades
    ps = (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0)
    own = [int(histogram._hdr.get_value_at_percentile(p)) / 1000 for p in ps]
    assert histogram.percentiles(ps) == own
    assert [histogram.percentile(p) for p in ps] == own
    assert LatencyHistogram().percentiles(ps) == [0.0] * len(ps)
