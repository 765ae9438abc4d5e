"""A :class:`LoadResult` as JSON data and back: what ``mcpctl load -o json`` and ``--report json:PATH``
write, and what ``mcpctl merge`` reads.

The data is every field of the result (histograms as their encoded text, the series as its record), plus
``exit_code`` and, for a shard, ``shard`` (``"2/8"``); :func:`from_json` ignores those two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypeVar, cast, get_args

from mcpctl.engine.load.metrics import CallStats, LoadResult, ThresholdResult
from mcpctl.observe.histogram import LatencyStats
from mcpctl.observe.timeseries import BucketRecord, SeriesRecord
from mcpctl.spec.load_model import LoadModel, SessionMode

T = TypeVar("T")


def to_json(result: LoadResult, *, shard: str | None = None) -> dict[str, object]:
    """Every field of ``result`` as JSON data, with the exit code it stands for (and its shard)."""
    data = dataclasses.asdict(result)
    data["exit_code"] = result.exit_code
    if shard is not None:
        data["shard"] = shard
    return data


def _map(data: object, what: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}: expected an object, got {type(data).__name__}")
    return cast("Mapping[str, object]", data)


def _get(data: Mapping[str, object], key: str, kind: type[T] | tuple[type, ...], what: str) -> T:
    if key not in data:
        raise ValueError(f"{what}: missing {key!r}")
    value = data[key]
    # JSON has one number type: an integral float may stand for an int and an int for a float
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{what}: {key!r} has the wrong type ({type(value).__name__})")
    return cast("T", value)


def _list(data: Mapping[str, object], key: str, what: str) -> list[object]:
    # to_json keeps tuples; JSON gives lists
    return list(_get(data, key, (list, tuple), what))


def _counts(data: object, what: str) -> dict[str, int]:
    counts = {}
    for key, value in _map(data, what).items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{what}: {key!r} is not a count")
        counts[key] = value
    return counts


def _stats(data: object, what: str) -> LatencyStats:
    d = _map(data, what)
    values = {
        f.name: _get(d, f.name, float, what) for f in dataclasses.fields(LatencyStats) if f.name != "count"
    }
    return LatencyStats(count=_get(d, "count", int, what), **values)


def _call(data: object, what: str) -> CallStats:
    d = _map(data, what)
    return CallStats(
        name=_get(d, "name", str, what),
        count=_get(d, "count", int, what),
        outcomes=_counts(d.get("outcomes"), f"{what}.outcomes"),
        latency=_stats(d.get("latency"), f"{what}.latency"),
        histogram=_get(d, "histogram", str, what),
        first_byte=None if d.get("first_byte") is None else _stats(d["first_byte"], f"{what}.first_byte"),
        first_byte_histogram=_optional_str(d, "first_byte_histogram", what),
    )


def _optional_str(d: Mapping[str, object], key: str, what: str) -> str | None:
    return None if d.get(key) is None else _get(d, key, str, what)


def _optional_float(d: Mapping[str, object], key: str, what: str) -> float | None:
    return None if d.get(key) is None else _get(d, key, float, what)


def _threshold(data: object, what: str) -> ThresholdResult:
    d = _map(data, what)
    return ThresholdResult(
        text=_get(d, "text", str, what),
        call=None if d.get("call") is None else _get(d, "call", str, what),
        passed=_get(d, "passed", bool, what),
        value=_optional_float(d, "value", what),
        broke_at=_optional_float(d, "broke_at", what),
        aborted=_get(d, "aborted", bool, what),
    )


def _series(data: object, what: str) -> SeriesRecord:
    d = _map(data, what)
    buckets = []
    for n, item in enumerate(_list(d, "buckets", what)):
        b = _map(item, f"{what}.buckets[{n}]")
        buckets.append(
            BucketRecord(
                start=_get(b, "start", int, what),
                outcomes=_counts(b.get("outcomes"), f"{what}.buckets[{n}].outcomes"),
                latency=_get(b, "latency", str, what),
            )
        )
    return SeriesRecord(
        start=_get(d, "start", int, what),
        width=_get(d, "width", int, what),
        max_buckets=_get(d, "max_buckets", int, what),
        buckets=tuple(buckets),
    )


def _choice(d: Mapping[str, object], key: str, kind: object, what: str) -> str:
    value = _get(d, key, str, what)
    if value not in get_args(kind):
        raise ValueError(f"{what}: {key!r} is {value!r}, expected one of {', '.join(get_args(kind))}")
    return value


def from_json(data: object) -> LoadResult:
    """The :class:`LoadResult` :func:`to_json` wrote; ``ValueError`` saying what is wrong otherwise."""
    d = _map(data, "result")
    what = f"result {d.get('name')!r}" if isinstance(d.get("name"), str) else "result"
    initialize = d.get("initialize")
    return LoadResult(
        name=_get(d, "name", str, what),
        spec_hash=_get(d, "spec_hash", str, what),
        model=cast("LoadModel", _choice(d, "model", LoadModel, what)),
        sessions=cast("SessionMode", _choice(d, "sessions", SessionMode, what)),
        seed=_get(d, "seed", int, what),
        started_at=_get(d, "started_at", float, what),
        duration=_get(d, "duration", float, what),
        calls=tuple(_call(c, f"{what}.calls[{n}]") for n, c in enumerate(_list(d, "calls", what))),
        overall=_call(d.get("overall"), f"{what}.overall"),
        lag=_stats(d.get("lag"), f"{what}.lag"),
        lag_histogram=_get(d, "lag_histogram", str, what),
        dropped=_get(d, "dropped", int, what),
        initialize=None if initialize is None else _stats(initialize, f"{what}.initialize"),
        initialize_histogram=_optional_str(d, "initialize_histogram", what),
        thresholds=tuple(
            _threshold(t, f"{what}.thresholds[{n}]") for n, t in enumerate(_list(d, "thresholds", what))
        ),
        aborted=_get(d, "aborted", bool, what),
        abort_reason=_optional_str(d, "abort_reason", what),
        series=_series(d.get("series"), f"{what}.series"),
    )
