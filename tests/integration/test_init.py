"""``mcpctl init`` against real servers (server-everything, server-filesystem on a temporary directory,
a server on the official Python SDK) and three bundled mocks: every suite it writes validates and
passes on the next ``mcpctl test`` (under CI=true, where a missing snapshot would fail), every
read-only tool has a live test, and no tool that is not read-only was called (the mock's call
history, the SDK server's call log, the untouched directory)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mcpctl.engine.init.author import snapshots_supported
from testing.cli import mcpctl
from testing.paths import EVERYTHING_JS, NODE, NODE_MODULES, PYTHON

FILESYSTEM_JS = NODE_MODULES / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
HAS_NODE = shutil.which(NODE) is not None


@pytest.fixture(autouse=True)
def ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a CI runner: a snapshot missing on the next run fails it (init must record them all)."""
    monkeypatch.setenv("CI", "true")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The directory mcpctl runs in (its state in ``.mcpctl/``), HOME beside it."""
    (tmp_path / "home").mkdir()
    work = tmp_path / "project"
    work.mkdir()
    return work


def written(out: Path) -> tuple[dict, dict]:
    """The lock and the TestSuite document init wrote into ``out``."""
    (lock,) = out.glob("*.tools.lock.json")
    (suite,) = out.glob("*.tests.yaml")
    return json.loads(lock.read_text(encoding="utf-8")), yaml.safe_load(suite.read_text(encoding="utf-8"))


def read_only_tools(lock: dict) -> set[str]:
    return {
        name
        for name, entry in lock["tools"].items()
        if entry["definition"].get("annotations", {}).get("readOnlyHint") is True
    }


def live_calls(suite: dict) -> dict[str, dict]:
    """Tool name → its live (not skipped) test."""
    return {t["call"]: t for t in suite["tests"] if "call" in t and "skip" not in t}


def check_next_run_passes(project: Path, out: str) -> list[dict]:
    """``mcpctl validate`` and ``mcpctl test`` of what init wrote, as the next run: the cases."""
    valid = mcpctl("validate", out, cwd=project)
    assert valid.returncode == 0, valid.stderr
    run = mcpctl("test", out, "-o", "json", cwd=project)
    assert run.returncode == 0, run.stdout + run.stderr
    cases = [case for suite in json.loads(run.stdout)["suites"] for case in suite["cases"]]
    assert {case["status"] for case in cases} <= {"passed", "skipped"}
    return cases


def mock_history(project: Path) -> set[str]:
    history = mcpctl("mock", "history", "-o", "json", cwd=project)
    assert history.returncode == 0, history.stderr
    return {call["tool"] for call in json.loads(history.stdout)}


@pytest.mark.parametrize(
    ("mock", "name"),
    [("builtin:github", "github-mcp-server"), ("builtin:filesystem", None), ("builtin:jira", None)],
)
def test_a_bundled_mock_gets_a_passing_suite_and_only_read_only_calls(
    project: Path, mock: str, name: str | None
) -> None:
    made = mcpctl("init", mock, "--out", "specs", cwd=project)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1] == "next: mcpctl test specs"
    lock, suite = written(project / "specs")
    read_only = read_only_tools(lock)
    assert read_only, "the mock has read-only tools"
    assert set(live_calls(suite)) == read_only
    cases = check_next_run_passes(project, "specs")
    assert len([c for c in cases if c["status"] == "passed"]) >= len(read_only) + 1
    # every call the mock ever answered, init's own and both runs': read-only tools only
    assert mock_history(project) == read_only
    if name is not None:
        assert suite["server"] == name
    servers = yaml.safe_load(next((project / "specs").glob("*.servers.yaml")).read_text(encoding="utf-8"))
    assert servers["servers"][suite["server"]]["mock"] == mock


def test_allow_destructive_calls_the_non_destructive_tools_too(project: Path) -> None:
    made = mcpctl("init", "builtin:github", "--out", "specs", "--allow-destructive", cwd=project)
    assert made.returncode == 0, made.stderr
    lock, suite = written(project / "specs")
    destructive = {
        n for n, e in lock["tools"].items() if e["definition"]["annotations"].get("destructiveHint") is True
    }
    assert destructive == {"update_issue", "merge_pull_request"}
    assert mock_history(project) == set(lock["tools"]) - destructive
    assert set(live_calls(suite)) == set(lock["tools"]) - destructive
    check_next_run_passes(project, "specs")


def test_the_official_sdk_server(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = project / "calls.log"
    monkeypatch.setenv("MCPCTL_TEST_CALL_LOG", str(log))
    made = mcpctl("init", "--out", "specs", "--", PYTHON, "-m", "testing.servers.sdk_notes", cwd=project)
    assert made.returncode == 0, made.stderr
    lock, suite = written(project / "specs")
    read_only = {"list_notes", "get_note", "search_notes", "lookup_tag"}
    assert read_only_tools(lock) == read_only
    calls = live_calls(suite)
    assert set(calls) == read_only
    assert calls["get_note"]["with"] == {"note_id": 1}  # minimum: 1 respected
    assert calls["search_notes"]["with"] == {"query": "milk"}  # the schema's example first
    assert calls["get_note"]["expect"]["isError"] is False
    assert calls["get_note"]["expect"]["outputSchema"] is True
    assert set(log.read_text(encoding="utf-8").split()) == read_only
    assert "  add_note: not annotated readOnlyHint: true (call it with --allow-destructive)" in made.stdout
    assert (
        "  delete_note: annotated destructiveHint: true (call it with --allow-destructive=all)" in made.stdout
    )
    cases = check_next_run_passes(project, "specs")
    assert {c["name"] for c in cases} >= {"get_note answers", "read notes://all", "prompt summarize"}
    assert set(log.read_text(encoding="utf-8").split()) == read_only


@pytest.mark.interop
@pytest.mark.skipif(not HAS_NODE, reason="node is not installed")
def test_server_filesystem_on_a_temporary_directory(project: Path, tmp_path: Path) -> None:
    if not FILESYSTEM_JS.exists():
        pytest.fail("server-filesystem is not installed: run scripts/setup.sh")
    root = tmp_path / "files"
    (root / "docs").mkdir(parents=True)
    (root / "notes.txt").write_text("keep me\n", encoding="utf-8")
    (root / "docs" / "a.md").write_text("# A\n", encoding="utf-8")
    before = sorted(
        (str(p.relative_to(root)), p.read_bytes() if p.is_file() else b"") for p in root.rglob("*")
    )
    made = mcpctl("init", "--out", "specs", "--", NODE, str(FILESYSTEM_JS), str(root), cwd=project)
    assert made.returncode == 0, made.stderr
    lock, suite = written(project / "specs")
    read_only = read_only_tools(lock)
    assert {"read_text_file", "list_directory", "directory_tree", "search_files"} <= read_only
    assert {"write_file", "edit_file", "move_file", "create_directory"}.isdisjoint(read_only)
    assert set(live_calls(suite)) == read_only
    assert live_calls(suite)["list_directory"]["with"] == {"path": "."}
    check_next_run_passes(project, "specs")
    after = sorted(
        (str(p.relative_to(root)), p.read_bytes() if p.is_file() else b"") for p in root.rglob("*")
    )
    assert after == before  # nothing written, moved or created


@pytest.mark.interop
@pytest.mark.skipif(not HAS_NODE, reason="node is not installed")
def test_server_everything(project: Path) -> None:
    if not EVERYTHING_JS.exists():
        pytest.fail("server-everything is not installed: run scripts/setup.sh")
    # its long-running operation takes 10 s by default: with --timeout 3 init leaves it skipped
    command = ("--", NODE, str(EVERYTHING_JS), "stdio")
    made = mcpctl("init", "--out", "specs", "--timeout", "3", *command, cwd=project)
    assert made.returncode == 0, made.stderr
    lock, suite = written(project / "specs")
    read_only = read_only_tools(lock)
    slow = "trigger-long-running-operation"
    assert {"echo", "get-sum", "get-structured-content", slow} <= read_only
    assert set(live_calls(suite)) == read_only - {slow}
    (skipped,) = [t for t in suite["tests"] if t.get("call") == slow]
    assert skipped["skip"] == "no answer within 3s (fill in arguments that work, then remove this skip)"
    assert live_calls(suite)["get-structured-content"]["expect"]["outputSchema"] is True
    prompts = {t["prompt"]: t for t in suite["tests"] if "prompt" in t}
    assert set(prompts) == {"simple-prompt", "args-prompt", "completable-prompt", "resource-prompt"}
    # the values the server suggests (completion/complete) make resource-prompt answer
    assert "skip" not in prompts["resource-prompt"]
    reads = [t["read"] for t in suite["tests"] if "read" in t]
    assert len(reads) == 7
    cases = check_next_run_passes(project, "specs")
    if snapshots_supported():
        snapshots = list((project / "specs" / "__snapshots__").rglob("*.json"))
        assert len(snapshots) >= 10
    assert len(cases) == len(suite["tests"])


@pytest.mark.interop
@pytest.mark.skipif(not HAS_NODE, reason="node is not installed")
def test_server_everything_over_http_keeps_secrets_out_of_the_files(
    project: Path, everything_http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = mcpctl(
        "init", everything_http_server, "-H", "X-Api-Key: s3cr3t-value", "-H", "X-Team: core",
        "--out", "specs", "--timeout", "3", cwd=project,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[-1] == (
        "(before running it, set MCPCTL_HEADER_X_API_KEY: the specs read them from the environment)"
    )
    servers = yaml.safe_load(next((project / "specs").glob("*.servers.yaml")).read_text(encoding="utf-8"))
    (entry,) = servers["servers"].values()
    assert entry["url"] == everything_http_server
    assert entry["headers"] == {"X-Api-Key": "${env:MCPCTL_HEADER_X_API_KEY}", "X-Team": "core"}
    for path in (project / "specs").rglob("*"):
        assert not path.is_file() or b"s3cr3t-value" not in path.read_bytes(), path
    monkeypatch.setenv("MCPCTL_HEADER_X_API_KEY", "s3cr3t-value")
    check_next_run_passes(project, "specs")
