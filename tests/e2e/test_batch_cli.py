"""A BatchPlan through the CLI as a user runs it: ``mcpctl plan``, ``apply`` (``--yes``, ``--resume``,
``--report``, the confirmation), ``runs``/``show`` and ``rollback``, each a subprocess in a project
directory with HOME in tmp_path and the default state directory (``.mcpctl/``).

The plan deploys a remote server into a small Cursor config and calls an echo mock (served over stdio
by mcpctl itself) for three input records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import xmlschema

from testing.cli import mcpctl
from testing.paths import ROOT

JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
CONFIG = """\
{
  "mcpServers": {
    "linear": {"url": "https://mcp.linear.app/sse"}
  }
}
"""
ECHO = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: echo}
tools:
  - name: echo
    inputSchema: {type: object, properties: {value: {type: string}}, required: [value]}
    responses:
      - when: {args: {value: boom}}
        respond: {text: "cannot echo boom", isError: true}
    default: {text: "{{ args.value }}"}
"""
ITEMS = '{"id": "a", "value": "alpha"}\n{"id": "b", "value": "beta"}\n{"id": "c", "value": "gamma"}\n'
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  echo: {mock: echo.yaml}
  remote: {url: "https://mcp.example.com/mcp"}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: demo}
concurrency: 4
operations:
  - deploy:
      servers: [remote]
      to: [{client: cursor, file: cfg/mcp.json}]
  - execute:
      server: echo
      tool: echo
      input: items.jsonl
      key: id
      with: {value: "{{ record.value }}"}
      output: out/answers.jsonl
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "cfg").mkdir(parents=True)
    (tmp_path / "home").mkdir()
    (project / "cfg" / "mcp.json").write_text(CONFIG, encoding="utf-8")
    (project / "echo.yaml").write_text(ECHO, encoding="utf-8")
    (project / "items.jsonl").write_text(ITEMS, encoding="utf-8")
    (project / "plan.yaml").write_text(PLAN, encoding="utf-8")
    return project


def answers(project: Path) -> list[dict[str, object]]:
    lines = (project / "out" / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda answer: str(answer["key"]))


def echoed(key: str, text: str) -> dict[str, object]:
    return {"key": key, "result": {"content": [{"type": "text", "text": text}]}}


def run_ids(project: Path) -> list[str]:
    return sorted(p.name for p in (project / ".mcpctl" / "runs").iterdir())


def cells(line: str) -> list[str]:
    """A table row split into its cells (two or more spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


def deployed() -> str:
    """The config with the remote server added (as the plan's diff shows)."""
    return CONFIG.replace(
        '    "linear": {"url": "https://mcp.linear.app/sse"}\n',
        '    "linear": {"url": "https://mcp.linear.app/sse"},\n'
        '    "remote": {\n      "url": "https://mcp.example.com/mcp"\n    }\n',
    )


# -- mcpctl plan --------------------------------------------------------------------------------
def test_plan_prints_the_diff_and_the_counts_and_changes_nothing(project: Path) -> None:
    done = mcpctl("plan", "plan.yaml", cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    config, items, output = (
        project / "cfg" / "mcp.json",
        project / "items.jsonl",
        project / "out" / "answers.jsonl",
    )
    assert done.stdout == (
        "BatchPlan/demo: 2 operations, concurrency 4, onFailure halt\n"
        "\n"
        "1. deploy remote to cursor:cfg/mcp.json: 1 add\n"
        f"   add remote to {config}\n"
        f"     --- {config}\n"
        f"     +++ {config}\n"
        "     @@ -1,5 +1,8 @@\n"
        "      {\n"
        '        "mcpServers": {\n'
        '     -    "linear": {"url": "https://mcp.linear.app/sse"}\n'
        '     +    "linear": {"url": "https://mcp.linear.app/sse"},\n'
        '     +    "remote": {\n'
        '     +      "url": "https://mcp.example.com/mcp"\n'
        "     +    }\n"
        "        }\n"
        "      }\n"
        f"2. execute echo on echo for each record of {items}: 3 to call\n"
        f"   answers appended to {output}\n"
        f"   creates {output}\n"
        "\n"
        "Plan: 1 add, 3 to call.\n"
    )
    assert (project / "cfg" / "mcp.json").read_text(encoding="utf-8") == CONFIG
    assert not (project / "out").exists()
    assert not (project / ".mcpctl").exists()


def test_plan_as_json(project: Path) -> None:
    done = mcpctl("plan", "plan.yaml", "--output", "json", cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    config, items, output = (
        project / "cfg" / "mcp.json",
        project / "items.jsonl",
        project / "out" / "answers.jsonl",
    )
    diff = (
        f"--- {config}\n+++ {config}\n@@ -1,5 +1,8 @@\n {{\n"
        '   "mcpServers": {\n'
        '-    "linear": {"url": "https://mcp.linear.app/sse"}\n'
        '+    "linear": {"url": "https://mcp.linear.app/sse"},\n'
        '+    "remote": {\n+      "url": "https://mcp.example.com/mcp"\n+    }\n'
        "   }\n }\n"
    )
    assert json.loads(done.stdout) == {
        "plan": "demo",
        "operations": [
            {
                "index": 1,
                "op": "deploy",
                "title": "deploy remote to cursor:cfg/mcp.json",
                "counts": {"add": 1},
                "notes": [],
                "steps": [
                    {
                        "id": f"1.deploy/remote@cursor:{config}",
                        "item": f"remote@cursor:{config}",
                        "summary": f"add remote to {config}",
                        "noop": False,
                        "diff": diff,
                    }
                ],
            },
            {
                "index": 2,
                "op": "execute",
                "title": f"execute echo on echo for each record of {items}",
                "counts": {"to call": 3, "already answered": 0},
                "notes": [f"answers appended to {output}", f"creates {output}"],
                "steps": [
                    {"id": f"2.execute/{key}", "item": key, "summary": "", "noop": False, "diff": ""}
                    for key in "abc"
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "concurrency: 4",
            "concurrency: 0",
            "plan.yaml:11:14: BatchPlan/demo: concurrency: must be at least 1 (got 0)",
        ),
        (
            "servers: [remote]",
            "servers: [remote, ghost]",
            "plan.yaml:14:25: BatchPlan/demo: operations[0].deploy.servers[1]: unknown server 'ghost' "
            "(known: echo, remote)",
        ),
    ],
)
@pytest.mark.parametrize("verb", ["plan", "apply"])
def test_an_invalid_plan_exits_2_naming_file_line_and_column(
    project: Path, verb: str, old: str, new: str, message: str
) -> None:
    (project / "plan.yaml").write_text(PLAN.replace(old, new), encoding="utf-8")
    done = (
        mcpctl(verb, "plan.yaml", "--yes", cwd=project)
        if verb == "apply"
        else mcpctl(verb, "plan.yaml", cwd=project)
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"mcpctl: error: {message}\n"
    assert (project / "cfg" / "mcp.json").read_text(encoding="utf-8") == CONFIG
    assert not (project / ".mcpctl").exists()


# -- apply, runs, show, a second apply ----------------------------------------------------------
def test_apply_records_a_run_and_a_second_apply_changes_nothing(project: Path) -> None:
    done = mcpctl("apply", "plan.yaml", "--yes", cwd=project)
    assert done.returncode == 0, done.stderr
    (run_id,) = run_ids(project)
    config = project / "cfg" / "mcp.json"
    rows = [cells(line) for line in done.stdout.splitlines()[1:3]]
    assert [row[:3] for row in rows] == [
        ["BatchPlan/demo/1.deploy", f"1.deploy/remote@cursor:{config}", "passed"],
        ["BatchPlan/demo/2.execute", "2.execute: 3 items", "passed"],
    ]
    assert done.stdout.endswith(f"run {run_id}: mcpctl show {run_id}\n")
    assert "2 passed in " in done.stdout
    assert config.read_text(encoding="utf-8") == deployed()
    assert answers(project) == [echoed("a", "alpha"), echoed("b", "beta"), echoed("c", "gamma")]

    listed = mcpctl("runs", cwd=project)
    assert listed.returncode == 0
    row = cells(next(line for line in listed.stdout.splitlines() if line.startswith(run_id)))
    assert [row[0], *row[2:8]] == [
        run_id,
        "apply",
        "BatchPlan/demo/1.deploy, BatchPlan/demo/2.execute",
        "passed",
        "2",
        "0",
        "0",
    ]
    shown = mcpctl("show", run_id, cwd=project)
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[:2] == [f"run      {run_id}", "command  mcpctl apply"]
    assert "status   passed (exit code 0)" in shown.stdout

    before = config.read_bytes(), (project / "out" / "answers.jsonl").read_bytes()
    again = mcpctl("apply", "plan.yaml", "--yes", "--output", "json", cwd=project)
    assert again.returncode == 0, again.stderr
    cases = [
        (c["name"], c["status"], c["message"]) for s in json.loads(again.stdout)["suites"] for c in s["cases"]
    ]
    output = project / "out" / "answers.jsonl"
    assert cases == [
        (f"1.deploy/remote@cursor:{config}", "skipped", f"unchanged: remote in {config}"),
        ("2.execute: 3 items skipped", "skipped", f"3 items: already answered in {output}"),
    ]
    assert (config.read_bytes(), output.read_bytes()) == before
    assert len(run_ids(project)) == 2


def test_a_stdin_that_is_not_a_terminal_applies_without_asking(project: Path) -> None:
    """(A terminal is asked first: tests/e2e/test_batch_confirm.py.)"""
    done = mcpctl("apply", "plan.yaml", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Do you want to apply" not in done.stdout
    assert (project / "cfg" / "mcp.json").read_text(encoding="utf-8") == deployed()
    assert len(answers(project)) == 3


# -- rollback -----------------------------------------------------------------------------------
def test_rollback_last_restores_every_byte_and_can_be_repeated(project: Path) -> None:
    assert mcpctl("apply", "plan.yaml", "--yes", cwd=project).returncode == 0
    (run_id,) = run_ids(project)
    config, output = project / "cfg" / "mcp.json", project / "out" / "answers.jsonl"
    done = mcpctl("rollback", cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"removed: {output}\nrestored: {config}\nRollback of {run_id}: 2 files, 0 failed.\n"
    )
    assert config.read_bytes() == CONFIG.encode()
    assert not output.exists()
    again = mcpctl("rollback", run_id[:17], cwd=project)
    assert (again.returncode, again.stderr) == (0, "")
    assert (
        again.stdout == f"absent: {output}\nunchanged: {config}\nRollback of {run_id}: 2 files, 0 failed.\n"
    )


def test_last_is_the_run_that_started_last(project: Path) -> None:
    """Run ids sort by their second, then by a random suffix: of two runs started in the same second,
    ``last`` is the later one (as for ``mcpctl show last``), not the one with the larger suffix."""
    for _ in range(2):
        assert mcpctl("apply", "plan.yaml", "--yes", cwd=project).returncode == 0
    runs = project / ".mcpctl" / "runs"
    first, second = sorted(
        runs.iterdir(), key=lambda run: json.loads((run / "run.json").read_text())["started_at"]
    )
    for directory, run_id in ((first, "20261125T120000-ffffff"), (second, "20261125T120000-000000")):
        record = json.loads((directory / "run.json").read_text())
        (directory / "run.json").write_text(json.dumps({**record, "run_id": run_id}))
        directory.rename(runs / run_id)
    done = mcpctl("rollback", "last", cwd=project)
    assert done.returncode == 0, done.stderr
    output = project / "out" / "answers.jsonl"
    assert done.stdout.splitlines() == [
        f"unchanged: {output}",  # the second run only appended to the output, and nothing
        "Rollback of 20261125T120000-000000: 1 file, 0 failed.",
    ]
    assert (project / "cfg" / "mcp.json").read_text(encoding="utf-8") == deployed()


# -- resume -------------------------------------------------------------------------------------
def test_resume_of_an_unknown_run_exits_2(project: Path) -> None:
    done = mcpctl("apply", "--resume", "nope", "--yes", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "mcpctl: error: no batch runs in .mcpctl/runs\n"
    assert mcpctl("apply", "plan.yaml", "--yes", cwd=project).returncode == 0
    (run_id,) = run_ids(project)
    done = mcpctl("apply", "--resume", "nope", "--yes", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"mcpctl: error: no batch run 'nope' in .mcpctl/runs (latest: {run_id})\n"


def test_resume_is_refused_when_the_plan_changed(project: Path) -> None:
    assert mcpctl("apply", "plan.yaml", "--yes", cwd=project).returncode == 0
    (run_id,) = run_ids(project)
    (project / "plan.yaml").write_text(
        PLAN.replace("{{ record.value }}", "{{ record.id }}"), encoding="utf-8"
    )
    done = mcpctl("apply", "--resume", run_id, "--yes", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"mcpctl: error: run {run_id}: the operations of BatchPlan/demo changed since the run started; "
        "resume finishes the same work (concurrency, timeout, retry, memoryLimit and the failure policy "
        f"may change): restore them, or roll back with `mcpctl rollback {run_id}` and apply anew\n"
    )
    (project / "plan.yaml").write_text(PLAN.replace("concurrency: 4", "concurrency: 2"), encoding="utf-8")
    resumed = mcpctl("apply", "--resume", run_id, "--yes", "--output", "json", cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    cases = [(c["status"], c["message"]) for s in json.loads(resumed.stdout)["suites"] for c in s["cases"]]
    assert cases == [("passed", "done before this resume"), ("passed", "3 items: done before this resume")]


# -- reports ------------------------------------------------------------------------------------
def test_reports_of_a_batch_run_and_of_its_resume(project: Path) -> None:
    done = mcpctl(
        "apply",
        "plan.yaml",
        "--yes",
        "--report",
        "junit:r/junit.xml",
        "--report",
        "json:r/run.json",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    (run_id,) = run_ids(project)
    junit = (project / "r" / "junit.xml").read_text(encoding="utf-8")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(junit)
    assert '<testsuite name="BatchPlan/demo/1.deploy" tests="1" failures="0" errors="0" skipped="0"' in junit
    assert '<testsuite name="BatchPlan/demo/2.execute" tests="1" failures="0" errors="0" skipped="0"' in junit
    assert 'timestamp="1970-' not in junit
    report = json.loads((project / "r" / "run.json").read_text(encoding="utf-8"))
    assert report["run"]["id"] == run_id
    assert report["run"]["summary"] == {"passed": 2, "failed": 0, "error": 0, "skipped": 0, "total": 2}
    deploy, execute = report["suites"]
    assert (deploy["name"], execute["name"]) == ("demo/1.deploy", "demo/2.execute")
    # each operation its own start and duration, one after the other within the run
    assert report["run"]["startedAt"] <= deploy["startedAt"] <= execute["startedAt"]
    assert deploy["durationMs"] > 0
    assert execute["durationMs"] > 0
    assert deploy["durationMs"] + execute["durationMs"] <= report["run"]["durationMs"]

    resumed = mcpctl("apply", "--resume", "last", "--yes", "--report", "json:r/resumed.json", cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((project / "r" / "resumed.json").read_text(encoding="utf-8"))
    assert report["run"]["id"] == run_id
    assert [c["message"] for s in report["suites"] for c in s["cases"]] == [
        "done before this resume",
        "3 items: done before this resume",
    ]


# -- onFailure: rollback ------------------------------------------------------------------------
def test_on_failure_rollback_undoes_the_deploy_of_the_same_run_and_exits_1(project: Path) -> None:
    plan = PLAN.replace("concurrency: 4", "concurrency: 1\nonFailure: rollback")
    (project / "plan.yaml").write_text(plan, encoding="utf-8")
    (project / "items.jsonl").write_text(ITEMS.replace('"beta"', '"boom"'), encoding="utf-8")
    done = mcpctl("apply", "plan.yaml", "--yes", cwd=project)
    assert done.returncode == 1, done.stderr
    (run_id,) = run_ids(project)
    config, output = project / "cfg" / "mcp.json", project / "out" / "answers.jsonl"
    assert config.read_bytes() == CONFIG.encode()
    assert not output.exists()
    stopped = "2.execute/b failed; onFailure rollback stops at the first failure"
    lines = done.stderr.splitlines()
    assert lines[-4:] == [
        f"mcpctl: onFailure rollback: restoring the files run {run_id} changed",
        f"rolled back (removed): {output}",
        f"rolled back (restored): {config}",
        f"mcpctl: run {run_id} stopped: {stopped}",
    ]
    assert (
        "FAILED BatchPlan/demo/2.execute :: 2.execute/b\n    echo answered isError: cannot echo boom\n"
        in done.stdout
    )
    assert "1 failed, 2 passed, 1 skipped in " in done.stdout
