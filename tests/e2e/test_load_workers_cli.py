"""``mcpctl load --workers N``: one LoadTest on N processes, merged as shards are (subprocesses against the
echo mock of tests/e2e/test_load_cli.py, which mcpctl serves over stdio: one per worker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpctl.engine.load.shard import part_seed
from testing.cli import mcpctl, without_advice
from tests.e2e.test_load_cli import BREAKING, STEADY, make_project, picks


@pytest.fixture
def project(tmp_path: Path) -> Path:
    unreachable = STEADY.replace("name: steady", "name: unreachable").replace(
        "server: echo", "server: {command: /nonexistent/mcp-server}"
    )
    return make_project(tmp_path, STEADY, BREAKING, unreachable)


def test_two_workers_send_the_whole_load_and_merge_it(project: Path) -> None:
    done = mcpctl(
        "load", "load.yaml", "--select", "steady", "--seed", "1", "--workers", "2", "-o", "json", cwd=project
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    [result] = json.loads(done.stdout)["results"]
    # 20 calls/s for 2 s: each worker sends 10/s, 20 calls, with a seed of its own
    (echo1, refuse1), (echo2, refuse2) = picks(20), picks(20, part_seed(1, 2))
    assert [(c["name"], c["count"], c["outcomes"]) for c in result["calls"]] == [
        ("echo", echo1 + echo2, {"ok": echo1 + echo2}),
        ("refuse", refuse1 + refuse2, {"is_error": refuse1 + refuse2}),
    ]
    assert result["overall"]["latency"]["count"] == 40
    assert result["initialize"]["count"] == 2  # one shared session per worker process
    assert result["seed"] == 1
    assert [t["passed"] for t in result["thresholds"]] == [True, True]
    assert result["exit_code"] == 0


def test_a_worker_that_aborts_stops_the_others(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "breaking", "--seed", "1", "--workers", "2", cwd=project)
    assert done.returncode == 1, done.stderr
    lines = without_advice(done.stdout)[:-1]  # the last says the run it was recorded as
    assert lines[-2] == "  ✗ error_rate < 1% (call refuse): 100% (aborted the test at 1s)"
    assert lines[-1].startswith("aborted: threshold 'error_rate < 1% (call refuse)' broke at 1s (observed 1)")
    # 3 s at 20/s would be 60 calls: both workers stopped at the first second's check
    overall = next(line.split() for line in lines if line.startswith("overall "))
    assert int(overall[1]) < 40


def test_a_worker_that_cannot_reach_its_server_exits_3_saying_so(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--select", "unreachable", "--workers", "2", cwd=project)
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.startswith("mcpctl: error: worker 1 exited 3 without a result: ")
    assert "/nonexistent/mcp-server" in done.stderr


def test_workers_out_of_range_exit_2(project: Path) -> None:
    done = mcpctl("load", "load.yaml", "--workers", "0", cwd=project)
    assert (done.returncode, done.stderr) == (2, "mcpctl: error: --workers 0: expected 1 to 64\n")
