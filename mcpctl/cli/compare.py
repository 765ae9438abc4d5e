"""``mcpctl compare A B [--suite SPEC]...``: the contract diff of two servers, and their answers.

A and B are each a URL, a server named in a ``--servers`` file, a MockServer spec file or
``builtin:NAME``. Both contracts are read (no tool is called) and diffed; with ``--suite`` every
TestSuite of the files runs against both (its own ``server`` is ignored; tests one at a time) and each
test's answers are set side by side. Exit 0: the same; 1: they differ; 2: bad input; 3: a server could
not be reached.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, fail, run_async
from mcpctl.cli.target import resolve_target
from mcpctl.engine.compare.answers import SideBySide
from mcpctl.engine.compare.contract import Contract
from mcpctl.engine.compare.run import Comparison, compare
from mcpctl.engine.results import counted
from mcpctl.engine.targets import target_for
from mcpctl.errors import McpctlError, UsageError
from mcpctl.mcp.client import ServerTarget
from mcpctl.spec.model import MockServerRef, Source, TestSuiteSpec

OUTPUTS = ("text", "json", "markdown")


def run_compare(
    a: str, b: str, *, suites: list[str], servers_files: list[str], output: str, timeout: float
) -> int:
    """Compare servers ``a`` and ``b``; print the differences as ``output`` (text, json, markdown)."""
    try:
        if output not in OUTPUTS:
            raise UsageError(f"--output {output!r}: expected text, json or markdown")
        target_a, target_b = resolve_server(a, servers_files), resolve_server(b, servers_files)
        specs = _suites(suites, servers_files)
    except McpctlError as exc:
        return fail(exc)

    async def main() -> int:
        result = await compare((a, target_a), (b, target_b), specs, timeout=timeout)
        sys.stdout.write(render(result, output))
        return EXIT_FAILED if result.differs else EXIT_OK

    return run_async(main)


def resolve_server(ref: str, servers_files: Sequence[str]) -> ServerTarget:
    """The target ``ref`` names: a URL, ``builtin:NAME``, a server of ``servers_files`` or a MockServer
    spec file (in that order)."""
    from mcpctl.mock import builtin
    from mcpctl.spec.build import load_specs

    if ref.startswith(("http://", "https://")):
        return resolve_target(server=ref, command=(), headers=(), transport="auto", env=(), servers_file=None)
    where = Source(path="<command line>", line=0, column=0)
    if ref.startswith(builtin.PREFIX):
        builtin.path_of(ref)  # an unknown name is bad input, found before anything starts
        return target_for(MockServerRef(name=ref, spec=ref, source=where))
    servers = load_specs([], servers_files=servers_files, check_locks=False).servers if servers_files else {}
    if ref in servers:
        return target_for(servers[ref])
    if os.path.isfile(ref):
        mocks = load_specs([ref], check_locks=False).mocks
        if len(mocks) != 1:
            raise UsageError(f"{ref}: expected one MockServer document, found {len(mocks)}")
        return target_for(MockServerRef(name=ref, spec=os.path.abspath(ref), source=where))
    known = f" (servers known: {', '.join(sorted(servers))})" if servers else ""
    raise UsageError(
        f"{ref!r}: not a URL, builtin:NAME, MockServer spec file or server of a --servers file{known}"
    )


def _suites(paths: Sequence[str], servers_files: Sequence[str]) -> list[TestSuiteSpec]:
    if not paths:
        return []
    from mcpctl.spec.build import load_specs

    suites = list(load_specs(paths, servers_files=servers_files).suites)
    if not suites:
        raise UsageError(f"--suite {', '.join(paths)}: no TestSuite documents")
    return suites


def render(result: Comparison, output: str) -> str:
    """The comparison as text, JSON or Markdown (each ending in a newline)."""
    if output == "json":
        return json.dumps(as_data(result), indent=2, ensure_ascii=False) + "\n"
    if output == "markdown":
        return _markdown(result)
    return _text(result)


def _who(label: str, contract: Contract) -> str:
    info = contract.server_info
    name = " ".join(str(info[key]) for key in ("name", "version") if key in info)
    return f"{label} ({name}, protocol {contract.protocol})"


def _summary(result: Comparison) -> str:
    if not result.differences:
        return f"contract: no differences ({result.contract_a.counts()})"
    counts: dict[str, dict[str, int]] = {}
    for difference in result.differences:
        by_change = counts.setdefault(difference.area, {})
        by_change[difference.change] = by_change.get(difference.change, 0) + 1
    verbs = {"added": "only in B", "removed": "only in A", "changed": "changed"}
    shown = "; ".join(
        f"{area}: " + ", ".join(f"{n} {verbs.get(change, change)}" for change, n in by_change.items())
        for area, by_change in counts.items()
    )
    plural = "" if len(result.differences) == 1 else "s"
    return f"contract: {len(result.differences)} difference{plural} ({shown})"


def _suite_summary(name: str, rows: Sequence[SideBySide]) -> str:
    differ = sum(1 for row in rows if row.differs)
    if not differ:
        return f"suite {name}: no differences ({counted(len(rows), 'test')})"
    return f"suite {name}: {differ} of {len(rows)} tests differ"


def _text(result: Comparison) -> str:
    from tabulate import tabulate

    lines = [f"A: {_who(result.a, result.contract_a)}", f"B: {_who(result.b, result.contract_b)}"]
    lines.extend(line for difference in result.differences for line in difference.lines)
    lines.append(_summary(result))
    for suite in result.suites:
        rows = [[row.test, row.a, row.b, "same" if row.same else "different"] for row in suite.rows]
        lines.append("")
        lines.append(f"suite {suite.suite}:")
        lines.extend(
            tabulate(
                rows, headers=["test", "A", "B", "answers"], tablefmt="plain", disable_numparse=True
            ).splitlines()
        )
        for row in suite.rows:
            lines.extend(_failures(row))
            if row.diff:
                lines.append(f"test {row.test!r}: answers differ")
                lines.extend(f"  {line}" for line in row.diff)
        lines.append(_suite_summary(suite.suite, suite.rows))
    return "\n".join(lines) + "\n"


def _failures(row: SideBySide) -> list[str]:
    return [
        f"test {row.test!r} {status} on {side}: {message}"
        for side, status, message in (("A", row.a, row.messages[0]), ("B", row.b, row.messages[1]))
        if status in ("failed", "error")
    ]


def _markdown(result: Comparison) -> str:
    from tabulate import tabulate

    parts = [
        "# mcpctl compare",
        f"- A: `{_who(result.a, result.contract_a)}`\n- B: `{_who(result.b, result.contract_b)}`",
        f"## Contract\n\n{_summary(result)}",
    ]
    if result.differences:
        body = "\n".join(line for difference in result.differences for line in difference.lines)
        parts.append(f"```diff\n{body}\n```")
    for suite in result.suites:
        rows = [[row.test, row.a, row.b, "same" if row.same else "**different**"] for row in suite.rows]
        table = tabulate(
            rows, headers=["test", "A", "B", "answers"], tablefmt="github", disable_numparse=True
        )
        parts.append(f"## Suite {suite.suite}\n\n{_suite_summary(suite.suite, suite.rows)}\n\n{table}")
        for row in suite.rows:
            failures = _failures(row)
            if failures:
                parts.append("\n".join(f"- {line}" for line in failures))
            if row.diff:
                body = "\n".join(row.diff)
                parts.append(f"### {row.test}: answers differ\n\n```diff\n{body}\n```")
    return "\n\n".join(parts) + "\n"


def as_data(result: Comparison) -> dict[str, object]:
    """The comparison as JSON-ready data."""

    def side(label: str, contract: Contract) -> dict[str, object]:
        return {
            "server": label,
            "serverInfo": contract.server_info,
            "protocolVersion": contract.protocol,
            "capabilities": contract.capabilities,
        }

    return {
        "a": side(result.a, result.contract_a),
        "b": side(result.b, result.contract_b),
        "identical": not result.differs,
        "differences": [
            {"area": d.area, "subject": d.subject, "change": d.change, "lines": list(d.lines)}
            for d in result.differences
        ],
        "suites": [
            {
                "suite": suite.suite,
                "tests": [
                    {
                        "test": row.test,
                        "a": {"status": row.a, "message": row.messages[0]},
                        "b": {"status": row.b, "message": row.messages[1]},
                        "sameAnswers": row.same,
                        "diff": list(row.diff),
                    }
                    for row in suite.rows
                ],
            }
            for suite in result.suites
        ],
    }
