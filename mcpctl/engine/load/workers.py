"""What the worker processes of ``mcpctl load --workers N`` tell their parent while they run.

Each worker runs one part of the load (:func:`~mcpctl.engine.load.shard.shard_spec`, as a shard would) and,
once a second, writes a *tick*: its cumulative outcome counts, calls in flight, dropped requests and its
overall latency and lag histograms, encoded. Ticks are cumulative, not deltas, so a lost or late one costs
nothing: the parent keeps the last tick of each worker (:class:`LiveTotals`) and merges them into one
:class:`Metrics` that the live view reads as it reads a single run's. At the end every worker hands in its
:class:`LoadResult`, and the parent merges those exactly (:func:`~mcpctl.engine.load.shard.merge_results`).

Encoding a histogram once a second costs about a millisecond; the parent decodes N of them per second.
"""

from __future__ import annotations

from collections.abc import Mapping

from mcpctl.engine.load.metrics import Metrics
from mcpctl.observe.histogram import LatencyHistogram


def tick(metrics: Metrics, elapsed: float) -> dict[str, object]:
    """One worker's state after ``elapsed`` seconds, as JSON data."""
    return {
        "elapsed": elapsed,
        "outcomes": dict(metrics.overall.outcomes),
        "in_flight": metrics.in_flight,
        "dropped": metrics.dropped,
        "latency": metrics.overall.histogram.encode(),
        "lag": metrics.lag.encode(),
    }


class LiveTotals:
    """The last tick of every worker, merged on demand into the metrics of the whole run."""

    def __init__(self, names: tuple[str, ...], *, started_at: float, start_ns: int) -> None:
        self._names = names
        self._started_at = started_at
        self._start_ns = start_ns
        self._last: dict[int, Mapping[str, object]] = {}

    def update(self, worker: int, data: Mapping[str, object]) -> None:
        """Keep ``data`` (a :func:`tick`) as worker ``worker``'s latest state."""
        self._last[worker] = data

    def metrics(self) -> Metrics:
        """The whole run so far: counts added, histograms merged (a corrupt tick raises ``ValueError``)."""
        total = Metrics(self._names, started_at=self._started_at, start_ns=self._start_ns)
        for data in self._last.values():
            outcomes = data.get("outcomes")
            if isinstance(outcomes, Mapping):
                for outcome, count in outcomes.items():
                    if isinstance(count, int):
                        total.overall.outcomes[outcome] = total.overall.outcomes.get(outcome, 0) + count
            total.in_flight += _int(data.get("in_flight"))
            total.dropped += _int(data.get("dropped"))
            for histogram, key in ((total.overall.histogram, "latency"), (total.lag, "lag")):
                encoded = data.get(key)
                if isinstance(encoded, str):
                    histogram.merge(LatencyHistogram.decode(encoded))
        return total


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
