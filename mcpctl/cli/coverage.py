"""``mcpctl coverage SPEC...``: which tools, resources and prompts of each server the specs exercise.

The total is items hit over items in all (see :mod:`mcpctl.engine.coverage` for the items: each tool,
resource, resource template and prompt, and per tool each enum value, optional field and its error
path). The servers are listed, never called. Exit 0; 1 under ``--fail-under``; 2 bad specs; 3 a server
could not be reached.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, fail, run_async
from mcpctl.engine.coverage.measure import CoverageReport, ServerCoverage, ToolCoverage
from mcpctl.engine.results import counted
from mcpctl.errors import McpctlError, UsageError
from mcpctl.spec.lockfile import canonical_json

OUTPUTS = ("text", "json", "markdown")
DEFINITION = (
    "items: each tool, resource, resource template and prompt, "
    "and per tool each enum value, optional field and its error path"
)


def run_coverage(
    paths: list[str], *, servers_files: list[str], output: str, fail_under: float | None, timeout: float
) -> int:
    """Measure the coverage of the specs at ``paths``; print it as ``output`` (text, json, markdown)."""
    from mcpctl.spec.build import SpecSet, load_specs

    try:
        if output not in OUTPUTS:
            raise UsageError(f"--output {output!r}: expected text, json or markdown")
        specs: SpecSet = load_specs(paths, servers_files=servers_files)
        if not (specs.suites or specs.loads or specs.monitors or specs.plans):
            raise UsageError(
                f"{', '.join(paths)}: no TestSuite, LoadTest, Monitor or BatchPlan documents: "
                "nothing to cover"
            )
    except McpctlError as exc:
        return fail(exc)

    async def main() -> int:
        from mcpctl.engine.coverage.run import measure_coverage

        report = await measure_coverage(specs, timeout=timeout)
        sys.stdout.write(specs.secrets.redact(render(report, output)))
        if fail_under is not None and report.percent < fail_under:
            print(
                f"mcpctl: coverage {report.percent:.2f}% is below --fail-under {fail_under:g}% "
                f"({report.hit} of {report.total} items hit)",
                file=sys.stderr,
            )
            return EXIT_FAILED
        return EXIT_OK

    return run_async(main)


def render(report: CoverageReport, output: str) -> str:
    """The report as text (tables), JSON or Markdown, ending in a newline."""
    if output == "json":
        return json.dumps(as_data(report), indent=2, ensure_ascii=False) + "\n"
    if output == "markdown":
        return _markdown(report)
    return _text(report)


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _enums(tool: ToolCoverage) -> str:
    if not tool.enums:
        return "-"
    return "; ".join(
        f"{e.field} {len(e.used)}/{len(e.values)}" + (f" ({_values(e.used)})" if e.used else "")
        for e in tool.enums
    )


def _values(values: Sequence[object]) -> str:
    return ", ".join(v if isinstance(v, str) else canonical_json(v) for v in values)


def _optional(tool: ToolCoverage) -> str:
    if not tool.optional:
        return "-"
    given = f" ({', '.join(tool.given)})" if tool.given else ""
    return f"{len(tool.given)}/{len(tool.optional)}{given}"


def _rows(server: ServerCoverage) -> list[list[str]]:
    return [
        [tool.name, str(tool.calls), _enums(tool), _optional(tool), "yes" if tool.error_path else "no"]
        for tool in server.tools
    ]


HEADERS = ["tool", "calls", "enum values", "optional fields", "error path"]


def _counts(server: ServerCoverage) -> str:
    exercised = sum(1 for t in server.tools if t.calls)
    return (
        f"tools {exercised}/{len(server.tools)}, resources {len(server.read)}/{len(server.resources)}, "
        f"resource templates {len(server.matched)}/{len(server.templates)}, "
        f"prompts {len(server.fetched)}/{len(server.prompts)}"
    )


def _notes(server: ServerCoverage) -> list[str]:
    notes = []
    if server.never_called:
        notes.append(f"never called: {', '.join(server.never_called)}")
    unread = [r for r in server.resources if r not in server.read]
    if unread:
        notes.append(f"resources not read: {', '.join(unread)}")
    unmatched = [t for t in server.templates if t not in server.matched]
    if unmatched:
        notes.append(f"resource templates not matched: {', '.join(unmatched)}")
    unfetched = [p for p in server.prompts if p not in server.fetched]
    if unfetched:
        notes.append(f"prompts not fetched: {', '.join(unfetched)}")
    if server.not_listed:
        notes.append(f"used but not listed by the server: {', '.join(server.not_listed)}")
    unknown = [
        counted(n, noun)
        for n, noun in (
            (sum(t.unknown for t in server.tools), "argument value"),
            (server.unknown_reads, "resource URI"),
        )
        if n
    ]
    if unknown:
        notes.append(f"known only at run time, not counted: {' and '.join(unknown)}")
    return notes


def _headline(server: ServerCoverage) -> str:
    return f"{server.server}: {_pct(server.percent)} ({server.hit} of {server.total} items)"


def _total(report: CoverageReport) -> str:
    return f"total: {_pct(report.percent)} ({report.hit} of {report.total} items hit)"


def _text(report: CoverageReport) -> str:
    from tabulate import tabulate

    lines: list[str] = []
    for server in report.servers:
        lines.append(f"server {_headline(server)}")
        lines.append(f"  {_counts(server)}")
        if server.tools:
            table = tabulate(_rows(server), headers=HEADERS, tablefmt="plain", disable_numparse=True)
            lines.extend(f"  {line}" for line in table.splitlines())
        lines.extend(f"  {note}" for note in _notes(server))
        lines.append("")
    lines.append(_total(report))
    lines.append(f"({DEFINITION})")
    return "\n".join(lines) + "\n"


def _markdown(report: CoverageReport) -> str:
    from tabulate import tabulate

    parts = ["# mcpctl coverage", f"**{_total(report)}** ({DEFINITION})"]
    for server in report.servers:
        parts.append(f"## {_headline(server)}\n\n{_counts(server)}")
        if server.tools:
            parts.append(tabulate(_rows(server), headers=HEADERS, tablefmt="github", disable_numparse=True))
        notes = _notes(server)
        if notes:
            parts.append("\n".join(f"- {note}" for note in notes))
    return "\n\n".join(parts) + "\n"


def as_data(report: CoverageReport) -> dict[str, object]:
    """The report as JSON-ready data."""
    return {
        "definition": DEFINITION,
        "percent": round(report.percent, 2),
        "hit": report.hit,
        "items": report.total,
        "servers": [_server_data(server) for server in report.servers],
    }


def _server_data(server: ServerCoverage) -> dict[str, object]:
    return {
        "server": server.server,
        "percent": round(server.percent, 2),
        "hit": server.hit,
        "items": server.total,
        "tools": {"exercised": sum(1 for t in server.tools if t.calls), "total": len(server.tools)},
        "resources": {"read": list(server.read), "total": len(server.resources)},
        "resourceTemplates": {"matched": list(server.matched), "total": len(server.templates)},
        "prompts": {"fetched": list(server.fetched), "total": len(server.prompts)},
        "neverCalled": list(server.never_called),
        "notListed": list(server.not_listed),
        "unknownReads": server.unknown_reads,
        "toolDetails": [
            {
                "name": tool.name,
                "calls": tool.calls,
                "enums": {e.field: {"values": list(e.values), "used": list(e.used)} for e in tool.enums},
                "optionalFields": list(tool.optional),
                "givenOptionalFields": list(tool.given),
                "errorPath": tool.error_path,
                "unknownValues": tool.unknown,
            }
            for tool in server.tools
        ],
    }
