"""Shards: one machine runs ``I/N`` of a load test, and ``merge_results`` makes the ``N`` results one.

:func:`shard_profile` splits the load exactly. Under ``arrival-rate`` every rate is divided by ``N`` (floats:
the ``N`` rates add up to the whole one; a schedule starts ``ceil`` of its rate's integral, so the ``N``
shards start at most ``N - 1`` requests more than one run would). Under ``vus`` user counts are whole numbers, so shard ``i`` gets
``floor(t / N)``, plus one when ``i <= t % N``, of every target ``t``: the shards add up to ``t`` at every
stage boundary; within a ramp a shard then differs from a proportional split by at most one VU.

:func:`merge_results` adds counts and merges histograms (never averages percentiles), so the merged p99 is
the p99 of one run over every shard's samples. The thresholds travel in the results as written (each
:class:`ThresholdResult` keeps its ``text`` and ``call``): they are parsed again with the spec's own parser
and re-evaluated on the merged numbers; the time a threshold first broke is the earliest among shards.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

from mcpctl.engine.load.metrics import CallStats, Counter, LoadResult, Metrics, ThresholdResult
from mcpctl.engine.load.thresholds import Watch
from mcpctl.errors import UsageError
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.observe.timeseries import TimeSeries
from mcpctl.spec.load_checks import parse_threshold
from mcpctl.spec.load_model import LoadTestSpec, Profile, Threshold
from mcpctl.spec.model import Source


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` → ``(2, 8)``: the 1-based shard index and the shard count."""
    index_text, sep, count_text = text.partition("/")
    if not sep or not index_text.strip().isdigit() or not count_text.strip().isdigit():
        raise UsageError(f"--shard {text!r}: expected I/N, such as 2/8 (shard 2 of 8)")
    index, count = int(index_text), int(count_text)
    if count < 1:
        raise UsageError(f"--shard {text!r}: the shard count must be at least 1")
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text!r}: the shard index must be between 1 and {count}")
    return index, count


def part_seed(seed: int, index: int) -> int:
    """The seed of part ``index`` (1-based) of a load split in shards or workers: part 1 keeps ``seed`` (so
    ``1/1`` is the whole run), the others get one derived from it, so that parts do not all draw the same
    entries and data records in the same order."""
    if index == 1:
        return seed
    return int.from_bytes(hashlib.sha256(f"{seed}/{index}".encode()).digest()[:8], "big")


def _vus_share(target: float, index: int, count: int) -> int:
    whole = int(target)
    return whole // count + (1 if index <= whole % count else 0)


def shard_profile(profile: Profile, index: int, count: int) -> Profile:
    """Shard ``index`` (1-based) of ``count`` of ``profile``; the ``count`` shards add up to the whole.

    ``arrival-rate``: every target divided by ``count``. ``vus``: shard ``i`` gets ``floor(t / count)``
    users, plus one when ``i <= t % count``, so the shards add up to ``t`` at every stage; a ramp then
    differs by at most one VU per shard from a proportional split. ``maxInFlight`` is split like VUs
    (at least 1 per shard).
    """
    if not 1 <= index <= count:
        raise ValueError(f"shard {index}/{count}: the index must be between 1 and {count}")
    if profile.model == "arrival-rate":

        def split(target: float) -> float:
            return target / count
    else:

        def split(target: float) -> float:
            return float(_vus_share(target, index, count))

    stages = tuple(dataclasses.replace(stage, target=split(stage.target)) for stage in profile.stages)
    max_in_flight = profile.max_in_flight
    if max_in_flight is not None:
        max_in_flight = max(1, _vus_share(max_in_flight, index, count))
    return dataclasses.replace(
        profile, stages=stages, start_target=split(profile.start_target), max_in_flight=max_in_flight
    )


def shard_spec(spec: LoadTestSpec, index: int, count: int) -> LoadTestSpec:
    """``spec`` as shard ``index`` of ``count`` runs it: its profile split (:func:`shard_profile`) and
    each ``rate`` threshold divided by ``count`` (a shard sends 1/count of the calls; its text stays as
    written, so :func:`merge_results` checks the whole against the value written)."""
    thresholds = tuple(
        dataclasses.replace(t, value=t.value / count) if t.metric == "rate" else t for t in spec.thresholds
    )
    return dataclasses.replace(spec, profile=shard_profile(spec.profile, index, count), thresholds=thresholds)


def _counter(parts: Sequence[CallStats]) -> Counter:
    counter = Counter()
    for part in parts:
        for outcome, n in part.outcomes.items():
            counter.outcomes[outcome] = counter.outcomes.get(outcome, 0) + n
        counter.histogram.merge(LatencyHistogram.decode(part.histogram))
    counter.outcomes = dict(sorted(counter.outcomes.items()))
    counter.first_byte = _optional_histogram([part.first_byte_histogram for part in parts])
    return counter


def _check_compatible(results: Sequence[LoadResult]) -> None:
    if not results:
        raise UsageError("nothing to merge: no results")
    first = results[0]
    for other in results[1:]:
        for field in ("name", "spec_hash", "model"):
            if getattr(other, field) != getattr(first, field):
                raise UsageError(
                    f"LoadTest/{first.name}: cannot merge results of different {field}s"
                    f" ({getattr(first, field)!r} and {getattr(other, field)!r}): shards must run the same spec"
                )
        if [c.name for c in other.calls] != [c.name for c in first.calls]:
            raise UsageError(f"LoadTest/{first.name}: cannot merge results with different scenario entries")
        if [(t.text, t.call) for t in other.thresholds] != [(t.text, t.call) for t in first.thresholds]:
            raise UsageError(f"LoadTest/{first.name}: cannot merge results with different thresholds")


def result_thresholds(result: LoadResult) -> tuple[Threshold, ...]:
    """The thresholds of ``result`` as the spec wrote them, parsed again from their text."""
    source = Source(path=f"LoadTest/{result.name}", line=0, column=0)
    rebuilt = []
    for verdict in result.thresholds:
        try:
            metric, op, value = parse_threshold(verdict.text)
        except ValueError as error:
            raise UsageError(f"LoadTest/{result.name}: threshold {verdict.text!r}: {error}") from None
        rebuilt.append(
            Threshold(metric=metric, op=op, value=value, call=verdict.call, text=verdict.text, source=source)
        )
    return tuple(rebuilt)


def _verdicts(
    results: Sequence[LoadResult],
    metrics: Metrics,
    duration: float,
    thresholds: tuple[Threshold, ...] | None,
) -> tuple[ThresholdResult, ...]:
    written = result_thresholds(results[0]) if thresholds is None else thresholds
    merged = Watch(written).results(metrics, duration)
    verdicts = []
    for index, verdict in enumerate(merged):
        shards = [result.thresholds[index] for result in results]
        broke = [shard.broke_at for shard in shards if shard.broke_at is not None]
        aborted = any(shard.aborted for shard in shards)
        verdicts.append(
            dataclasses.replace(
                verdict,
                passed=verdict.passed and not aborted,
                broke_at=min(broke) if broke else None,
                aborted=aborted,
            )
        )
    return tuple(verdicts)


def _optional_histogram(encoded: Sequence[str | None]) -> LatencyHistogram | None:
    """The merge of the histograms given (``None`` where a result has none; ``None`` if none has)."""
    histogram = None
    for text in encoded:
        if text is not None:
            histogram = histogram or LatencyHistogram()
            histogram.merge(LatencyHistogram.decode(text))
    return histogram


def merge_results(
    results: Sequence[LoadResult], *, thresholds: tuple[Threshold, ...] | None = None
) -> LoadResult:
    """One result from the results of the shards (or workers) of one LoadTest.

    Counts, outcomes and ``dropped`` are added; histograms (per call, overall, time to first byte, lag,
    initialize) and time
    series merged; the duration is the longest shard's and the start the earliest. Thresholds are evaluated
    again on the merged numbers (``rate`` over the longest duration); one that aborted a shard stays failed.
    ``UsageError`` when the results are not of the same spec; ``ValueError`` for a corrupt histogram.
    ``thresholds``: check these instead of those the results carry as written (the workers of one shard
    check the shard's share of a ``rate``).
    """
    _check_compatible(results)
    first = results[0]
    duration = max(result.duration for result in results)
    names = tuple(call.name for call in first.calls)
    metrics = Metrics(names, started_at=min(r.started_at for r in results), start_ns=0)
    for position, name in enumerate(names):
        metrics.entries[name] = _counter([r.calls[position] for r in results])
    metrics.overall = _counter([r.overall for r in results])
    lag = LatencyHistogram()
    for result in results:
        lag.merge(LatencyHistogram.decode(result.lag_histogram))
    initialize = _optional_histogram([r.initialize_histogram for r in results])
    series = TimeSeries.from_record(first.series)
    for other in results[1:]:
        series.merge(TimeSeries.from_record(other.series))
    reasons = [f"{r.abort_reason}" for r in results if r.aborted]
    return dataclasses.replace(
        first,
        started_at=metrics.started_at,
        duration=duration,
        calls=metrics.calls(),
        overall=metrics.overall.stats("*"),
        lag=lag.summary(),
        lag_histogram=lag.encode(),
        dropped=sum(r.dropped for r in results),
        initialize=initialize.summary() if initialize is not None else None,
        initialize_histogram=initialize.encode() if initialize is not None else None,
        thresholds=_verdicts(results, metrics, duration, thresholds),
        aborted=bool(reasons),
        abort_reason="; ".join(reasons) if reasons else None,
        series=series.to_record(),
    )
