"""A load test's result as a suite of the run record (``mcpctl runs``, ``show``, JSON and JUnit reports).

One case says how the run went (failed when a threshold aborted it), with the overall latency; one case per
threshold says whether it held and what was observed. The whole :class:`LoadResult` travels as the suite's
``attachment`` (its JSON, histograms and per-second series included), so ``mcpctl show`` prints the same
summary ``mcpctl load`` did and reports keep every number.
"""

from __future__ import annotations

import orjson

from mcpctl.engine.load.metrics import OK, LoadResult, ThresholdResult
from mcpctl.engine.load.result_json import to_json
from mcpctl.engine.results import CaseResult, LatencySummary, SuiteResult
from mcpctl.engine.runner import server_label
from mcpctl.spec.load_model import LATENCY_METRICS, LoadTestSpec, Threshold

KIND = "LoadTest"


def load_suite(result: LoadResult, spec: LoadTestSpec) -> SuiteResult:
    """The suite recording ``result``, a run of ``spec``."""
    cases = [_run_case(result, spec)]
    cases += [_threshold_case(t, r) for t, r in zip(spec.thresholds, result.thresholds, strict=True)]
    return SuiteResult(
        kind=KIND,
        name=result.name,
        server=server_label(spec.server),
        spec_path=spec.source.path,
        spec_hash=result.spec_hash,
        started_at=result.started_at,
        duration_ms=result.duration * 1000,
        cases=tuple(cases),
        attachment=orjson.dumps(to_json(result)).decode(),
    )


def _run_case(result: LoadResult, spec: LoadTestSpec) -> CaseResult:
    overall = result.overall
    rate = overall.count / result.duration if result.duration > 0 else 0.0
    ok = 100 * overall.outcomes.get(OK, 0) / overall.count if overall.count else 0.0
    line = (
        f"{overall.count} calls in {result.duration:.1f}s ({rate:.1f}/s), {ok:.1f}% ok,"
        f" p50 {overall.latency.p50:.2f}ms, p99 {overall.latency.p99:.2f}ms"
    )
    latency = overall.latency
    return CaseResult(
        name=f"{result.model} load",
        status="failed" if result.aborted else "passed",
        duration_ms=result.duration * 1000,
        message=f"aborted: {result.abort_reason}" if result.aborted else "",
        details=(line,),
        latency=LatencySummary(
            count=latency.count,
            min=latency.min,
            p50=latency.p50,
            p90=latency.p90,
            p95=latency.p95,
            p99=latency.p99,
            max=latency.max,
            mean=latency.mean,
        )
        if latency.count
        else None,
        file=spec.source.path,
        line=spec.source.line,
    )


def observed(threshold: Threshold, value: float | None) -> str:
    """A threshold's observed value in its own unit: ``312.4ms``, ``0.5%``, ``41.0/s`` (``no calls``)."""
    if value is None:
        return "no calls"
    if threshold.metric in LATENCY_METRICS:
        return f"{value:.1f}ms"
    if threshold.metric == "error_rate":
        return f"{100 * value:.4g}%"
    return f"{value:.1f}/s"


def _threshold_case(threshold: Threshold, result: ThresholdResult) -> CaseResult:
    call = f" (call {result.call})" if result.call else ""
    value = observed(threshold, result.value)
    if result.aborted:
        message = f"observed {value}; aborted the test at {result.broke_at:g}s"
    elif not result.passed:
        message = f"observed {value}"
    else:
        message = ""
    return CaseResult(
        name=f"threshold {result.text}{call}",
        status="passed" if result.passed else "failed",
        duration_ms=0.0,
        message=message,
        details=() if message else (f"observed {value}",),
        file=threshold.source.path,
        line=threshold.source.line,
    )
