"""examples/load/ as a user takes it: the LoadTest validates, and the commands of the Kubernetes Indexed
Job and of the GitHub Actions matrix (shell scripts in YAML) run as written, with 2 shards instead of
4 or 8, against the example spec in tmp_path; their results merge into the whole.

The scripts run under ``sh``/``bash`` with the variables their platform sets (``JOB_COMPLETION_INDEX``,
``${{ matrix.shard }}``), the paths of the pods' volumes (``/specs``, ``/results``) moved into tmp_path,
and ``mcpctl`` found on PATH (the venv's). The two shards of a run go at once, as they do on a cluster.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from testing.cli import mcpctl
from testing.paths import PYTHON, ROOT

EXAMPLES = ROOT / "examples" / "load"
SPEC = EXAMPLES / "echo-load.yaml"
JOB = EXAMPLES / "k8s-indexed-job.yaml.example"
WORKFLOW = EXAMPLES / "github-actions-matrix.yml.example"
BIN = Path(PYTHON).parent
PER_SHARD = 30
"""Requests of one of 2 shards of echo-load: (20 in the 1 s ramp to 40/s + 40 in 1 s at 40/s) / 2."""


def documents(path: Path) -> list[Any]:
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def job(name: str) -> dict[str, Any]:
    [found] = [d for d in documents(JOB) if d["kind"] == "Job" and d["metadata"]["name"] == name]
    return dict(found)


def workflow() -> dict[str, Any]:
    [document] = documents(WORKFLOW)
    return dict(document)


def script(container: Mapping[str, Any]) -> str:
    """The shell script a container runs: ``command: [sh, -c]`` with the script as its one argument."""
    assert container["command"] == ["sh", "-c"]
    [text] = container["args"]
    return str(text)


def env(container: Mapping[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def step(job_name: str, name_start: str) -> dict[str, Any]:
    steps = workflow()["jobs"][job_name]["steps"]
    [found] = [s for s in steps if str(s.get("name", "")).startswith(name_start)]
    return dict(found)


def help_flags(verb: str, cwd: Path) -> set[str]:
    """The options ``mcpctl VERB --help`` lists (``--output`` and its short ``-o``)."""
    done = mcpctl(verb, "--help", cwd=cwd)
    assert done.returncode == 0, done.stderr
    flags: set[str] = set()
    for short, long in re.findall(r"^\s+(?:(-\w), )?(--[a-z][a-z-]*)", done.stdout, re.M):
        flags.update(flag for flag in (short, long) if flag)
    return flags


def invocations(text: str) -> list[tuple[str, list[str]]]:
    """Each ``mcpctl VERB`` of a shell script with the options it passes (up to ``||``, ``;`` or ``|``)."""
    words = shlex.split(text.replace(";", " ; "))
    found = []
    for index, word in enumerate(words):
        if word != "mcpctl":
            continue
        verb, options = words[index + 1], []
        for option in words[index + 2 :]:
            if option in ("||", "&&", ";", "|"):
                break
            if option.startswith("-"):
                options.append(option)
        found.append((verb, options))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory to run in, HOME beside it, and the example spec where the volumes put it."""
    directory = tmp_path / "project"
    (tmp_path / "home").mkdir()
    for where in (directory / "specs", directory / "examples" / "load"):
        where.mkdir(parents=True)
        shutil.copy(SPEC, where / SPEC.name)
    return directory


POD_SHELL = ("sh", "-c")
"""How the containers run their script (``command: [sh, -c]``)."""
STEP_SHELL = ("bash", "-e", "-c")
"""How GitHub Actions runs a ``run:`` step on Linux (``bash -e {0}``)."""
Script = tuple[tuple[str, ...], str, Mapping[str, str]]
"""A shell, a script and the variables it runs with."""


def shell(command: Sequence[str], *, cwd: Path, variables: Mapping[str, str]) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if k != "MCPCTL_STATE_DIR"}
    environ |= {
        "PATH": f"{BIN}{os.pathsep}{environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "HOME": str(cwd.parent / "home"),
        **variables,
    }
    return subprocess.Popen(
        list(command),
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_all(scripts: Sequence[Script], cwd: Path) -> list[tuple[int, str, str]]:
    """Run the scripts at once; each one's exit code, stdout and stderr."""
    running = [shell([*how, text], cwd=cwd, variables=variables) for how, text, variables in scripts]
    done = []
    try:
        for process in running:
            out, err = process.communicate(timeout=60)
            done.append((process.returncode, out, err))
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    return done


def result(path: Path) -> dict[str, Any]:
    [found] = orjson.loads(path.read_bytes())["results"]
    return dict(found)


def test_the_spec_validates_and_the_platform_files_are_skipped_by_validate(project: Path) -> None:
    # the Job and the workflow are not mcpctl specs: validate reads *.yaml and *.yml only
    assert [JOB.suffix, WORKFLOW.suffix] == [".example", ".example"]
    done = mcpctl("validate", str(EXAMPLES), cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "ok: 2 documents in 1 file (MockServer/echo, LoadTest/echo-load)\n"
    assert [d["kind"] for d in documents(SPEC)] == ["MockServer", "LoadTest"]
    assert [d["kind"] for d in documents(JOB)] == ["PersistentVolumeClaim", "Job", "Job"]


def test_the_job_is_indexed_with_one_pod_per_shard() -> None:
    spec = job("mcpctl-load")["spec"]
    [container] = spec["template"]["spec"]["containers"]
    shards = int(env(container)["SHARDS"])
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", shards, shards)
    assert shards > 2  # the test below runs fewer
    assert "--shard $((JOB_COMPLETION_INDEX + 1))/$SHARDS" in script(container)
    assert "--report json:/results/shard-$JOB_COMPLETION_INDEX.json" in script(container)
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    assert volumes["spec"]["configMap"] == {"name": "mcpctl-load-spec"}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts == {"/specs": "spec", "/results": "results"}
    merge = job("mcpctl-load-merge")["spec"]["template"]["spec"]
    [wait] = merge["initContainers"]
    assert env(wait) == {"SHARDS": str(shards)}
    claims = {v["persistentVolumeClaim"]["claimName"] for v in (volumes["results"], *merge["volumes"])}
    assert claims == {"mcpctl-load-results"}


def test_the_workflow_matrix_has_one_job_per_shard_and_a_merge_after_them() -> None:
    flow = workflow()
    shards = int(flow["env"]["SHARDS"])
    shard_job, merge_job = flow["jobs"]["shard"], flow["jobs"]["merge"]
    assert shard_job["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    upload = shard_job["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "results/shard-${{ matrix.shard }}.json"
    assert merge_job["needs"] == "shard"
    download = next(
        s for s in merge_job["steps"] if s.get("uses", "").startswith("actions/download-artifact@")
    )
    assert download["with"] == {"pattern": "load-shard-*", "path": "results", "merge-multiple": True}


def test_the_commands_pass_only_options_mcpctl_accepts(project: Path) -> None:
    accepted = {verb: help_flags(verb, project) for verb in ("load", "merge")}
    texts = [
        script(job("mcpctl-load")["spec"]["template"]["spec"]["containers"][0]),
        script(job("mcpctl-load-merge")["spec"]["template"]["spec"]["containers"][0]),
        step("shard", "mcpctl load")["run"],
        step("merge", "mcpctl merge")["run"],
    ]
    used = [call for text in texts for call in invocations(text)]
    assert used == [
        ("load", ["--shard", "--report"]),
        ("merge", ["--report"]),
        ("load", ["--shard", "--report"]),
        ("merge", ["--report"]),
    ]
    for verb, options in used:
        assert set(options) <= accepted[verb], (verb, options, accepted[verb])


def check_shards(directory: Path, names: Sequence[str]) -> int:
    """The shard results in ``directory``: each 1/2 of the load, every call ok; their total count."""
    shards = [result(directory / name) for name in names]
    assert [(s["shard"], s["exit_code"], s["overall"]["count"]) for s in shards] == [
        ("1/2", 0, PER_SHARD),
        ("2/2", 0, PER_SHARD),
    ]
    assert all(s["overall"]["outcomes"] == {"ok": PER_SHARD} for s in shards)
    return sum(s["overall"]["count"] for s in shards)


def check_merged(path: Path, total: int) -> None:
    merged = result(path)
    assert (merged["name"], merged["exit_code"], merged["aborted"]) == ("echo-load", 0, False)
    assert merged["overall"]["count"] == total == 2 * PER_SHARD
    assert merged["overall"]["latency"]["count"] == total
    assert sum(call["count"] for call in merged["calls"]) == total
    assert [(t["text"], t["passed"]) for t in merged["thresholds"]] == [
        ("p99 < 500ms", True),
        ("error_rate < 1%", True),
        ("rate > 15/s", True),
    ]


def test_the_job_runs_two_shards_and_the_merge_job_merges_them(project: Path) -> None:
    def pod(container: Mapping[str, Any]) -> str:
        return script(container).replace("/specs/", f"{project}/specs/").replace("/results/", f"{project}/r/")

    load = job("mcpctl-load")["spec"]["template"]["spec"]["containers"][0]
    merge = job("mcpctl-load-merge")["spec"]["template"]["spec"]
    (project / "r").mkdir()
    indexes = [{"SHARDS": "2", "JOB_COMPLETION_INDEX": str(i)} for i in (0, 1)]
    shards = run_all([(POD_SHELL, pod(load), variables) for variables in indexes], project)
    assert [(code, err) for code, _, err in shards] == [(0, ""), (0, "")]
    total = check_shards(project / "r", ["shard-0.json", "shard-1.json"])
    # the init container's wait is over once both results are there
    [waited] = run_all([(POD_SHELL, pod(merge["initContainers"][0]), {"SHARDS": "2"})], project)
    [merged] = run_all([(POD_SHELL, pod(merge["containers"][0]), {})], project)
    assert waited == (0, "", "")
    assert (merged[0], merged[2]) == (0, "")
    assert merged[1].startswith("LoadTest/echo-load: arrival-rate, shared sessions, seed ")
    check_merged(project / "r" / "merged.json", total)


def workflow_run(text: str, shard: int) -> str:
    return text.replace("${{ matrix.shard }}", str(shard))


def test_the_matrix_runs_two_shards_and_the_merge_job_merges_them(project: Path) -> None:
    variables = {**{k: str(v) for k, v in workflow()["env"].items()}, "SHARDS": "2"}
    load = step("shard", "mcpctl load")["run"]
    shards = run_all([(STEP_SHELL, workflow_run(load, i), variables) for i in (1, 2)], project)
    assert [(code, err) for code, _, err in shards] == [(0, ""), (0, "")]
    total = check_shards(project / "results", ["shard-1.json", "shard-2.json"])
    [(code, out, err)] = run_all([(STEP_SHELL, step("merge", "mcpctl merge")["run"], variables)], project)
    assert (code, err) == (0, "")
    assert out.startswith("LoadTest/echo-load: arrival-rate, shared sessions, seed ")
    assert "  ✓ error_rate < 1%: 0%" in out.splitlines()
    check_merged(project / "results" / "merged.json", total)


def test_a_failed_threshold_still_uploads_the_shard_and_fails_the_merge(project: Path) -> None:
    spec = project / "examples" / "load" / SPEC.name
    spec.write_text(spec.read_text(encoding="utf-8").replace('"p99 < 500ms"', '"p99 < 0.001ms"'), "utf-8")
    variables = {**{k: str(v) for k, v in workflow()["env"].items()}, "SHARDS": "2"}
    load = step("shard", "mcpctl load")["run"]
    shards = run_all([(STEP_SHELL, workflow_run(load, i), variables) for i in (1, 2)], project)
    # mcpctl load exits 1 (its share broke the threshold), the step succeeds: the result is uploaded
    assert [(code, err) for code, _, err in shards] == [(0, ""), (0, "")]
    assert [result(project / "results" / f"shard-{i}.json")["exit_code"] for i in (1, 2)] == [1, 1]
    [(code, out, err)] = run_all([(STEP_SHELL, step("merge", "mcpctl merge")["run"], variables)], project)
    assert (code, err) == (1, "")  # bash -e: the step, and so the workflow, fails
    assert out.splitlines()[-3].startswith("  ✗ p99 < 0.001ms: ")
    assert result(project / "results" / "merged.json")["exit_code"] == 1
