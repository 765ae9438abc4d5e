"""``mcpctl load`` as a user runs it: a subprocess in a project directory (HOME in tmp_path) against an
echo mock that mcpctl itself serves over stdio (a Servers entry ``{mock: mock.yaml}``).

The request picks are seeded (``--seed 1``), so the count of each entry is replayed here from
``random.Random(1)`` (one ``randrange(total weight)`` per request); latencies are not asserted.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from testing.cli import mcpctl, without_advice

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: echo}
tools:
  - name: echo
    inputSchema: {type: object, properties: {message: {type: string}}}
    default: {text: "{{ args.message }}"}
  - name: refuse
    default: {text: "no", isError: true}
"""
SERVERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  echo: {mock: mock.yaml}
"""
STEADY = """\
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: steady}
server: echo
sessions: shared
scenario:
  - {call: echo, weight: 3, with: {message: hi}}
  - {call: refuse, weight: 1}
profile: {model: arrival-rate, startTarget: 20, stages: [{duration: 2s, target: 20}]}
thresholds: ["p99 < 5s", "error_rate < 60%"]
"""
BREAKING = """\
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: breaking}
server: echo
sessions: shared
scenario:
  - {call: echo, weight: 3, with: {message: hi}}
  - {call: refuse, weight: 1}
profile: {model: arrival-rate, startTarget: 20, stages: [{duration: 3s, target: 20}]}
thresholds:
  - "p99 < 5s"
  - {threshold: "error_rate < 1%", call: refuse, abort: true}
"""


def picks(count: int, seed: int = 1) -> tuple[int, int]:
    """How many of ``count`` requests go to echo (weight 3) and to refuse (weight 1)."""
    draws = random.Random(seed)
    echo = sum(draws.randrange(4) < 3 for _ in range(count))
    return echo, count - echo


def make_project(tmp_path: Path, *load_tests: str) -> Path:
    """A project with the mock and ``load.yaml`` holding the Servers and ``load_tests``; HOME beside it."""
    directory = tmp_path / "project"
    directory.mkdir()
    (tmp_path / "home").mkdir()
    (directory / "mock.yaml").write_text(MOCK, encoding="utf-8")
    (directory / "load.yaml").write_text(SERVERS + "".join(load_tests), encoding="utf-8")
    return directory


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, STEADY, BREAKING)


def row(out: str, name: str) -> list[str]:
    """The summary table's row of ``name``: its count and ok % (the rest are timings)."""
    cells = next(line.split() for line in out.splitlines() if line.split()[:1] == [name])
    return [cells[1], cells[3]]


def test_a_passing_open_model_run_prints_the_summary_and_exits_0(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "steady", "--seed", "1", cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    echo, refuse = picks(40)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("LoadTest/steady: arrival-rate, shared sessions, seed 1, 2.")
    assert lines[2].split() == [
        "call", "count", "rate/s", "ok", "%", "p50", "ms", "p90", "ms", "p95", "ms", "p99", "ms", "p99.9",
        "ms", "max", "ms",
    ]  # fmt: skip
    assert row(done.stdout, "echo") == [str(echo), "100.0"]
    assert row(done.stdout, "refuse") == [str(refuse), "0.0"]
    assert row(done.stdout, "overall") == ["40", f"{100 * echo / 40:.1f}"]
    assert lines[8:13] == [
        "outcomes:",
        f"  echo     ok {echo}",
        f"  refuse   is_error {refuse}",
        f"  overall  is_error {refuse}, ok {echo}",
        lines[12],
    ]
    assert lines[12].startswith("schedule lag p99 ")
    assert lines[12].endswith("ms, dropped 0")
    assert lines[13].startswith("initialize (1) p50 ")
    assert lines[14] == "thresholds:"
    assert lines[15].startswith("  ✓ p99 < 5s: ")
    assert lines[16] == f"  ✓ error_rate < 60%: {100 * refuse / 40:.4g}%"
    # every failed call is the refusing tool's is_error: the recommendation says so, with the numbers
    assert lines[17] == (
        "recommendation [errors in one class] LoadTest/steady: errors concentrate in one class, is_error: one"
        f" cause to fix, not many ({refuse} of {refuse} failed calls (100%) were is_error; {refuse} of 40 calls"
        f" failed ({100 * refuse / 40:.1f}%))"
    )
    assert re.fullmatch(r"run (\S+): mcpctl show \1", lines[18])
    assert len(lines) == 19


def test_a_broken_abort_threshold_stops_the_test_and_exits_1(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "breaking", "--seed", "1", cwd=project)
    assert done.returncode == 1, done.stderr
    tail = without_advice(done.stdout)[-5:-1]
    assert tail[0] == "thresholds:"
    assert tail[1].startswith("  ✓ p99 < 5s: ")
    assert tail[2:] == [
        "  ✗ error_rate < 1% (call refuse): 100% (aborted the test at 1s)",
        "aborted: threshold 'error_rate < 1% (call refuse)' broke at 1s (observed 1)",
    ]


def test_json_output_and_the_json_report_hold_the_whole_result(project: Path) -> None:
    done = mcpctl(
        "load", "load.yaml", "--select", "steady", "--seed", "1", "-o", "json",
        "--report", "json:out/load.json", cwd=project,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    document = json.loads(done.stdout)
    assert json.loads((project / "out" / "load.json").read_text(encoding="utf-8")) == document
    [result] = document["results"]
    echo, refuse = picks(40)
    assert list(result) == [
        "name", "spec_hash", "model", "sessions", "seed", "started_at", "duration", "calls", "overall", "lag",
        "lag_histogram", "dropped", "initialize", "initialize_histogram", "thresholds", "aborted",
        "abort_reason", "series", "exit_code",
    ]  # fmt: skip
    assert (result["name"], result["model"], result["seed"], result["exit_code"]) == (
        "steady", "arrival-rate", 1, 0
    )  # fmt: skip
    assert [(c["name"], c["count"], c["outcomes"]) for c in result["calls"]] == [
        ("echo", echo, {"ok": echo}),
        ("refuse", refuse, {"is_error": refuse}),
    ]
    assert result["overall"]["histogram"].startswith("mcpctl-hdr1:")
    assert set(result["overall"]["latency"]) == {
        "count",
        "min",
        "p50",
        "p90",
        "p95",
        "p99",
        "p999",
        "max",
        "mean",
    }
    assert [(t["text"], t["passed"]) for t in result["thresholds"]] == [
        ("p99 < 5s", True),
        ("error_rate < 60%", True),
    ]
    assert sum(sum(b["outcomes"].values()) for b in result["series"]["buckets"]) == 40


def test_specs_without_a_load_test_exit_2(project: Path) -> None:
    done = mcpctl("load", "mock.yaml", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "mcpctl: error: no LoadTest documents in mock.yaml\n"


def test_an_unknown_select_exits_2(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "nope", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "mcpctl: error: --select 'nope': no LoadTest of that name (there are: steady, breaking)\n"
    )


def test_a_report_other_than_json_exits_2(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--report", "junit:r.xml", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "mcpctl: error: --report 'junit:r.xml': expected json:PATH (the only report format of mcpctl load)\n"
    )


def test_the_run_is_recorded_and_shown_again(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "steady", "--seed", "1", cwd=project)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.splitlines()[-1].split()[1].rstrip(":")
    listed = mcpctl("runs", cwd=project)
    assert listed.stdout.splitlines()[1].split()[:8] == [
        run_id, *listed.stdout.splitlines()[1].split()[1:3], "load", "LoadTest/steady", "passed", "3", "0"
    ]  # fmt: skip
    shown = mcpctl("show", run_id, cwd=project)
    assert shown.returncode == 0, shown.stderr
    # the summary mcpctl load printed, from the whole result the run keeps (its advice is printed once)
    summary = without_advice(done.stdout)[:-1]
    assert shown.stdout.splitlines()[-len(summary) :] == summary
    assert "LoadTest/steady  threshold error_rate < 60%" in shown.stdout
    document = json.loads(mcpctl("show", run_id, "-o", "json", cwd=project).stdout)
    [suite] = document["suites"]
    assert (suite["kind"], suite["name"], suite["status"]) == ("LoadTest", "steady", "passed")
    assert [case["name"] for case in suite["cases"]] == [
        "arrival-rate load", "threshold p99 < 5s", "threshold error_rate < 60%"
    ]  # fmt: skip
    assert suite["cases"][0]["latency"]["count"] == 40
    assert suite["attachment"]["overall"]["count"] == 40
    assert suite["attachment"]["seed"] == 1


def test_apply_runs_the_load_tests_records_them_and_reports_junit(project: Path) -> None:
    done = mcpctl("apply", "load.yaml", "--report", "junit:junit.xml", cwd=project)
    assert done.returncode == 1, done.stderr  # breaking aborts on its threshold
    assert "LoadTest/steady: arrival-rate, shared sessions, seed " in done.stdout
    assert "aborted: threshold 'error_rate < 1% (call refuse)' broke at 1s (observed 1)" in done.stdout
    junit = (project / "junit.xml").read_text(encoding="utf-8")
    assert 'testsuite name="LoadTest/breaking"' in junit
    assert 'testcase name="threshold error_rate &lt; 1% (call refuse)"' in junit
    listed = mcpctl("runs", "-o", "json", cwd=project)
    [run] = json.loads(listed.stdout)
    assert (run["command"], run["suites"], run["exitCode"]) == (
        "apply", ["LoadTest/steady", "LoadTest/breaking"], 1
    )  # fmt: skip
