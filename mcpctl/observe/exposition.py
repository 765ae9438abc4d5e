"""Metrics as Prometheus scrapes them: text format 0.0.4 and OpenMetrics 1.0, chosen by the Accept header.

Pure functions over plain records, no HTTP: a :class:`MetricFamily` holds :class:`Point` samples
(counters, gauges) or :class:`HistogramPoint` samples (cumulative buckets in **seconds**, as Prometheus
expects latencies), :func:`render_text` and :func:`render_openmetrics` turn families into the bytes of a
response and :func:`negotiate` picks one of them and the exact ``Content-Type`` for a request's
``Accept`` header. :func:`histogram_point` reads a :class:`LatencyHistogram` into buckets.

The two formats differ in a few places this module handles:

- A counter is rendered under its given name in the text format; OpenMetrics names the family without
  ``_total`` and the sample with it (``calls`` or ``calls_total`` both give ``# TYPE calls counter`` and
  ``calls_total 3``). Name counters ``…_total`` to get the same sample name in both.
- ``# UNIT`` exists only in OpenMetrics, where the family name must end with ``_<unit>``.
- HELP text escapes ``\\`` and newlines in the text format and also ``"`` in OpenMetrics.
- Timestamps (Unix seconds here) are integer milliseconds in the text format and seconds in OpenMetrics.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from mcpctl.observe.histogram import LatencyHistogram

MetricType = Literal["counter", "gauge", "histogram"]
Renderer = Callable[[Iterable["MetricFamily"]], bytes]

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

DEFAULT_BOUNDS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
"""Bucket upper bounds in seconds: Prometheus' defaults (5 ms .. 10 s) shifted down to start at 1 ms,
where a local MCP call over stdio lands, and up to 10 s, a slow tool call."""

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# label names take no colon: Prometheus reserves colons for recording rules' metric names
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _check_metric_name(name: str) -> None:
    if not _METRIC_NAME.fullmatch(name):
        raise ValueError(f"invalid metric name {name!r}: it must match [a-zA-Z_:][a-zA-Z0-9_:]*")


def _check_labels(labels: Mapping[str, str], *, reserved: tuple[str, ...] = ()) -> None:
    for name in labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}: it must match [a-zA-Z_][a-zA-Z0-9_]*")
        if name.startswith("__"):
            raise ValueError(f"invalid label name {name!r}: names starting with __ are reserved")
        if name in reserved:
            raise ValueError(f"invalid label name {name!r}: it is reserved in a histogram")


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """One sample of a counter or a gauge."""

    labels: Mapping[str, str]
    value: float
    timestamp: float | None = None
    """Unix time in seconds, or None (the usual case: the scraper stamps the sample)."""

    def __post_init__(self) -> None:
        _check_labels(self.labels)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistogramPoint:
    """One histogram: cumulative counts of observations at or below each bound, sum and count."""

    labels: Mapping[str, str]
    buckets: tuple[tuple[float, int], ...]
    """(upper bound in seconds, observations <= bound), increasing, ending with (+Inf, count)."""
    sum: float
    """The sum of the observations in seconds."""
    count: int

    def __post_init__(self) -> None:
        _check_labels(self.labels, reserved=("le",))
        bounds = [bound for bound, _ in self.buckets]
        counts = [count for _, count in self.buckets]
        if not bounds or bounds[-1] != math.inf or counts[-1] != self.count:
            raise ValueError(f"histogram buckets must end with (+Inf, {self.count}), got {self.buckets}")
        if any(a >= b for a, b in itertools.pairwise(bounds)) or any(
            a > b for a, b in itertools.pairwise(counts)
        ):
            raise ValueError(f"histogram buckets must be cumulative over increasing bounds: {self.buckets}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricFamily:
    """Samples of one metric with their metadata; a bad name, unit or sample raises ``ValueError``."""

    name: str
    help: str
    type: MetricType
    unit: str = ""
    """OpenMetrics ``# UNIT`` (``seconds``, ``bytes``…): the name must end with ``_<unit>``."""
    samples: tuple[Point | HistogramPoint, ...]

    def __post_init__(self) -> None:
        _check_metric_name(self.name)
        expected = HistogramPoint if self.type == "histogram" else Point
        for sample in self.samples:
            if not isinstance(sample, expected):
                raise ValueError(
                    f"metric {self.name!r} is a {self.type}: it takes {expected.__name__} samples"
                )
            if self.type == "counter" and isinstance(sample, Point) and not sample.value >= 0:
                raise ValueError(f"counter {self.name!r} has value {sample.value}: counters are >= 0")
        if self.unit and not self.openmetrics_name.endswith("_" + self.unit):
            raise ValueError(
                f"metric {self.name!r} has unit {self.unit!r}: its name must end with _{self.unit}"
            )

    @property
    def openmetrics_name(self) -> str:
        """The family name in OpenMetrics: a counter's without ``_total``."""
        if self.type == "counter":
            return self.name.removesuffix("_total")
        return self.name


def histogram_point(
    histogram: LatencyHistogram, labels: Mapping[str, str], bounds: Sequence[float] = DEFAULT_BOUNDS
) -> HistogramPoint:
    """The histogram's observations at or below each bound (seconds, increasing, >= 0), then +Inf.

    The histogram holds whole microseconds (each latency rounded to the nearest one), so an observation
    ``v`` counts toward ``le=b`` when ``v <= floor(b in µs)``. Below 2,048 µs (3 significant figures) every
    microsecond has its own counter and this is exact. Above, HdrHistogram counters cover ranges of
    equivalent values (0.05 % wide at most); a bound inside a range counts the whole range, so no
    observation at or below the bound is ever left out and one counted may exceed it by under 0.05 %
    (for :data:`DEFAULT_BOUNDS`, 1 µs at 2.5 ms, 2.4 ms at 10 s).

    The sum comes from :attr:`LatencyHistogram.mean` times the count: that mean is exact, divided from a
    running sum of the recorded microseconds (not HdrHistogram's bucket-midpoint estimate), and rounding
    ``mean * count`` to whole microseconds gives that integer sum back exactly.
    """
    limits = [_floor_microseconds(bound) for bound in bounds]
    if any(a >= b for a, b in itertools.pairwise(bounds)) or (limits and limits[0] < 0):
        raise ValueError(f"histogram bounds must be finite, >= 0 and increasing, got {tuple(bounds)}")
    count = histogram.count
    sum_us = round(histogram.mean * 1000 * count)
    cumulative = histogram.counts_at_or_below(limits)
    return HistogramPoint(
        labels=labels,
        buckets=(*zip(bounds, cumulative, strict=True), (math.inf, count)),
        sum=sum_us / 1_000_000,
        count=count,
    )


def _floor_microseconds(bound: float) -> int:
    if not math.isfinite(bound):
        raise ValueError(f"histogram bound {bound} is not finite: the +Inf bucket is always added")
    # through the decimal text, so 0.0025 s is 2500 µs and not 2499.9999… floored to 2499
    return math.floor(Decimal(repr(bound)) * 1_000_000)


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _label_text(labels: Mapping[str, str], extra: tuple[tuple[str, str], ...] = ()) -> str:
    pairs = [*labels.items(), *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{_escape_label_value(value)}"' for name, value in pairs) + "}"


def _sample_lines(family: MetricFamily, sample_name: str, timestamp: Callable[[float], str]) -> Iterable[str]:
    for sample in family.samples:
        if isinstance(sample, Point):
            stamp = "" if sample.timestamp is None else " " + timestamp(sample.timestamp)
            yield f"{sample_name}{_label_text(sample.labels)} {_number(sample.value)}{stamp}"
            continue
        for bound, count in sample.buckets:
            le = _label_text(sample.labels, (("le", _number(float(bound))),))
            yield f"{family.name}_bucket{le} {count}"
        yield f"{family.name}_sum{_label_text(sample.labels)} {_number(sample.sum)}"
        yield f"{family.name}_count{_label_text(sample.labels)} {sample.count}"


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"metric family {name!r} appears twice: merge its samples into one family")
        seen.add(name)


def render_text(families: Iterable[MetricFamily]) -> bytes:
    """The families in the Prometheus text format 0.0.4 (counters under their given names)."""
    families = list(families)
    _check_unique([family.name for family in families])
    lines: list[str] = []
    for family in families:
        if family.help:
            escaped = family.help.replace("\\", "\\\\").replace("\n", "\\n")
            lines.append(f"# HELP {family.name} {escaped}")
        lines.append(f"# TYPE {family.name} {family.type}")
        lines.extend(_sample_lines(family, family.name, lambda seconds: str(round(seconds * 1000))))
    return "".join(line + "\n" for line in lines).encode("utf-8")


def render_openmetrics(families: Iterable[MetricFamily]) -> bytes:
    """The families in OpenMetrics 1.0 text, ending with ``# EOF`` (counters sampled as ``…_total``)."""
    families = list(families)
    _check_unique([family.openmetrics_name for family in families])
    lines: list[str] = []
    for family in families:
        name = family.openmetrics_name
        lines.append(f"# TYPE {name} {family.type}")
        if family.unit:
            lines.append(f"# UNIT {name} {family.unit}")
        if family.help:
            lines.append(f"# HELP {name} {_escape_label_value(family.help)}")
        sample_name = name + "_total" if family.type == "counter" else name
        lines.extend(_sample_lines(family, sample_name, lambda seconds: repr(float(seconds))))
    lines.append("# EOF")
    return "".join(line + "\n" for line in lines).encode("utf-8")


_OPENMETRICS: tuple[str, Renderer] = (OPENMETRICS_CONTENT_TYPE, render_openmetrics)
_TEXT: tuple[str, Renderer] = (TEXT_CONTENT_TYPE, render_text)


def negotiate(accept: str | None) -> tuple[str, Renderer]:
    """The ``Content-Type`` to answer with and the renderer, for a request's ``Accept`` header.

    The media ranges are tried by decreasing q, the more specific first at equal q, then in the order
    written; ranges with q=0 or a malformed q are skipped. ``application/openmetrics-text`` (version
    1.0.0 or no version) and ``application/*`` select OpenMetrics; ``text/plain`` (version 0.0.4 or none),
    ``text/*`` and ``*/*`` the text format, which is also the answer when nothing matches or there is
    no header.
    """
    for media, version in _media_ranges(accept or ""):
        if (media == "application/openmetrics-text" and version in ("", "1.0.0")) or media == "application/*":
            return _OPENMETRICS
        if (media == "text/plain" and version in ("", "0.0.4")) or media in ("text/*", "*/*"):
            return _TEXT
    return _TEXT


def _media_ranges(accept: str) -> list[tuple[str, str]]:
    """(media type, version parameter) of each acceptable range, most preferred first."""
    ranked: list[tuple[float, int, str, str]] = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        options = {}
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            options[key.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(options.get("q", "1"))
        except ValueError:
            continue
        if media and 0 < quality <= 1:
            ranked.append((quality, media.count("*"), media.lower(), options.get("version", "")))
    ranked.sort(key=lambda entry: (-entry[0], entry[1]))  # stable: equal preferences keep their order
    return [(media, version) for _, _, media, version in ranked]
