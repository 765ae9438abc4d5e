"""Which tools fuzz may call (DESIGN.md §4), the order of inputs, reproducers and the report."""

from __future__ import annotations

import pytest

from mcpctl.cli.fuzz import render, reproducer
from mcpctl.engine.fuzz.findings import Finding
from mcpctl.engine.fuzz.inputs import Case
from mcpctl.engine.fuzz.runner import FuzzReport, Plan, Skipped, ToolStats, interleaved, select_tools
from mcpctl.errors import UsageError

TOOLS = [
    {"name": "read", "annotations": {"readOnlyHint": True}},
    {"name": "plain"},
    {"name": "write", "annotations": {"readOnlyHint": False, "destructiveHint": False}},
    {"name": "delete", "annotations": {"destructiveHint": True}},
    {"name": "odd", "annotations": {"readOnlyHint": True, "destructiveHint": True}},
]
READ_ONLY = "not annotated readOnlyHint: true (call it with --allow-destructive)"
DESTRUCTIVE = "annotated destructiveHint: true (call it with --allow-destructive=all)"


def names(tools: list) -> list[str]:
    return [t["name"] for t in tools]


@pytest.mark.parametrize(
    ("allow", "called", "skipped"),
    [
        (
            "read-only",
            ["read"],
            [("plain", READ_ONLY), ("write", READ_ONLY), ("delete", DESTRUCTIVE), ("odd", DESTRUCTIVE)],
        ),
        ("non-destructive", ["read", "plain", "write"], [("delete", DESTRUCTIVE), ("odd", DESTRUCTIVE)]),
        ("all", ["read", "plain", "write", "delete", "odd"], []),
    ],
)
def test_unnamed_tools_are_called_only_as_annotations_allow(allow: str, called: list, skipped: list) -> None:
    chosen, left = select_tools(TOOLS, named=(), allow=allow)  # type: ignore[arg-type]
    assert names(chosen) == called
    assert [(s.tool, s.reason) for s in left] == skipped


def test_tools_the_user_named_are_called_whatever_their_annotations() -> None:
    chosen, left = select_tools(TOOLS, named=("delete", "read", "delete"), allow="read-only")
    assert (names(chosen), left) == (["delete", "read"], [])


def test_an_unknown_named_tool_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        select_tools(TOOLS, named=("nope",), allow="read-only")
    assert (
        str(caught.value)
        == "--tool 'nope': the server has no such tool (it offers: delete, odd, plain, read, write)"
    )


def test_cases_take_turns_across_tools() -> None:
    def case(label: str) -> Case:
        return Case(label=label, arguments={}, valid=True)

    plans = [Plan(tool="a", cases=(case("a1"), case("a2"), case("a3"))), Plan(tool="b", cases=(case("b1"),))]
    assert [(t, c.label) for t, c in interleaved(plans)] == [
        ("a", "a1"),
        ("b", "b1"),
        ("a", "a2"),
        ("a", "a3"),
    ]


CONN = {
    "server": None,
    "command": ["python", "-m", "mcpctl", "mock", "serve", "my mock.yaml"],
    "headers": [],
    "timeout": 10.0,
    "protocol": "auto",
    "transport": "auto",
    "servers_file": None,
    "trace": False,
    "env": ["MODE=test"],
}


def test_a_reproducer_is_an_mcpctl_call_command_line() -> None:
    assert reproducer(CONN, "lookup", {"query": "it's"}) == (
        'mcpctl call lookup --json-args \'{"query":"it\'"\'"\'s"}\' -e MODE=test '
        "-- python -m mcpctl mock serve 'my mock.yaml'"
    )
    url = {
        **CONN,
        "command": [],
        "env": [],
        "server": "http://127.0.0.1:8000/mcp",
        "headers": ["Authorization: Bearer s3cret"],
    }
    assert reproducer(url, "t", {}) == (
        "mcpctl call http://127.0.0.1:8000/mcp t --json-args '{}' -H 'Authorization: ***'"
    )
    named = {
        **CONN,
        "command": [],
        "env": [],
        "server": "api",
        "servers_file": "servers.yaml",
        "protocol": "2025-06-18",
    }
    assert (
        reproducer(named, "t", {})
        == "mcpctl call api t --json-args '{}' --servers servers.yaml --protocol 2025-06-18"
    )


def test_arguments_that_are_not_an_object_are_reproduced_as_a_frame() -> None:
    assert reproducer(CONN, "t", [1]) == (
        'after initialize, send: {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":[1]}}'
    )


def test_the_text_report() -> None:
    report = FuzzReport(
        server="demo",
        seed=0,
        budget=None,
        duration=None,
        calls=12,
        stopped="exhausted",
        findings=(
            Finding(
                kind="crash",
                target="lookup",
                case="query: empty",
                arguments={"query": ""},
                detail="server closed its stdout (exit code 1)",
                reproducer='mcpctl call lookup --json-args \'{"query":""}\' -- srv',
                signature="ServerExited",
                count=2,
            ),
        ),
        skipped=(Skipped(tool="delete", reason=DESTRUCTIVE),),
        stats=(ToolStats(tool="lookup", planned=20, calls=12, valid=10, invalid=2, findings=2),),
        notes=("lookup: left alone after 3 hangs",),
        protocol_checks=6,
    )
    assert render(report).splitlines() == [
        "fuzzed demo: 12 tool calls (default budget, stopped: exhausted), 6 protocol checks, seed 0",
        "",
        "TOOL      CALLS    VALID    INVALID    FINDINGS",
        "lookup       12       10          2           2",
        "",
        "skipped (not called):",
        f"  delete: {DESTRUCTIVE}",
        "",
        "notes:",
        "  lookup: left alone after 3 hangs",
        "",
        "  #  KIND    TARGET    INPUT         WHAT HAPPENED",
        "  1  crash   lookup    query: empty  server closed its stdout (exit code 1) (x2)",
        "",
        "reproducers:",
        '  1. mcpctl call lookup --json-args \'{"query":""}\' -- srv',
        "",
        "1 finding",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"output": "yaml"}, "--output 'yaml': expected text or json"),
        (
            {"allow": "maybe"},
            "safety level 'maybe': expected read-only, non-destructive, all",
        ),
        ({"budget": 0}, "--budget 0: expected at least 1 call"),
        (
            {"duration": "soon"},
            "--duration 'soon': 'soon' is not a duration: use a number and a unit (250ms, 2s, 5m, 1h)",
        ),
        ({"duration": "0s"}, "--duration 0s: expected more than 0 seconds"),
    ],
)
def test_bad_options_are_usage_errors(options: dict, message: str) -> None:
    from mcpctl.cli.fuzz import run_fuzz

    settings = {
        "budget": None,
        "duration": None,
        "seed": 0,
        "tools": [],
        "allow": "read-only",
        "protocol": False,
        "output": "text",
    }
    with pytest.raises(UsageError) as caught:
        run_fuzz(CONN, **{**settings, **options})
    assert str(caught.value) == message
