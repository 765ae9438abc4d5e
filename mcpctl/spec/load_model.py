"""Typed, frozen records of ``kind: LoadTest``: staged load against one server, with thresholds.

A load test sends the weighted calls of its ``scenario`` to one server, as many as its ``profile``
says: ``vus`` (closed model: ramping virtual users, each sending its next request when the last one
answered) or ``arrival-rate`` (open model: ramping requests per second, started on schedule whatever
the server does). ``thresholds`` are checked while it runs. The ``with`` of a call stays as written
(templates included, in the action's ``arguments``) and is rendered per request by the engine with
``data`` (the next record of the data file), ``vu``, ``iteration`` and ``vars``.

Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.model import CallTool, GetPrompt, Metadata, ReadResource, ServerDef, Source
from mcpctl.spec.node import Plain
from mcpctl.spec.units import Duration

SessionMode = Literal["shared", "per-vu", "per-iteration"]
LoadModel = Literal["vus", "arrival-rate"]
ListKind = Literal["tools", "resources", "prompts"]
Metric = Literal["p50", "p90", "p95", "p99", "p99.9", "max", "mean", "error_rate", "rate"]
Comparison = Literal["<", "<=", ">", ">="]

LATENCY_METRICS: tuple[Metric, ...] = ("p50", "p90", "p95", "p99", "p99.9", "max", "mean")
"""Metrics of request latency (their threshold values are milliseconds)."""
METRICS: tuple[Metric, ...] = (*LATENCY_METRICS, "error_rate", "rate")
"""Every metric a threshold may name."""
DEFAULT_TIMEOUT = Duration(seconds=30.0)
DEFAULT_GRACEFUL_STOP = Duration(seconds=30.0)
DEFAULT_MAX_IN_FLIGHT = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSource:
    """``data``: records read one per request (``{{ data.FIELD }}`` in templates)."""

    file: str
    """A ``.jsonl``/``.ndjson`` (one JSON object a line) or ``.csv`` (a header row) file; resolved path."""
    format: Literal["jsonl", "csv"]
    """From ``format:`` or the file's extension."""
    order: Literal["sequential", "random"] = "sequential"
    """``sequential``: records in file order, starting over at the end; ``random``: a uniform draw each time."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class ThinkTime:
    """``thinkTime``: how long a virtual user waits between its requests (uniform between min and max;
    a single duration sets both)."""

    min: Duration
    max: Duration


@dataclass(frozen=True, slots=True, kw_only=True)
class ListCall:
    """``list: tools | resources | prompts``: the list request (one page: ``tools/list`` and so on)."""

    kind: ListKind


LoadAction = CallTool | ReadResource | GetPrompt | ListCall


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadCall:
    """One entry of the scenario: a request and how often it is picked."""

    name: str
    """Unique in the scenario; names the call in metrics and thresholds (default: the tool, URI,
    prompt or list kind)."""
    weight: int = 1
    """How often it is picked relative to the others (3 against 1: three times as often)."""
    action: LoadAction
    """The request; the ``with`` of a call or prompt is its ``arguments``, templates kept as written."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One stage of the profile: the target is reached linearly over ``duration``."""

    duration: Duration
    target: float
    """Virtual users (``vus``, a whole number) or requests per second (``arrival-rate``) at the
    stage's end."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """``profile``: how much load, and how it changes over time."""

    model: LoadModel
    """``vus`` (closed: virtual users send a request when their last one answered) or ``arrival-rate``
    (open: requests start on schedule, latency measured from the intended start)."""
    stages: tuple[Stage, ...]
    start_target: float = 0.0
    """The target before the first stage (default 0)."""
    max_in_flight: int | None = None
    """``arrival-rate`` only (1000 unless written; ``None`` under ``vus``): above it a request is
    dropped and counted, not queued."""
    graceful_stop: Duration = DEFAULT_GRACEFUL_STOP
    """How long requests in flight at the end may take to finish."""

    @property
    def length(self) -> Duration:
        """The stages' durations added up (the graceful stop excluded)."""
        return Duration(seconds=sum(stage.duration.seconds for stage in self.stages))


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """A condition checked while the test runs: ``p99 < 250ms``, ``error_rate < 1%``, ``rate > 500/s``."""

    metric: Metric
    op: Comparison
    value: float
    """Milliseconds for latency metrics, a fraction for ``error_rate`` (1% is 0.01), per second for
    ``rate``."""
    call: str | None = None
    """A scenario entry's name: the threshold is on that call alone (default: every call)."""
    abort: bool = False
    """Stop the test (exit 1) as soon as the threshold breaks."""
    after: Duration | None = None
    """Check it only from this long after the start (let a ramp-up settle)."""
    text: str
    """The threshold as written."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Regression:
    """``regression``: how much worse than its baseline a run may get before ``--baseline`` fails it.
    Latencies are relative (``p99: +10%``), the error rate is in percentage points (``+0.5%``); ``None``
    leaves a metric out. A change must also pass a statistical test (mcpctl.engine.baseline)."""

    p50: float | None = 0.10
    p90: float | None = None
    p95: float | None = None
    p99: float | None = 0.10
    error_rate: float | None = 0.005


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadTestSpec:
    """``kind: LoadTest``: weighted calls sent to one server under a staged profile, with thresholds."""

    metadata: Metadata
    server: str | ServerDef
    """A server name from a ``Servers`` document, or a server written inline."""
    sessions: SessionMode = "per-vu"
    """``shared`` (one session for all), ``per-vu`` (one per virtual user) or ``per-iteration`` (a new
    session, initialize included, for every iteration: measures initialize)."""
    timeout: Duration = DEFAULT_TIMEOUT
    """The deadline of one request."""
    data: DataSource | None = None
    think_time: ThinkTime | None = None
    scenario: tuple[LoadCall, ...]
    profile: Profile
    thresholds: tuple[Threshold, ...] = ()
    regression: Regression = field(default_factory=Regression)
    """Tolerances against a baseline run (``--baseline``)."""
    vars: Mapping[str, Plain] = field(default_factory=dict)
    """Values templates read as ``{{ vars.NAME }}``."""
    source: Source
    spec_hash: str
    """sha256 of the document as loaded (recorded with every run)."""
