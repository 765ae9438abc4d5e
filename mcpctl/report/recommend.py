"""Recommendations: rules over a run's measured data, each printed with the numbers that made it fire. A
rule that lacks its evidence (too few calls, no errors, no stages) stays silent: none is filler. The reports
(HTML, markdown, JSON) show them too, from the run alone (no profiles or baseline there); an attachment they
cannot read (an older version's) gives no recommendation rather than an error.

- **tail**: a LoadTest whose p99 is at least 10x its p50 over at least 1,000 calls.
- **errors in one class**: at least 1 % of a LoadTest's calls failed and one outcome holds 80 % of them.
- **throughput flat**: under a ``vus`` profile, the seconds at the highest concurrency served no more
  than 10 % more calls per second than the seconds at half of it or less.
- **outputSchema**: a tool whose answers broke its own outputSchema in a TestSuite.
- **slower than baseline**: the regressions of a ``--baseline`` comparison.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from mcpctl.engine.baseline import Comparison
from mcpctl.engine.load.metrics import OK, LoadResult
from mcpctl.engine.load.result_json import from_json
from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.spec.load_model import Profile

TAIL_RATIO = 10.0
TAIL_MIN_CALLS = 1000
ERROR_SHARE = 0.01
ONE_CLASS = 0.8
FLAT_GAIN = 1.10
_TOOL = re.compile(r"tools/call (\S+)|call (\S+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    """One finding and what to look at."""

    rule: str
    subject: str
    """``Kind/name`` (and the case or tool)."""
    advice: str
    evidence: str
    """The numbers that made the rule fire."""

    def __str__(self) -> str:
        return f"{self.subject}: {self.advice} ({self.evidence})"


def recommend(
    run: RunResult, *, comparison: Comparison | None = None, profiles: dict[str, Profile] | None = None
) -> list[Recommendation]:
    """Every rule over ``run`` (``profiles`` by LoadTest name, for the throughput rule)."""
    found: list[Recommendation] = []
    for suite in run.suites:
        result = _load_result(suite)
        if result is not None:
            found += _tail(suite, result) + _error_class(suite, result)
            profile = (profiles or {}).get(suite.name)
            if profile is not None:
                found += _flat(suite, result, profile)
        found += _output_schema(suite)
    if comparison is not None:
        found += [
            Recommendation(
                rule="baseline",
                subject=f.suite,
                advice=f"{f.metric} regressed against baseline run {comparison.baseline_run}",
                evidence=f"{f.change}, beyond {f.tolerance}: {f.evidence}",
            )
            for f in comparison.regressions
        ]
    return found


def _load_result(suite: SuiteResult) -> LoadResult | None:
    if suite.kind != "LoadTest" or not suite.attachment:
        return None
    try:
        return from_json(orjson.loads(suite.attachment))
    except (ValueError, KeyError, TypeError):  # orjson.JSONDecodeError is a ValueError
        return None


def _tail(suite: SuiteResult, result: LoadResult) -> list[Recommendation]:
    latency = result.overall.latency
    if latency.count < TAIL_MIN_CALLS or latency.p50 <= 0 or latency.p99 < TAIL_RATIO * latency.p50:
        return []
    return [
        Recommendation(
            rule="tail",
            subject=f"{suite.kind}/{suite.name}",
            advice="tail latency far above the median: a few calls are much slower than the rest (queueing,"
            " a cold path, GC or a slow dependency); look at the slowest calls",
            evidence=f"p99 {latency.p99:.3g} ms is {latency.p99 / latency.p50:.0f}x p50 {latency.p50:.3g} ms"
            f" over {latency.count} calls",
        )
    ]


def _error_class(suite: SuiteResult, result: LoadResult) -> list[Recommendation]:
    outcomes = result.overall.outcomes
    total = result.overall.count
    errors = Counter({k: v for k, v in outcomes.items() if k != OK})
    failed = sum(errors.values())
    if not total or failed / total < ERROR_SHARE:
        return []
    ((worst, count),) = errors.most_common(1)
    if count / failed < ONE_CLASS:
        return []
    return [
        Recommendation(
            rule="errors in one class",
            subject=f"{suite.kind}/{suite.name}",
            advice=f"errors concentrate in one class, {worst}: one cause to fix, not many",
            evidence=f"{count} of {failed} failed calls ({count / failed:.0%}) were {worst};"
            f" {failed} of {total} calls failed ({failed / total:.1%})",
        )
    ]


def _flat(suite: SuiteResult, result: LoadResult, profile: Profile) -> list[Recommendation]:
    if profile.model != "vus":
        return []
    per_second: list[tuple[float, float]] = []
    width = result.series.width  # seconds per bucket
    for bucket in result.series.buckets:
        middle = bucket.start - result.series.start + width / 2
        per_second.append((_target(profile, middle), sum(bucket.outcomes.values()) / width))
    top = max((vus for vus, _ in per_second), default=0.0)
    high = [calls for vus, calls in per_second if vus >= top and vus > 0]
    low = [calls for vus, calls in per_second if 0 < vus <= top / 2]
    if top < 2 or len(high) < 3 or len(low) < 3:
        return []
    at_high, at_low = statistics.median(high), statistics.median(low)
    if at_low <= 0 or at_high > FLAT_GAIN * at_low:
        return []
    return [
        Recommendation(
            rule="throughput flat",
            subject=f"{suite.kind}/{suite.name}",
            advice="throughput stops growing with concurrency: the server (or one resource behind it) is"
            " saturated; more virtual users only add latency",
            evidence=f"{at_high:.0f} calls/s at {top:g} VUs against {at_low:.0f} calls/s at {top / 2:g} VUs or"
            " fewer (medians per second)",
        )
    ]


def _target(profile: Profile, at: float) -> float:
    """The profile's target ``at`` seconds from the start (stages ramp linearly)."""
    start, previous = 0.0, profile.start_target
    for stage in profile.stages:
        length = stage.duration.seconds
        if at <= start + length:
            share = (at - start) / length if length > 0 else 1.0
            return previous + (stage.target - previous) * share
        start, previous = start + length, stage.target
    return previous


def _output_schema(suite: SuiteResult) -> list[Recommendation]:
    broken = [
        c for c in suite.cases if c.status == "failed" and "outputSchema" in " ".join((c.message, *c.details))
    ]
    if not broken:
        return []
    return [
        Recommendation(
            rule="outputSchema",
            subject=f"{suite.kind}/{suite.name}",
            advice="a tool's answers break its own outputSchema: clients that validate structuredContent"
            " will reject them; fix the tool or its schema",
            evidence=f"{len(broken)} of {len(suite.cases)} cases: "
            + "; ".join(f"{c.name} ({c.file}:{c.line}): {c.message}" for c in broken[:3]),
        )
    ]


def render(found: Sequence[Recommendation]) -> str:
    """The recommendations as lines (empty when there are none)."""
    return "\n".join(f"recommendation [{r.rule}] {r}" for r in found)
