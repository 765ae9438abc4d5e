"""Snapshots as a user meets them: ``mcpctl test`` against a mock whose answers carry fresh timestamps,
UUIDs, epoch times and temporary paths on every call. The normalizers hold across runs; a changed answer
fails with its diff; ``--update-snapshots`` rewrites exactly the changed files and refuses while another
assertion fails; under ``CI=true`` a missing snapshot fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testing.paths import PYTHON, ROOT

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: stamps}
server: {name: stamps, version: 1.0.0}
tools:
  - name: create
    description: Creates a record.
    inputSchema: {type: object, properties: {title: {type: string}}}
    annotations: {readOnlyHint: true}
    default:
      text: "created {{ args.title }} at {{ now() }} in /tmp/run-{{ random_string(8) }}/out.txt"
      structuredContent:
        id: "{{ uuid() }}"
        title: "{{ args.title }}"
        size: 3
        createdAt: "{{ now() }}"
        updatedAt: "{{ random_int(1700000000000, 1800000000000) }}"
        owners: [{name: bo, id: "{{ uuid() }}"}, {name: al, id: "{{ uuid() }}"}]
  - name: status
    description: The server's status.
    inputSchema: {type: object}
    annotations: {readOnlyHint: true}
    default:
      text: "up since {{ now() }}"
      structuredContent: {state: up, session: "{{ uuid() }}", etag: "{{ random_string(12) }}"}
"""

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: api}
server: {mock: ./mock.yaml}
defaults:
  normalize: [{preset: timestamps}, {preset: uuids}, {preset: tmp-paths}]
tests:
  - name: create
    call: create
    with: {title: hello}
    normalize: [{sortLists: [/structuredContent/owners]}]
    expect: {isError: false, snapshot: create}
  - name: status
    call: status
    normalize: [{ignoreKeys: [etag]}]
    expect: {text: {contains: up}, snapshot: status}
"""

CREATE_SNAPSHOT = """\
{
  "content": [
    {
      "text": "created hello at <timestamp> in <tmp-path>",
      "type": "text"
    }
  ],
  "isError": false,
  "structuredContent": {
    "createdAt": "<timestamp>",
    "id": "<uuid>",
    "owners": [
      {
        "id": "<uuid>",
        "name": "al"
      },
      {
        "id": "<uuid>",
        "name": "bo"
      }
    ],
    "size": 3,
    "title": "hello",
    "updatedAt": "<timestamp>"
  }
}
"""


def mcpctl(project: Path, *args: str, ci: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    return subprocess.run(
        [PYTHON, "-m", "mcpctl", "test", "api.yaml", *args],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
        env={**env, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **({"CI": "true"} if ci else {})},
    )


def files(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every snapshot file: its bytes and mtime."""
    root = project / "__snapshots__"
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def changed(before: dict[str, tuple[bytes, int]], after: dict[str, tuple[bytes, int]]) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mock.yaml").write_text(MOCK)
    (tmp_path / "api.yaml").write_text(SUITE)
    return tmp_path


def test_written_once_then_the_normalizers_hold(project: Path) -> None:
    first = mcpctl(project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert [line.split()[-3:] for line in first.stdout.splitlines()[1:3]] == [
        ["snapshot", "create", "written"],
        ["snapshot", "status", "written"],
    ]
    assert "snapshots: 2 written, 0 updated, 0 unchanged" in first.stdout.splitlines()
    assert (project / "__snapshots__" / "api" / "create.json").read_text() == CREATE_SNAPSHOT
    assert (project / "__snapshots__" / "api" / "status.json").read_text().count("<uuid>") == 1
    before = files(project)
    again = mcpctl(project)  # new ids, times, paths and etags: the same snapshots
    assert again.returncode == 0, again.stdout + again.stderr
    assert "snapshots: 0 written, 0 updated, 2 unchanged" in again.stdout.splitlines()
    assert changed(before, files(project)) == set()


def test_a_changed_answer_fails_with_its_diff_and_update_rewrites_only_it(project: Path) -> None:
    assert mcpctl(project).returncode == 0
    before = files(project)
    (project / "mock.yaml").write_text(MOCK.replace("size: 3", "size: 4"))
    failed = mcpctl(project)
    assert failed.returncode == 1
    text = failed.stdout
    block = text[text.index("FAILED TestSuite/api :: create") :].split("\n\n")[0].splitlines()
    assert block == [
        "FAILED TestSuite/api :: create (api.yaml:8)",
        "    snapshot create: the answer differs from __snapshots__/api/create.json"
        " (mcpctl test --update-snapshots accepts it)",
        "    --- __snapshots__/api/create.json",
        "    +++ answer",
        "    @@ -21,3 +21,3 @@",
        "         ],",
        '    -    "size": 3,',
        '    +    "size": 4,',
        '         "title": "hello",',
    ]
    assert "snapshots: 0 written, 0 updated, 1 unchanged, 1 failed" in text.splitlines()
    assert changed(before, files(project)) == set()  # a failed compare writes nothing

    updated = mcpctl(project, "--update-snapshots")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "snapshots: 0 written, 1 updated, 1 unchanged" in updated.stdout.splitlines()
    after = files(project)
    assert changed(before, after) == {"api/create.json"}
    assert after["api/create.json"][0].decode() == CREATE_SNAPSHOT.replace('"size": 3', '"size": 4')
    assert mcpctl(project).returncode == 0


def test_update_refuses_while_another_assertion_of_the_test_fails(project: Path) -> None:
    assert mcpctl(project).returncode == 0
    before = files(project)
    (project / "mock.yaml").write_text(MOCK.replace('text: "up since', 'text: "down since'))
    refused = mcpctl(project, "--update-snapshots")
    assert refused.returncode == 1
    text = refused.stdout
    block = text[text.index("FAILED TestSuite/api :: status") :].split("\n\n")[0].splitlines()
    assert block[1:] == [
        '    text: expected to contain "up", got "down since ' + block[1].split("down since ")[1],
        "    snapshot status not updated: the test's other assertions fail",
    ]
    assert "snapshots: 0 written, 0 updated, 1 unchanged, 1 failed" in text.splitlines()
    assert changed(before, files(project)) == set()


def test_under_ci_a_missing_snapshot_fails(project: Path) -> None:
    done = mcpctl(project, ci=True)
    assert done.returncode == 1
    assert "    snapshot create missing; run mcpctl test --update-snapshots" in done.stdout.splitlines()
    assert "snapshots: 0 written, 0 updated, 0 unchanged, 2 failed" in done.stdout.splitlines()
    assert not (project / "__snapshots__").exists()
    written = mcpctl(project, "--update-snapshots", ci=True)
    assert written.returncode == 0, written.stdout
    assert set(files(project)) == {"api/create.json", "api/status.json"}
