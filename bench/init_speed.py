"""How fast `mcpctl init` writes the specs of a server with 200 tools (issue 14: under 5 s).

usage: python bench/init_speed.py [--tools 200] [--runs 3]

The server is a generated MockServer (written by this script into a temporary directory): 200 tools
with assorted input schemas (strings with formats and bounds, integers with minimums, enums, nested
objects, arrays), half of them annotated readOnlyHint: true, a quarter destructive; 10 resources and
5 prompts. `mcpctl init FILE --out DIR --force` runs in full, as a user runs it: it lists everything,
calls the 100 read-only tools with generated arguments, reads the resources, fetches the prompts,
writes the three files and runs the written suite until it settles (recording its snapshots).

Peers, measured in the same run against the same mock: `mcpctl tools -- mcpctl mock serve FILE`
(listing only) and the official Python SDK client (`mcp`) listing the tools over stdio. Each command
runs `--runs` times, interleaved, after one discarded warm-up run; the medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 5.0
SDK_LIST = """
import sys, anyio
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

async def main():
    params = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools, cursor = [], None
        while True:
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await session.list_tools(params=params)
            tools += page.tools
            cursor = page.next_cursor
            if not cursor:
                break
        assert len(tools) >= 1, tools
        print(len(tools))

anyio.run(main)
"""
SCHEMAS = (
    "{type: object, properties: {query: {type: string, minLength: 2}, limit: {type: integer, minimum: 1,"
    " maximum: 100}}, required: [query]}",
    "{type: object, properties: {id: {type: string, format: uuid}}, required: [id]}",
    "{type: object, properties: {kind: {type: string, enum: [open, closed, all]}, since: {type: string,"
    " format: date-time}}, required: [kind, since]}",
    "{type: object, properties: {page: {type: object, properties: {size: {type: integer, minimum: 10}},"
    " required: [size]}, tags: {type: array, items: {type: string}, minItems: 1}}, required: [page, tags]}",
    "{type: object, properties: {}}",
)
ANNOTATIONS = (
    "{readOnlyHint: true, openWorldHint: false}",
    "{readOnlyHint: true}",
    "{readOnlyHint: false, destructiveHint: false}",
    "{readOnlyHint: false, destructiveHint: true}",
)


def mock_yaml(tools: int) -> str:
    """A MockServer with ``tools`` tools (half read-only), 10 resources and 5 prompts."""
    lines = [
        "apiVersion: mcpctl/v1",
        "kind: MockServer",
        "metadata: {name: bench-wide, description: A wide server for the init benchmark.}",
        "server: {name: bench-wide, version: 1.0.0}",
        "tools:",
    ]
    for n in range(tools):
        lines += [
            f"  - name: tool_{n:03d}",
            f"    description: Tool number {n}, for the init benchmark.",
            f"    inputSchema: {SCHEMAS[n % len(SCHEMAS)]}",
            f"    annotations: {ANNOTATIONS[n % len(ANNOTATIONS)]}",
            f'    default: "tool {n} answered"',
        ]
    lines.append("resources:")
    for n in range(10):
        lines.append(
            f"  - {{uri: 'bench://doc/{n}', name: doc-{n}, mimeType: text/plain, text: 'document {n}'}}"
        )
    lines.append("prompts:")
    for n in range(5):
        lines += [
            f"  - name: prompt_{n}",
            "    arguments: [{name: topic, required: true}]",
            "    messages: [{role: user, text: 'Tell me about {{ args.topic }}.'}]",
        ]
    return "\n".join(lines) + "\n"


def once(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}… failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcpctl-init-bench-") as temp:
        work = Path(temp)
        spec = work / "wide.yaml"
        spec.write_text(mock_yaml(args.tools), encoding="utf-8")
        serve = [sys.executable, "-m", "mcpctl", "mock", "serve", str(spec)]
        mcpctl = [sys.executable, "-m", "mcpctl"]
        commands = {
            "mcpctl init": [*mcpctl, "init", str(spec), "--out", "specs", "--force", "--state-dir", "state"],
            "mcpctl tools (listing)": [*mcpctl, "tools", "--", *serve],
            "SDK client listing": [sys.executable, "-c", SDK_LIST, *serve],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():
            once(cmd, work)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(once(cmd, work))
        suite = next((work / "specs").glob("*.tests.yaml")).read_text(encoding="utf-8")
        tests = suite.count("\n  - name: ")
    init = statistics.median(times["mcpctl init"])
    print(f"init of a mock with {args.tools} tools ({tests} live tests written), median of {args.runs} runs")
    print("| command | median s | min–max s | init ÷ this | target | verdict |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        target, verdict = ("", "")
        if name == "mcpctl init":
            target, verdict = f"< {TARGET_S:.0f} s", "PASS" if median < TARGET_S else "FAIL"
        print(
            f"| `{name}` | {median:.2f} | {min(values):.2f}–{max(values):.2f} | {init / median:.2f} "
            f"| {target} | {verdict} |"
        )


if __name__ == "__main__":
    main()
