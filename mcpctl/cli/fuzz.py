"""``mcpctl fuzz SERVER``: edge-case, invalid and random inputs for every tool, then protocol abuse;
findings printed with a reproducer each."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from typing import Any

import orjson

from mcpctl.cli.adhoc import _connect, _emit_json, _table
from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, run_async
from mcpctl.cli.target import target_of
from mcpctl.engine.fuzz.findings import Finding
from mcpctl.engine.fuzz.runner import FuzzOptions, FuzzReport, fuzz
from mcpctl.engine.safety import level_of
from mcpctl.errors import UsageError
from mcpctl.mcp.client import open_transport
from mcpctl.mcp.jsonrpc import JSONValue

SHOWN_REPRODUCER = 1000
"""Longer reproducers (a 1 MB string) are left to ``--output json``."""
SECRET_HEADERS = ("authorization", "cookie", "token", "key", "secret")


def run_fuzz(
    conn: dict[str, object],
    *,
    budget: int | None,
    duration: str | float | None,
    seed: int,
    tools: list[str],
    allow: str,
    protocol: bool,
    output: str,
) -> int:
    """Fuzz the server ``conn`` names; exit 0 without findings, 1 with, 2 bad input, 3 server trouble.

    ``duration``: seconds, or duration text (``30s``, ``2m``); ``allow``: the safety level for tools
    not named in ``tools`` (``read-only``, ``non-destructive`` or ``all``: :mod:`mcpctl.engine.safety`)."""
    options = _options(conn, budget, duration, seed, tools, allow, protocol, output)
    target = target_of(conn)

    async def main() -> int:
        report = await fuzz(
            connect=lambda: _connect(conn),
            open_transport=lambda: open_transport(target),
            options=options,
            reproduce=lambda tool, arguments: reproducer(conn, tool, arguments),
        )
        if output == "json":
            _emit_json(as_json(report))
        else:
            print(render(report))
        return EXIT_FAILED if report.findings else EXIT_OK

    return run_async(main)


def _options(
    conn: Mapping[str, object],
    budget: int | None,
    duration: str | float | None,
    seed: int,
    tools: list[str],
    allow: str,
    protocol: bool,
    output: str,
) -> FuzzOptions:
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    if budget is not None and budget < 1:
        raise UsageError(f"--budget {budget}: expected at least 1 call")
    seconds = _seconds(duration)
    timeout = conn.get("timeout")
    return FuzzOptions(
        budget=budget,
        duration=seconds,
        seed=seed,
        tools=tuple(tools),
        allow=level_of(allow),
        protocol=protocol,
        timeout=float(timeout) if isinstance(timeout, int | float) else 10.0,
    )


def _seconds(duration: str | float | None) -> float | None:
    if duration is None:
        return None
    if isinstance(duration, str):
        from mcpctl.spec.units import parse_duration

        try:
            value = parse_duration(duration).seconds
        except ValueError as exc:
            raise UsageError(f"--duration {duration!r}: {exc}") from None
    else:
        value = float(duration)
    if value <= 0:
        raise UsageError(f"--duration {duration}: expected more than 0 seconds")
    return value


# -- reproducers ----------------------------------------------------------------------------------------
def reproducer(conn: Mapping[str, Any], tool: str, arguments: JSONValue) -> str:
    """The ``mcpctl call`` command line that sends ``arguments`` to ``tool`` again; for arguments that
    are not an object (``mcpctl call`` sends only objects), the raw ``tools/call`` frame."""
    if not isinstance(arguments, dict):
        frame = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        }
        return "after initialize, send: " + orjson.dumps(frame).decode()
    words = ["mcpctl", "call"]
    if not conn.get("command"):
        words.append(str(conn["server"]))
    words += [tool, "--json-args", orjson.dumps(arguments).decode()]
    if conn.get("servers_file"):
        words += ["--servers", str(conn["servers_file"])]
    for header in conn.get("headers") or []:
        words += ["-H", _redacted(str(header))]
    for env in conn.get("env") or []:
        words += ["-e", str(env)]
    for option in ("protocol", "transport"):
        if conn.get(option) not in (None, "auto"):
            words += [f"--{option}", str(conn[option])]
    if conn.get("command"):
        words += ["--", *[str(w) for w in conn["command"]]]
    return shlex.join(words)


def _redacted(header: str) -> str:
    name = header.partition(":")[0]
    return f"{name}: ***" if any(s in name.lower() for s in SECRET_HEADERS) else header


# -- output ----------------------------------------------------------------------------------------------
def as_json(report: FuzzReport) -> dict[str, Any]:
    """The report as plain JSON data."""
    return dataclasses.asdict(report)


def render(report: FuzzReport) -> str:
    """The report for a person: the run, calls per tool, skipped tools, notes, findings and reproducers."""
    limit = (
        f"budget {report.budget}"
        if report.budget
        else (f"duration {report.duration:g}s" if report.duration else "default budget")
    )
    lines = [
        f"fuzzed {report.server}: {report.calls} tool calls ({limit}, stopped: {report.stopped}), "
        f"{report.protocol_checks} protocol checks, seed {report.seed}"
    ]
    rows = [[s.tool, s.calls, s.valid, s.invalid, s.findings] for s in report.stats]
    lines += [
        "",
        _table(rows, ["TOOL", "CALLS", "VALID", "INVALID", "FINDINGS"]) if rows else "(no tools fuzzed)",
    ]
    if report.skipped:
        lines += ["", "skipped (not called):"] + [f"  {s.tool}: {s.reason}" for s in report.skipped]
    if report.notes:
        lines += ["", "notes:"] + [f"  {note}" for note in report.notes]
    lines += ["", *_findings(list(report.findings))]
    return "\n".join(lines)


def _findings(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["no findings"]
    rows = [
        [
            n,
            f.kind,
            f.target,
            _clip(f.case, 40),
            _clip(f.detail, 70) + (f" (x{f.count})" if f.count > 1 else ""),
        ]
        for n, f in enumerate(findings, 1)
    ]
    lines = [_table(rows, ["#", "KIND", "TARGET", "INPUT", "WHAT HAPPENED"]), "", "reproducers:"]
    for n, f in enumerate(findings, 1):
        shown = (
            f.reproducer
            if len(f.reproducer) <= SHOWN_REPRODUCER
            else f"({len(f.reproducer)} characters: see --output json)"
        )
        lines.append(f"  {n}. {shown}")
    lines += ["", f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"]
    return lines


def _clip(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
