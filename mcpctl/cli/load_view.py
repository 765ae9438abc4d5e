"""How ``mcpctl load`` shows a load test: the live panel (rich, on stderr, once a second) or a plain line
every 5 s when stderr is not a terminal, the k6-like summary at the end (stdout), and the JSON form of a
:class:`LoadResult` (``--output json`` and ``--report json:PATH``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from tabulate import tabulate

from mcpctl.engine.load.metrics import OK, CallStats, LoadResult, Metrics, ThresholdResult
from mcpctl.engine.load.record import observed
from mcpctl.engine.load.schedule import target_at
from mcpctl.engine.load.shard import result_thresholds
from mcpctl.spec.load_model import LoadTestSpec, Threshold

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.live import Live

Redact = Callable[[str], str]
PLAIN_EVERY = 5.0
"""Seconds between two plain progress lines."""
_HEADERS = ("call", "count", "rate/s", "ok %", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms")


def outcomes_text(outcomes: Mapping[str, int]) -> str:
    """``ok 38, timeout 2`` (``none`` without calls)."""
    return ", ".join(f"{kind} {count}" for kind, count in outcomes.items()) or "none"


def _ok_percent(stats: CallStats) -> str:
    return f"{100 * stats.outcomes.get(OK, 0) / stats.count:.1f}" if stats.count else "-"


def _row(label: str, stats: CallStats, duration: float) -> list[str]:
    latency = stats.latency
    rate = stats.count / duration if duration > 0 else 0.0
    times = (latency.p50, latency.p90, latency.p95, latency.p99, latency.p999, latency.max)
    return [label, str(stats.count), f"{rate:.1f}", _ok_percent(stats), *(f"{ms:.2f}" for ms in times)]


def threshold_line(threshold: Threshold, result: ThresholdResult) -> str:
    """``✗ p99 < 250ms: 312.4ms`` (with the call, when and whether it broke live, whether it aborted)."""
    mark = "✓" if result.passed else "✗"
    call = f" (call {result.call})" if result.call else ""
    line = f"{mark} {result.text}{call}: {observed(threshold, result.value)}"
    if result.aborted:
        return f"{line} (aborted the test at {result.broke_at:g}s)"
    if result.broke_at is not None and result.passed:  # a rate below target during the ramp, say
        return f"{line} (broke at {result.broke_at:g}s, held at the end)"
    if result.broke_at is not None:
        return f"{line} (broke at {result.broke_at:g}s)"
    return line


def render_summary(result: LoadResult, spec: LoadTestSpec | None, *, redact: Redact) -> str:
    """The end-of-test summary: a table per call and overall, outcomes, lag, initialize, thresholds
    (without the spec, as ``mcpctl merge`` has it, the thresholds are parsed again from the result)."""
    head = f"LoadTest/{result.name}: {result.model}, {result.sessions} sessions, seed {result.seed}"
    rows = [_row(call.name, call, result.duration) for call in result.calls]
    rows.append(_row("overall", result.overall, result.duration))
    table = tabulate(rows, headers=_HEADERS, tablefmt="simple", disable_numparse=True, colalign=_ALIGN)
    lines = [f"{head}, {result.duration:.2f}s", "", table, "", "outcomes:"]
    width = max(len(call.name) for call in (*result.calls, result.overall))
    width = max(width, len("overall"))
    lines += [f"  {call.name:<{width}}  {outcomes_text(call.outcomes)}" for call in result.calls]
    lines.append(f"  {'overall':<{width}}  {outcomes_text(result.overall.outcomes)}")
    lines += _first_byte_lines(result, width)
    if result.model == "arrival-rate":
        lines.append(f"schedule lag p99 {result.lag.p99:.2f}ms, dropped {result.dropped}")
    if result.initialize is not None:
        init = result.initialize
        lines.append(f"initialize ({init.count}) p50 {init.p50:.2f}ms, p99 {init.p99:.2f}ms")
    if result.thresholds:
        lines.append("thresholds:")
        written = spec.thresholds if spec is not None else result_thresholds(result)
        pairs = zip(written, result.thresholds, strict=True)
        lines += [f"  {threshold_line(threshold, verdict)}" for threshold, verdict in pairs]
    if result.aborted:
        lines.append(f"aborted: {result.abort_reason}")
    return redact("\n".join(lines))


_ALIGN = ("left", *("right",) * (len(_HEADERS) - 1))


def _first_byte_lines(result: LoadResult, width: int) -> list[str]:
    """Time to first byte per call and overall (HTTP only: none for stdio)."""
    if result.overall.first_byte is None:
        return []
    lines = ["time to first byte (HTTP response head):"]
    for label, call in (*((c.name, c) for c in result.calls), ("overall", result.overall)):
        if call.first_byte is not None:
            fb = call.first_byte
            lines.append(
                f"  {label:<{width}}  p50 {fb.p50:.2f}ms, p90 {fb.p90:.2f}ms, p99 {fb.p99:.2f}ms, max {fb.max:.2f}ms"
            )
    return lines


class _Tick:
    """What the live view shows at one second: derived from the metrics and the last tick."""

    def __init__(self, spec: LoadTestSpec) -> None:
        self.spec = spec
        self.total = spec.profile.length.seconds
        self.last_count = 0
        self.last_elapsed = 0.0

    def rate(self, metrics: Metrics, elapsed: float) -> float:
        """Calls ended per second since the last tick."""
        count = metrics.overall.count
        span = elapsed - self.last_elapsed
        rate = (count - self.last_count) / span if span > 0 else 0.0
        self.last_count, self.last_elapsed = count, elapsed
        return rate

    def stage(self, elapsed: float) -> str:
        """``stage 2/3, target 40.0/s`` at ``elapsed`` seconds."""
        stages = self.spec.profile.stages
        if elapsed >= self.total:
            return "graceful stop (waiting for the calls in flight)"
        end, index = 0.0, len(stages)
        for number, stage in enumerate(stages, start=1):
            end += stage.duration.seconds
            if elapsed < end:
                index = number
                break
        target = target_at(self.spec.profile, elapsed)
        unit = "/s" if self.spec.profile.model == "arrival-rate" else " VUs"
        return f"stage {index}/{len(stages)}, target {target:.1f}{unit}"


def _errors(metrics: Metrics) -> dict[str, int]:
    return {kind: n for kind, n in metrics.overall.outcomes.items() if kind != OK}


class PlainLoadView:
    """One line every 5 s: elapsed, rate, in flight, p99, errors."""

    def __init__(self, spec: LoadTestSpec, stream: TextIO, *, redact: Redact) -> None:
        self._tick = _Tick(spec)
        self._stream = stream
        self._redact = redact
        self._next = PLAIN_EVERY

    def __enter__(self) -> PlainLoadView:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def on_second(self, metrics: Metrics, elapsed: float) -> None:
        """The runner's once-a-second hook: a line when 5 s have passed since the last one."""
        if elapsed + 0.05 < self._next:  # the hook fires a hair after each whole second
            return
        self._next += PLAIN_EVERY
        tick = self._tick
        rate = tick.rate(metrics, elapsed)
        errors = sum(_errors(metrics).values())
        p99 = metrics.overall.histogram.percentile(99.0)
        line = (
            f"LoadTest/{tick.spec.metadata.name}: {elapsed:.0f}s/{tick.total:g}s, {rate:.1f} calls/s,"
            f" {metrics.in_flight} in flight, p99 {p99:.1f}ms, {errors} errors"
        )
        print(self._redact(line), file=self._stream, flush=True)


class LiveLoadView:
    """A rich panel on stderr, redrawn at each of the runner's seconds; removed at the end."""

    def __init__(self, spec: LoadTestSpec, *, color: bool, redact: Redact) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self._tick = _Tick(spec)
        self._redact = redact
        console = Console(stderr=True, no_color=not color, highlight=False)
        waiting = Text(redact(f"LoadTest/{spec.metadata.name}: starting"))
        self._live: Live = Live(waiting, console=console, auto_refresh=False, transient=True)

    def __enter__(self) -> LiveLoadView:
        self._live.start(refresh=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def on_second(self, metrics: Metrics, elapsed: float) -> None:
        """The runner's once-a-second hook: redraw the panel."""
        self._live.update(self._panel(metrics, elapsed), refresh=True)

    def _panel(self, metrics: Metrics, elapsed: float) -> RenderableType:
        from rich.panel import Panel
        from rich.text import Text

        tick = self._tick
        histogram = metrics.overall.histogram
        percentiles = ", ".join(f"p{p:g} {histogram.percentile(p):.1f}ms" for p in (50.0, 90.0, 99.0))
        lines = [
            f"elapsed   {elapsed:.0f}s / {tick.total:g}s",
            f"{tick.stage(elapsed)}, achieved {tick.rate(metrics, elapsed):.1f} calls/s",
            f"calls     {metrics.overall.count} ended, {metrics.in_flight} in flight",
            f"latency   {percentiles}",
            f"errors    {outcomes_text(_errors(metrics))}",
        ]
        if tick.spec.profile.model == "arrival-rate":
            lines.append(f"lag p99   {metrics.lag.percentile(99.0):.2f}ms, dropped {metrics.dropped}")
        title = f"LoadTest/{tick.spec.metadata.name}"
        return Panel(Text(self._redact("\n".join(lines))), title=self._redact(title), expand=False)


LoadView = PlainLoadView | LiveLoadView


def load_view(spec: LoadTestSpec, *, redact: Redact, quiet: bool) -> LoadView | None:
    """The live panel on a terminal, plain lines otherwise; ``None`` when ``quiet`` (``--output json``)."""
    from mcpctl.cli.progress import live_stderr, use_color

    if quiet:
        return None
    if live_stderr():
        return LiveLoadView(spec, color=use_color(sys.stderr), redact=redact)
    return PlainLoadView(spec, sys.stderr, redact=redact)


def summaries(pairs: Sequence[tuple[LoadResult, LoadTestSpec | None]], *, redact: Redact) -> str:
    """The summaries of several tests, a blank line between them."""
    return "\n\n".join(render_summary(result, spec, redact=redact) for result, spec in pairs)
