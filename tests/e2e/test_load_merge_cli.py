"""``mcpctl load --shard I/N`` then ``mcpctl merge`` as a user runs them: two subprocess shards of a small
open-model test against an echo mock that mcpctl serves over stdio, their JSON results merged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpctl.engine.load.shard import part_seed
from testing.cli import mcpctl
from tests.e2e.test_load_cli import STEADY, make_project, picks, row

BREAKING = STEADY.replace("name: steady", "name: strict").replace('"error_rate < 60%"', '"error_rate < 1%"')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, STEADY, BREAKING)


def shard(project: Path, index: int, select: str = "steady") -> dict[str, Any]:
    done = mcpctl(
        "load", "load.yaml", "--select", select, "--seed", "1", "--shard", f"{index}/2", "-o", "json",
        "--report", f"json:shard{index}.json", cwd=project,
    )  # fmt: skip
    assert done.stderr == ""
    [result] = json.loads(done.stdout)["results"]
    assert result["shard"] == f"{index}/2"
    return dict(result)


def test_two_shards_merge_into_the_whole_profile(project: Path) -> None:
    first, second = shard(project, 1), shard(project, 2)
    # 20 calls/s for 2 s, split in two: each shard sends 20 of the 40 calls; shard 1 keeps the seed,
    # shard 2 draws from one derived from it (not the same picks)
    assert [r["overall"]["count"] for r in (first, second)] == [20, 20]
    assert [r["seed"] for r in (first, second)] == [1, part_seed(1, 2)]

    done = mcpctl("merge", "shard1.json", "shard2.json", "--report", "json:merged.json", cwd=project)

    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("LoadTest/steady: arrival-rate, shared sessions, seed 1, 2.")
    (echo1, refuse1), (echo2, refuse2) = picks(20), picks(20, part_seed(1, 2))
    assert row(done.stdout, "echo") == [str(echo1 + echo2), "100.0"]
    assert row(done.stdout, "overall") == ["40", f"{100 * (echo1 + echo2) / 40:.1f}"]
    assert lines[-2].startswith("  ✓ p99 < 5s: ")
    assert lines[-1] == f"  ✓ error_rate < 60%: {100 * (refuse1 + refuse2) / 40:.4g}%"
    [merged] = json.loads((project / "merged.json").read_text(encoding="utf-8"))["results"]
    assert merged["overall"]["count"] == 40
    assert merged["overall"]["latency"]["count"] == 40
    assert merged["exit_code"] == 0


def test_merge_exits_1_when_a_threshold_fails_on_the_merged_result(project: Path) -> None:
    shard(project, 1, "strict")
    shard(project, 2, "strict")
    done = mcpctl("merge", "shard1.json", "shard2.json", cwd=project)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[0].startswith("LoadTest/strict: arrival-rate, shared sessions, seed 1, ")
    assert done.stdout.splitlines()[-1].startswith("  ✗ error_rate < 1%: ")


def test_merge_of_a_bad_file_exits_2_naming_it(project: Path) -> None:
    (project / "bad.json").write_text('{"results": [{"name": "steady"}]}', encoding="utf-8")
    (project / "text.json").write_text("not json", encoding="utf-8")
    done = mcpctl("merge", "bad.json", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr
        == "mcpctl: error: bad.json: not a result of mcpctl load: result 'steady': missing 'spec_hash'\n"
    )
    done = mcpctl("merge", "text.json", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("mcpctl: error: text.json: not JSON: ")
    done = mcpctl("merge", "missing.json", cwd=project)
    assert (done.returncode, done.stderr) == (
        2,
        "mcpctl: error: missing.json: cannot read: No such file or directory\n",
    )
