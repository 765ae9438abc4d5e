"""``mcpctl init`` as a user runs it: what it prints, --out, --name, --force, the safety flags (also
spelled --allow-destructive=all) and the exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mcpctl.engine.init.author import snapshots_supported
from testing.cli import mcpctl
from testing.paths import PYTHON, ROOT

FILES = (
    "atlassian-mcp-server.servers.yaml",
    "atlassian-mcp-server.tests.yaml",
    "atlassian-mcp-server.tools.lock.json",
)
READ_ONLY = (
    "atlassianUserInfo, getAccessibleAtlassianResources, getVisibleJiraProjects, getJiraIssue, "
    "searchJiraIssuesUsingJql, getTransitionsForJiraIssue, lookupJiraAccountId"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    work = tmp_path / "project"
    work.mkdir()
    return work


def test_what_init_prints(project: Path) -> None:
    made = mcpctl("init", "builtin:jira", "--out", "specs", cwd=project)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert lines[:4] == [
        "mcpctl init: wrote the specs of atlassian-mcp-server (atlassian-mcp-server 1.0.0)",
        "  specs/atlassian-mcp-server.servers.yaml  Servers spec: how to reach it, pinned",
        "  specs/atlassian-mcp-server.tests.yaml  TestSuite: 9 tests (0 skipped), 4 to fill in",
        "  specs/atlassian-mcp-server.tools.lock.json  pin lock of 11 tools",
    ]
    assert f"called (7 of 11 tools): {READ_ONLY}" in lines
    skipped = lines.index("not called (commented-out tests to fill in):")
    assert lines[skipped + 1 : skipped + 5] == [
        "  createJiraIssue: not annotated readOnlyHint: true (call it with --allow-destructive)",
        "  editJiraIssue: annotated destructiveHint: true (call it with --allow-destructive=all)",
        "  addCommentToJiraIssue: not annotated readOnlyHint: true (call it with --allow-destructive)",
        "  transitionJiraIssue: not annotated readOnlyHint: true (call it with --allow-destructive)",
    ]
    assert "refused the generated arguments (tested as answered; put real arguments in):" in lines
    assert lines[-1] == "next: mcpctl test specs"
    assert made.stderr == ""
    for name in FILES:
        assert (project / "specs" / name).is_file()
    suite = (project / "specs" / FILES[1]).read_text(encoding="utf-8")
    assert suite.startswith("# yaml-language-server: $schema=")
    assert suite.splitlines()[0].endswith("schemas/testsuite.schema.json")
    servers = (project / "specs" / FILES[0]).read_text(encoding="utf-8")
    assert servers.splitlines()[0].endswith("schemas/servers.schema.json")
    assert (
        '  atlassian-mcp-server: {mock: "builtin:jira", pin: "atlassian-mcp-server.tools.lock.json"}'
        in servers
    )
    ran = mcpctl("test", "specs", cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_existing_files_are_kept_without_force(project: Path) -> None:
    assert mcpctl("init", "builtin:jira", "--out", "specs", cwd=project).returncode == 0
    suite = project / "specs" / FILES[1]
    suite.write_text("# mine\n", encoding="utf-8")
    again = mcpctl("init", "builtin:jira", "--out", "specs", cwd=project)
    assert again.returncode == 2
    assert again.stdout == ""
    snapshots = ", specs/__snapshots__/atlassian-mcp-server.tests" if snapshots_supported() else ""
    assert again.stderr == (
        "mcpctl: error: specs/atlassian-mcp-server.servers.yaml, specs/atlassian-mcp-server.tests.yaml, "
        f"specs/atlassian-mcp-server.tools.lock.json{snapshots}: already there (pass --force to overwrite)\n"
    )
    assert suite.read_text(encoding="utf-8") == "# mine\n"
    stale = project / "specs" / "__snapshots__" / "atlassian-mcp-server.tests" / "gone.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("{}", encoding="utf-8")
    forced = mcpctl("init", "builtin:jira", "--out", "specs", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert suite.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    assert not stale.exists()


def test_a_named_server_is_checked_before_it_is_started(project: Path) -> None:
    (project / "mine.tests.yaml").write_text("# mine\n", encoding="utf-8")
    # --name known up front: the clash is found before any server starts (this one would not start)
    kept = mcpctl("init", "--name", "mine", "--", PYTHON, "-c", "pass", cwd=project)
    assert (kept.returncode, kept.stderr) == (
        2,
        "mcpctl: error: mine.tests.yaml: already there (pass --force to overwrite)\n",
    )


def test_out_defaults_to_the_working_directory_and_name_is_used(project: Path) -> None:
    made = mcpctl("init", "builtin:jira", "--name", "jira", cwd=project)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in project.glob("jira.*")) == [
        "jira.servers.yaml",
        "jira.tests.yaml",
        "jira.tools.lock.json",
    ]
    assert made.stdout.splitlines()[-1] == "next: mcpctl test ."


@pytest.mark.parametrize(
    ("flags", "called", "not_called"),
    [
        (
            ("--allow-destructive",),
            10,
            ["  editJiraIssue: annotated destructiveHint: true (call it with --allow-destructive=all)"],
        ),
        (("--allow-destructive-all",), 11, []),
        (("--allow-destructive=all",), 11, []),
    ],
)
def test_the_safety_flags(project: Path, flags: tuple[str, ...], called: int, not_called: list[str]) -> None:
    made = mcpctl("init", "builtin:jira", "--out", "specs", *flags, cwd=project)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert any(line.startswith(f"called ({called} of 11 tools): ") for line in lines)
    shown = lines[lines.index("not called (commented-out tests to fill in):") + 1 :][:1] if not_called else []
    assert shown == not_called
    assert ("not called (commented-out tests to fill in):" in lines) == bool(not_called)


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (
            ("builtin:nope",),
            2,
            "mcpctl: error: no bundled mock named 'nope' (bundled: ",
        ),
        (
            ("builtin:jira", "--name", "bad name"),
            2,
            "mcpctl: error: --name 'bad name': use letters, digits, '_', '.' and '-', starting with a letter "
            "or digit (at most 63 characters)",
        ),
        (("--", PYTHON, "-c", "pass"), 3, "mcpctl: error: server closed its stdout (exit code 0)"),
        (("nope",), 2, "mcpctl: error: SERVER 'nope' is not a URL"),
    ],
)
def test_exit_codes(project: Path, args: tuple[str, ...], code: int, stderr: str) -> None:
    made = mcpctl("init", "--out", "specs", *args, cwd=project)
    assert made.returncode == code
    assert made.stderr.startswith(stderr)
    assert not (project / "specs").exists() or not any((project / "specs").iterdir())


def test_a_servers_name_is_written_as_its_spec_writes_it(project: Path) -> None:
    (project / "mocks").mkdir()
    shutil.copy(ROOT / "examples" / "weather.yaml", project / "mocks" / "weather.yaml")
    (project / "servers.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: mine}\n"
        "servers:\n  weather: {mock: mocks/weather.yaml}\n",
        encoding="utf-8",
    )
    made = mcpctl(
        "init", "weather", "--servers", "servers.yaml", "--name", "weather", "--out", "specs", cwd=project
    )
    assert made.returncode == 0, made.stderr
    servers = (project / "specs" / "weather.servers.yaml").read_text(encoding="utf-8").splitlines()
    assert servers[1].startswith(
        "# Written by mcpctl init from weather in servers.yaml: server weather-mock 1.0.0"
    )
    assert servers[-1] == '  weather: {mock: "../mocks/weather.yaml", pin: "weather.tools.lock.json"}'
    ran = mcpctl("test", "specs", cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
