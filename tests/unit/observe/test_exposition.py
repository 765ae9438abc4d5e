"""Prometheus text 0.0.4 and OpenMetrics 1.0 exposition: exact output written by hand from the specs,
escaping, name checks, content negotiation, histogram buckets read from a real LatencyHistogram, and
every output parsed back by prometheus_client's own parsers (a test dependency only)."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from mcpctl.observe.exposition import (
    DEFAULT_BOUNDS,
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    HistogramPoint,
    MetricFamily,
    Point,
    histogram_point,
    negotiate,
    render_openmetrics,
    render_text,
)
from mcpctl.observe.histogram import LatencyHistogram

US = 1_000  # nanoseconds


def families() -> list[MetricFamily]:
    return [
        MetricFamily(
            name="mcpctl_calls_total",
            help="Tool calls by outcome.",
            type="counter",
            samples=(
                Point(labels={"tool": "echo", "outcome": "ok"}, value=3.0),
                Point(labels={"tool": "echo", "outcome": "is_error"}, value=1.0),
            ),
        ),
        MetricFamily(
            name="mcpctl_in_flight",
            help="Calls in flight.",
            type="gauge",
            samples=(Point(labels={}, value=2.0, timestamp=1764118923.5),),
        ),
        MetricFamily(
            name="mcpctl_call_duration_seconds",
            help="Call latency.",
            type="histogram",
            unit="seconds",
            samples=(
                HistogramPoint(
                    labels={"tool": "echo"},
                    buckets=((0.001, 1), (0.01, 3), (math.inf, 4)),
                    sum=2.0155,
                    count=4,
                ),
            ),
        ),
    ]


TEXT = """\
# HELP mcpctl_calls_total Tool calls by outcome.
# TYPE mcpctl_calls_total counter
mcpctl_calls_total{tool="echo",outcome="ok"} 3.0
mcpctl_calls_total{tool="echo",outcome="is_error"} 1.0
# HELP mcpctl_in_flight Calls in flight.
# TYPE mcpctl_in_flight gauge
mcpctl_in_flight 2.0 1764118923500
# HELP mcpctl_call_duration_seconds Call latency.
# TYPE mcpctl_call_duration_seconds histogram
mcpctl_call_duration_seconds_bucket{tool="echo",le="0.001"} 1
mcpctl_call_duration_seconds_bucket{tool="echo",le="0.01"} 3
mcpctl_call_duration_seconds_bucket{tool="echo",le="+Inf"} 4
mcpctl_call_duration_seconds_sum{tool="echo"} 2.0155
mcpctl_call_duration_seconds_count{tool="echo"} 4
"""

OPENMETRICS = """\
# TYPE mcpctl_calls counter
# HELP mcpctl_calls Tool calls by outcome.
mcpctl_calls_total{tool="echo",outcome="ok"} 3.0
mcpctl_calls_total{tool="echo",outcome="is_error"} 1.0
# TYPE mcpctl_in_flight gauge
# HELP mcpctl_in_flight Calls in flight.
mcpctl_in_flight 2.0 1764118923.5
# TYPE mcpctl_call_duration_seconds histogram
# UNIT mcpctl_call_duration_seconds seconds
# HELP mcpctl_call_duration_seconds Call latency.
mcpctl_call_duration_seconds_bucket{tool="echo",le="0.001"} 1
mcpctl_call_duration_seconds_bucket{tool="echo",le="0.01"} 3
mcpctl_call_duration_seconds_bucket{tool="echo",le="+Inf"} 4
mcpctl_call_duration_seconds_sum{tool="echo"} 2.0155
mcpctl_call_duration_seconds_count{tool="echo"} 4
# EOF
"""


def test_text_format_is_exact() -> None:
    assert render_text(families()).decode("utf-8") == TEXT


def test_openmetrics_is_exact() -> None:
    assert render_openmetrics(families()).decode("utf-8") == OPENMETRICS


def summarize(
    parsed: Iterable[Metric],
) -> list[tuple[str, str, str, list[tuple[str, dict[str, str], float]]]]:
    return [
        (f.name, f.type, f.documentation, [(s.name, s.labels, s.value) for s in f.samples]) for f in parsed
    ]


EXPECTED_PARSE = [
    (
        "mcpctl_calls",
        "counter",
        "Tool calls by outcome.",
        [
            ("mcpctl_calls_total", {"tool": "echo", "outcome": "ok"}, 3.0),
            ("mcpctl_calls_total", {"tool": "echo", "outcome": "is_error"}, 1.0),
        ],
    ),
    ("mcpctl_in_flight", "gauge", "Calls in flight.", [("mcpctl_in_flight", {}, 2.0)]),
    (
        "mcpctl_call_duration_seconds",
        "histogram",
        "Call latency.",
        [
            ("mcpctl_call_duration_seconds_bucket", {"tool": "echo", "le": "0.001"}, 1.0),
            ("mcpctl_call_duration_seconds_bucket", {"tool": "echo", "le": "0.01"}, 3.0),
            ("mcpctl_call_duration_seconds_bucket", {"tool": "echo", "le": "+Inf"}, 4.0),
            ("mcpctl_call_duration_seconds_sum", {"tool": "echo"}, 2.0155),
            ("mcpctl_call_duration_seconds_count", {"tool": "echo"}, 4.0),
        ],
    ),
]


def test_the_official_parsers_read_both_formats_back() -> None:
    text = list(parse_text(render_text(families()).decode("utf-8")))
    openmetrics = list(parse_openmetrics(render_openmetrics(families()).decode("utf-8")))

    assert summarize(text) == EXPECTED_PARSE
    assert summarize(openmetrics) == EXPECTED_PARSE
    # timestamps: milliseconds in the text format, seconds in OpenMetrics, the same instant
    assert text[1].samples[0].timestamp == 1764118923.5
    assert float(openmetrics[1].samples[0].timestamp) == 1764118923.5  # its own Timestamp type


def test_counters_keep_their_name_in_text_and_gain_total_in_openmetrics() -> None:
    calls = [MetricFamily(name="calls", help="", type="counter", samples=(Point(labels={}, value=1),))]

    assert render_text(calls) == b"# TYPE calls counter\ncalls 1\n"
    assert render_openmetrics(calls) == b"# TYPE calls counter\ncalls_total 1\n# EOF\n"


def test_escaping_of_label_values_and_help() -> None:
    awkward = 'C:\\tmp "quoted"\nnext line'
    family = MetricFamily(
        name="mcpctl_up",
        help=awkward,
        type="gauge",
        samples=(Point(labels={"path": awkward}, value=1.0),),
    )

    assert render_text([family]).decode("utf-8") == (
        '# HELP mcpctl_up C:\\\\tmp "quoted"\\nnext line\n'
        "# TYPE mcpctl_up gauge\n"
        'mcpctl_up{path="C:\\\\tmp \\"quoted\\"\\nnext line"} 1.0\n'
    )
    assert render_openmetrics([family]).decode("utf-8") == (
        "# TYPE mcpctl_up gauge\n"
        '# HELP mcpctl_up C:\\\\tmp \\"quoted\\"\\nnext line\n'
        'mcpctl_up{path="C:\\\\tmp \\"quoted\\"\\nnext line"} 1.0\n'
        "# EOF\n"
    )
    for parse, render in ((parse_text, render_text), (parse_openmetrics, render_openmetrics)):
        [parsed] = parse(render([family]).decode("utf-8"))
        assert parsed.documentation == awkward
        assert parsed.samples[0].labels == {"path": awkward}


def test_special_float_values() -> None:
    family = MetricFamily(
        name="g",
        help="",
        type="gauge",
        samples=(
            Point(labels={"v": "inf"}, value=math.inf),
            Point(labels={"v": "-inf"}, value=-math.inf),
            Point(labels={"v": "nan"}, value=math.nan),
            Point(labels={"v": "small"}, value=1e-05),
        ),
    )

    assert render_text([family]) == (
        b'# TYPE g gauge\ng{v="inf"} +Inf\ng{v="-inf"} -Inf\ng{v="nan"} NaN\ng{v="small"} 1e-05\n'
    )
    [parsed] = parse_openmetrics(render_openmetrics([family]).decode("utf-8"))
    values = [sample.value for sample in parsed.samples]
    assert values[:2] == [math.inf, -math.inf]
    assert math.isnan(values[2])
    assert values[3] == 1e-05


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: MetricFamily(name="mcpctl-calls", help="", type="gauge", samples=()),
            "invalid metric name 'mcpctl-calls': it must match [a-zA-Z_:][a-zA-Z0-9_:]*",
        ),
        (
            lambda: MetricFamily(name="1calls", help="", type="gauge", samples=()),
            "invalid metric name '1calls': it must match [a-zA-Z_:][a-zA-Z0-9_:]*",
        ),
        (
            lambda: Point(labels={"tool name": "x"}, value=1),
            "invalid label name 'tool name': it must match [a-zA-Z_][a-zA-Z0-9_]*",
        ),
        (
            lambda: Point(labels={"a:b": "x"}, value=1),
            "invalid label name 'a:b': it must match [a-zA-Z_][a-zA-Z0-9_]*",
        ),
        (
            lambda: Point(labels={"__name__": "x"}, value=1),
            "invalid label name '__name__': names starting with __ are reserved",
        ),
        (
            lambda: HistogramPoint(labels={"le": "1"}, buckets=((math.inf, 0),), sum=0.0, count=0),
            "invalid label name 'le': it is reserved in a histogram",
        ),
        (
            lambda: HistogramPoint(labels={}, buckets=((1.0, 0),), sum=0.0, count=0),
            "histogram buckets must end with (+Inf, 0), got ((1.0, 0),)",
        ),
        (
            lambda: HistogramPoint(labels={}, buckets=((1.0, 2), (math.inf, 1)), sum=0.0, count=1),
            "histogram buckets must be cumulative over increasing bounds: ((1.0, 2), (inf, 1))",
        ),
        (
            lambda: MetricFamily(name="lat_ms", help="", type="gauge", unit="seconds", samples=()),
            "metric 'lat_ms' has unit 'seconds': its name must end with _seconds",
        ),
        (
            lambda: MetricFamily(
                name="calls_total", help="", type="counter", samples=(Point(labels={}, value=-1.0),)
            ),
            "counter 'calls_total' has value -1.0: counters are >= 0",
        ),
        (
            lambda: MetricFamily(
                name="lat", help="", type="histogram", samples=(Point(labels={}, value=1.0),)
            ),
            "metric 'lat' is a histogram: it takes HistogramPoint samples",
        ),
    ],
)
def test_bad_names_and_samples_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message


def test_a_counter_unit_is_checked_without_total() -> None:
    family = MetricFamily(name="busy_seconds_total", help="", type="counter", unit="seconds", samples=())

    assert render_openmetrics([family]) == (
        b"# TYPE busy_seconds counter\n# UNIT busy_seconds seconds\n# EOF\n"
    )
    assert render_text([family]) == b"# TYPE busy_seconds_total counter\n"


def test_a_family_twice_is_refused() -> None:
    twice = [
        MetricFamily(name="calls", help="", type="counter", samples=()),
        MetricFamily(name="calls_total", help="", type="counter", samples=()),
    ]
    assert render_text(twice) == b"# TYPE calls counter\n# TYPE calls_total counter\n"
    message = "metric family 'calls' appears twice: merge its samples into one family"
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        render_openmetrics(twice)
    assert str(caught.value) == message


PROMETHEUS_SCRAPE = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


@pytest.mark.parametrize(
    ("accept", "openmetrics"),
    [
        (None, False),
        ("", False),
        (PROMETHEUS_SCRAPE, True),
        ("application/openmetrics-text", True),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", True),
        ('Application/OpenMetrics-Text; Version="1.0.0"', True),
        ("application/openmetrics-text;version=0.0.1", False),
        ("application/openmetrics-text;version=2.0.0, text/plain;q=0.1", False),
        ("text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5", False),
        ("text/plain;q=0.5, application/openmetrics-text;q=0.8", True),
        ("text/plain, application/openmetrics-text", False),
        ("application/openmetrics-text, text/plain", True),
        ("application/openmetrics-text;q=0, text/plain;q=0.1", False),
        ("application/openmetrics-text;q=0", False),
        ("application/openmetrics-text;q=high, text/plain;q=0.1", False),
        ("*/*", False),
        ("text/*", False),
        ("application/*", True),
        ("*/*;q=0.9, application/openmetrics-text;q=0.9", True),
        ("application/json", False),
        ("application/json, application/openmetrics-text;q=0.2", True),
    ],
)
def test_negotiation(accept: str | None, openmetrics: bool) -> None:
    expected = (
        (OPENMETRICS_CONTENT_TYPE, render_openmetrics) if openmetrics else (TEXT_CONTENT_TYPE, render_text)
    )
    assert negotiate(accept) == expected


def test_content_types_are_exact() -> None:
    assert TEXT_CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    assert OPENMETRICS_CONTENT_TYPE == "application/openmetrics-text; version=1.0.0; charset=utf-8"


def filled(values_ns: list[int], **kwargs: int) -> LatencyHistogram:
    histogram = LatencyHistogram(**kwargs)
    for value in values_ns:
        histogram.record(value)
    return histogram


def test_histogram_point_bounds_are_inclusive() -> None:
    values_us = [1, 1000, 1001, 2500, 2501, 2502, 300_000, 9_900_000, 20_000_000]
    histogram = filled([us * US for us in values_us] + [999_600])  # 999.6 µs is recorded as 1000 µs

    point = histogram_point(histogram, {"tool": "echo"})

    assert point == HistogramPoint(
        labels={"tool": "echo"},
        buckets=(
            (0.001, 3),  # 1, 1000 and the rounded 999.6: le is <=
            (0.0025, 6),  # 1001, 2500 and 2501: HdrHistogram counts 2500 and 2501 as one value
            (0.005, 7),
            (0.01, 7),
            (0.025, 7),
            (0.05, 7),
            (0.1, 7),
            (0.25, 7),
            (0.5, 8),
            (1.0, 8),
            (2.5, 8),
            (5.0, 8),
            (10.0, 9),
            (math.inf, 10),
        ),
        sum=(sum(values_us) + 1000) / 1_000_000,
        count=10,
    )


def test_histogram_point_matches_a_brute_force_count() -> None:
    rng = random.Random(11)
    values_ns = [int(rng.lognormvariate(math.log(0.02), 1.5) * 1e9) for _ in range(5000)]
    histogram = filled(values_ns)
    rounded_us = [(v + 500) // US for v in values_ns]

    point = histogram_point(histogram, {})

    for bound, count in point.buckets[:-1]:
        at_or_below = sum(1 for v in rounded_us if v <= bound * 1e6)
        within_precision = sum(1 for v in rounded_us if v <= bound * 1e6 * 1.0005)
        assert at_or_below <= count <= within_precision, bound
    assert point.buckets[-1] == (math.inf, 5000)
    assert point.count == 5000
    assert point.sum == pytest.approx(sum(values_ns) / 1e9, rel=1e-3)
    assert point.sum == sum(rounded_us) / 1e6


def test_histogram_point_of_an_empty_histogram_and_custom_bounds() -> None:
    assert histogram_point(LatencyHistogram(), {}, bounds=(0.0, 1.0)) == HistogramPoint(
        labels={}, buckets=((0.0, 0), (1.0, 0), (math.inf, 0)), sum=0.0, count=0
    )
    # a 2-figure histogram (the time series' precision), a bound far above the one-hour range
    histogram = filled([0, 1000 * US, 1003 * US, 1004 * US], significant_figures=2)
    assert histogram_point(histogram, {}, bounds=(0.0, 0.001, 7200.0)).buckets == (
        (0.0, 1),
        (0.001, 3),  # 2 figures: 1000..1003 µs are one value
        (7200.0, 4),
        (math.inf, 4),
    )


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((0.1, 0.1), "histogram bounds must be finite, >= 0 and increasing, got (0.1, 0.1)"),
        ((0.2, 0.1), "histogram bounds must be finite, >= 0 and increasing, got (0.2, 0.1)"),
        ((-1.0, 0.1), "histogram bounds must be finite, >= 0 and increasing, got (-1.0, 0.1)"),
        ((0.1, math.inf), "histogram bound inf is not finite: the +Inf bucket is always added"),
    ],
)
def test_bad_bounds_are_refused(bounds: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        histogram_point(LatencyHistogram(), {}, bounds=bounds)
    assert str(caught.value) == message


def test_a_real_histogram_survives_both_parsers() -> None:
    histogram = filled([us * US for us in (500, 1500, 4000, 40_000, 3_000_000, 12_000_000)])
    family = MetricFamily(
        name="mcpctl_call_duration_seconds",
        help="Call latency.",
        type="histogram",
        unit="seconds",
        samples=(histogram_point(histogram, {"tool": "echo"}),),
    )
    expected = {
        str(bound): float(count) for bound, count in zip(DEFAULT_BOUNDS, (1, 2, 3, 3, 3, 4), strict=False)
    }
    expected |= {"2.5": 4.0, "5.0": 5.0, "10.0": 5.0, "+Inf": 6.0}

    for parse, render in ((parse_text, render_text), (parse_openmetrics, render_openmetrics)):
        [parsed] = parse(render([family]).decode("utf-8"))
        buckets = {s.labels["le"]: s.value for s in parsed.samples if s.name.endswith("_bucket")}
        assert {le: buckets[le] for le in expected} == expected
        sums = [s.value for s in parsed.samples if s.name.endswith(("_sum", "_count"))]
        assert sums == [15.046, 6.0]
