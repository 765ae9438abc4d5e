"""BatchPlan documents: the schema, every record field built from YAML with its defaults, and every
meaning check with its exact message (one valid plan, one field broken per test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.batch_model import (
    BatchPlanSpec,
    ConfigTarget,
    DeployOp,
    ExecuteOp,
    Retry,
    TestOp,
    UpdateOp,
    ValidateOp,
)
from mcpctl.spec.build import load_specs
from mcpctl.spec.build_batch import parse_size
from mcpctl.spec.lockfile import make_lock
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.schemas import schema_for
from mcpctl.spec.units import Duration, Percent
from testing.cli import invoke as mcpctl
from tests.unit.spec_files import broken, errors_in, expected_spec_hash

OTHERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  weather: {command: python, args: [-m, weather]}
  news: {url: https://example.com/mcp}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: quickstart}
server: weather
tests: [{name: t, call: forecast}]
"""

PLAN = """\
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: roll-out, labels: {team: core}}
concurrency: 100
timeout: 30s
retry: {attempts: 3, backoff: 200ms, maxBackoff: 10s, jitter: none, errors: [timeout, protocol], statuses: [429, 503], codes: [-32000]}
maxFailPercentage: 10%
onFailure: rollback
memoryLimit: 512MiB
vars: {region: eu}
operations:
  - validate: {servers: [weather, news], timeout: 10s}
  - test: {suites: [quickstart]}
  - deploy:
      servers: [weather]
      to: [claude-desktop, cursor, {file: cfg/custom.json, key: mcp.servers, style: vscode}, {client: cursor, file: sandbox/.cursor/mcp.json}]
      force: true
      validateFirst: true
  - update: {servers: [weather], in: [vscode], fields: [args, env], timeout: 5s}
  - execute:
      server: weather
      tool: forecast
      input: cities.jsonl
      key: id
      with: {city: "{{ record.city }}", tag: "{{ vars.region }}-{{ key }}-{{ uuid() }}", days: [1, "{{ record.days }}"]}
      output: out/answers.jsonl
"""

MINIMAL = """\
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: tiny}
operations:
  - validate: {servers: [weather]}
  - update: {servers: [weather], in: [{client: claude-code}]}
  - execute: {server: weather, tool: forecast, input: cities.csv, output: answers.jsonl}
"""


def write(tmp_path: Path, plan: str) -> Path:
    (tmp_path / "others.yaml").write_text(OTHERS, encoding="utf-8")
    (tmp_path / "cities.jsonl").write_text('{"id": 1, "city": "Paris", "days": 2}\n', encoding="utf-8")
    (tmp_path / "cities.csv").write_text("id,city\n1,Paris\n", encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(plan, encoding="utf-8")
    return path


def load_plan(tmp_path: Path, plan: str) -> BatchPlanSpec:
    write(tmp_path, plan)
    specs = load_specs([str(tmp_path)], environ={})
    assert len(specs.plans) == 1
    return specs.plans[0]


def errors_of(tmp_path: Path, plan: str) -> list[str]:
    return errors_in(tmp_path, write(tmp_path, plan))


def test_a_full_plan_builds_into_its_records(tmp_path: Path) -> None:
    plan = load_plan(tmp_path, PLAN)
    path = str(tmp_path / "plan.yaml")

    def at(line: int, column: int) -> Source:
        return Source(path=path, line=line, column=column)

    assert plan == BatchPlanSpec(
        metadata=Metadata(name="roll-out", labels={"team": "core"}),
        operations=(
            ValidateOp(servers=("weather", "news"), timeout=Duration(seconds=10), source=at(12, 5)),
            TestOp(suites=("quickstart",), source=at(13, 5)),
            DeployOp(
                servers=("weather",),
                to=(
                    ConfigTarget(client="claude-desktop", source=at(16, 12)),
                    ConfigTarget(client="cursor", source=at(16, 28)),
                    ConfigTarget(
                        file=str(tmp_path / "cfg" / "custom.json"),
                        key="mcp.servers",
                        style="vscode",
                        source=at(16, 36),
                    ),
                    ConfigTarget(
                        client="cursor",
                        file=str(tmp_path / "sandbox" / ".cursor" / "mcp.json"),
                        source=at(16, 94),
                    ),
                ),
                force=True,
                validate_first=True,
                source=at(14, 5),
            ),
            UpdateOp(
                servers=("weather",),
                in_=(ConfigTarget(client="vscode", source=at(19, 39)),),
                fields=("args", "env"),
                timeout=Duration(seconds=5),
                source=at(19, 5),
            ),
            ExecuteOp(
                server="weather",
                tool="forecast",
                input=str(tmp_path / "cities.jsonl"),
                format="jsonl",
                key="id",
                with_={
                    "city": "{{ record.city }}",
                    "tag": "{{ vars.region }}-{{ key }}-{{ uuid() }}",
                    "days": [1, "{{ record.days }}"],
                },
                output=str(tmp_path / "out" / "answers.jsonl"),
                source=at(20, 5),
            ),
        ),
        concurrency=100,
        timeout=Duration(seconds=30),
        retry=Retry(
            attempts=3,
            backoff=Duration(seconds=0.2),
            max_backoff=Duration(seconds=10),
            jitter="none",
            errors=("timeout", "protocol"),
            statuses=(429, 503),
            codes=(-32000,),
        ),
        max_fail_percentage=Percent(fraction=0.1),
        on_failure="rollback",
        memory_limit=512 * 1024 * 1024,
        vars={"region": "eu"},
        source=at(1, 1),
        spec_hash=expected_spec_hash(PLAN),
    )
    deploy = plan.operations[2]
    assert isinstance(deploy, DeployOp)
    assert [target.ident for target in deploy.to] == [
        "claude-desktop",
        "cursor",
        str(tmp_path / "cfg" / "custom.json"),
        f"cursor:{tmp_path / 'sandbox' / '.cursor' / 'mcp.json'}",
    ]


def test_targets_are_shown_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = load_plan(tmp_path, PLAN)
    deploy = plan.operations[2]
    assert isinstance(deploy, DeployOp)
    monkeypatch.chdir(tmp_path)
    assert [target.label for target in deploy.to] == [
        "claude-desktop",
        "cursor",
        "cfg/custom.json",
        "cursor:sandbox/.cursor/mcp.json",
    ]


def test_defaults_of_a_minimal_plan(tmp_path: Path) -> None:
    plan = load_plan(tmp_path, MINIMAL)
    path = str(tmp_path / "plan.yaml")
    assert plan == BatchPlanSpec(
        metadata=Metadata(name="tiny"),
        operations=(
            ValidateOp(servers=("weather",), source=Source(path=path, line=5, column=5)),
            UpdateOp(
                servers=("weather",),
                in_=(ConfigTarget(client="claude-code", source=Source(path=path, line=6, column=39)),),
                source=Source(path=path, line=6, column=5),
            ),
            ExecuteOp(
                server="weather",
                tool="forecast",
                input=str(tmp_path / "cities.csv"),
                format="csv",
                output=str(tmp_path / "answers.jsonl"),
                source=Source(path=path, line=7, column=5),
            ),
        ),
        source=Source(path=path, line=1, column=1),
        spec_hash=plan.spec_hash,
    )
    assert (plan.concurrency, plan.timeout, plan.retry, plan.on_failure) == (
        10,
        Duration(seconds=60),
        Retry(),
        "halt",
    )
    assert (plan.max_fail_percentage, plan.memory_limit, plan.vars) == (None, None, {})
    update = plan.operations[1]
    assert isinstance(update, UpdateOp)
    assert update.fields == ("type", "command", "args", "env", "cwd", "url", "headers")


def test_plans_are_documents_and_listed_on_their_own(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    specs = load_specs([str(tmp_path)], environ={})
    assert [spec.metadata.name for spec in specs.documents] == ["local", "quickstart", "tiny"]
    assert [plan.metadata.name for plan in specs.plans] == ["tiny"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("10", Percent(fraction=0.1)),
        ("0.5", Percent(fraction=0.005)),
        ("0", Percent(fraction=0)),
        ("100", Percent(fraction=1)),
        ("2.5%", Percent(fraction=0.025)),
    ],
)
def test_max_fail_percentage_as_a_number_is_percent(tmp_path: Path, written: str, expected: Percent) -> None:
    plan = load_plan(tmp_path, broken(PLAN, "maxFailPercentage: 10%", f"maxFailPercentage: {written}"))
    assert plan.max_fail_percentage == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("4096", 4096),
        ("100B", 100),
        ("1KB", 1000),
        ("1.5KiB", 1536),
        ("2MB", 2_000_000),
        ("512MiB", 536_870_912),
        ("1GB", 10**9),
        ("2GiB", 2 * 2**30),
    ],
)
def test_memory_limit_is_bytes(tmp_path: Path, written: str, expected: int) -> None:
    plan = load_plan(tmp_path, broken(PLAN, "memoryLimit: 512MiB", f"memoryLimit: {written}"))
    assert plan.memory_limit == expected


def test_parse_size_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^'1 TB' is not a size: use bytes or a number and a unit"):
        parse_size("1 TB")
    assert parse_size("1 KiB") == 1024


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("cities.ndjson", "", "jsonl"),
        ("cities.CSV", "", "csv"),
        ("cities.txt", "      format: csv\n", "csv"),
        ("cities.csv", "      format: jsonl\n", "jsonl"),
    ],
)
def test_the_input_format_comes_from_format_or_the_extension(
    tmp_path: Path, name: str, line: str, expected: str
) -> None:
    (tmp_path / name).write_text("x\n", encoding="utf-8")
    text = broken(PLAN, "      input: cities.jsonl\n", f"      input: {name}\n{line}")
    plan = load_plan(tmp_path, text)
    execute = plan.operations[-1]
    assert isinstance(execute, ExecuteOp)
    assert (execute.input, execute.format) == (str(tmp_path / name), expected)


def test_a_plan_may_name_a_suite_written_after_it(tmp_path: Path) -> None:
    (tmp_path / "a_plan.yaml").write_text(PLAN, encoding="utf-8")
    write(tmp_path, "")
    (tmp_path / "plan.yaml").unlink()
    specs = load_specs([str(tmp_path)], environ={})
    assert [plan.metadata.name for plan in specs.plans] == ["roll-out"]


P = "BatchPlan/roll-out"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "servers: [weather, news]",
            "servers: [weather, wether]",
            [
                f"12:35: {P}: operations[0].validate.servers[1]: unknown server 'wether' (known: news, weather)"
            ],
            id="unknown-server",
        ),
        pytest.param(
            "      server: weather\n",
            "      server: nope\n",
            [f"21:15: {P}: operations[4].execute.server: unknown server 'nope' (known: news, weather)"],
            id="unknown-execute-server",
        ),
        pytest.param(
            "suites: [quickstart]",
            "suites: [quickstart, slow]",
            [f"13:33: {P}: operations[1].test.suites[1]: unknown suite 'slow' (known: quickstart)"],
            id="unknown-suite",
        ),
        pytest.param(
            "servers: [weather, news]",
            "servers: [weather, news, weather]",
            [
                f"12:41: {P}: operations[0].validate.servers[2]: duplicate server name 'weather' (first at line 12)"
            ],
            id="duplicate-server",
        ),
        pytest.param(
            "suites: [quickstart]",
            "suites: [quickstart, quickstart]",
            [
                f"13:33: {P}: operations[1].test.suites[1]: duplicate suite name 'quickstart' (first at line 13)"
            ],
            id="duplicate-suite",
        ),
        pytest.param(
            "servers: [weather, news]",
            "servers: []",
            [f"12:25: {P}: operations[0].validate.servers: must not be empty"],
            id="empty-servers",
        ),
        pytest.param(
            "  - test: {suites: [quickstart]}\n",
            "  - test: {suites: [quickstart]}\n    validate: {servers: [news]}\n",
            [
                f"14:15: {P}: operations[1].validate: give only one of validate, test, deploy, update, execute "
                "(this operation already has test)"
            ],
            id="two-operations-in-one-item",
        ),
        pytest.param(
            "  - test: {suites: [quickstart]}\n",
            "  - {}\n",
            [f"13:5: {P}: operations[1]: an operation needs one of: validate, test, deploy, update, execute"],
            id="an-empty-operation",
        ),
        pytest.param(
            "  - test: {suites: [quickstart]}\n",
            "  - tset: {suites: [quickstart]}\n",
            [f"13:5: {P}: operations[1].tset: unknown field 'tset' (did you mean 'test'?)"],
            id="misspelt-operation",
        ),
        pytest.param(
            "      input: cities.jsonl\n",
            "      input: data/missing.jsonl\n",
            [
                "23:14: {P}: operations[4].execute.input: input file 'data/missing.jsonl' does not exist ({dir}/data/missing.jsonl)"
            ],
            id="missing-input",
        ),
        pytest.param(
            "      input: cities.jsonl\n",
            "      input: out\n",
            ["23:14: {P}: operations[4].execute.input: input 'out' is not a file ({dir}/out)"],
            id="input-is-a-directory",
        ),
        pytest.param(
            "      input: cities.jsonl\n",
            "      input: others.yaml\n",
            [
                f"23:14: {P}: operations[4].execute.input: cannot tell the format of 'others.yaml' from its "
                "extension: name it .jsonl, .ndjson or .csv, or set format: jsonl or csv"
            ],
            id="unknown-input-format",
        ),
        pytest.param(
            "      output: out/answers.jsonl\n",
            "      output: ./out/../cities.jsonl\n",
            [
                "26:15: {P}: operations[4].execute.output: output is the input file ({dir}/cities.jsonl): "
                "answers need a file of their own"
            ],
            id="output-is-input",
        ),
        pytest.param(
            '{city: "{{ record.city }}"',
            '{city: "{{ recrod.city }}"',
            [
                f"25:20: {P}: operations[4].execute.with.city: recrod.city is not defined "
                "(execute templates read record, key and vars)"
            ],
            id="template-misspelt-record",
        ),
        pytest.param(
            '{city: "{{ record.city }}"',
            '{city: "{{ city }}"',
            [
                f"25:20: {P}: operations[4].execute.with.city: city is not defined (execute templates read record, key and vars)"
            ],
            id="template-bare-name",
        ),
        pytest.param(
            '[1, "{{ record.days }}"]',
            '[1, "{{ steps.a.id }}"]',
            [
                f"25:100: {P}: operations[4].execute.with.days[1]: steps.a.id is not defined "
                "(execute templates read record, key and vars)"
            ],
            id="template-steps",
        ),
        pytest.param(
            '"{{ vars.region }}-',
            '"{{ vars.zone }}-',
            [f"25:46: {P}: operations[4].execute.with.tag: vars.zone is not defined (vars: region)"],
            id="template-unknown-var",
        ),
        pytest.param(
            "vars: {region: eu}\n",
            "",
            [
                f"24:46: {P}: operations[4].execute.with.tag: vars.region is not defined "
                "(execute templates read record and key; the plan has no vars)"
            ],
            id="template-no-vars",
        ),
        pytest.param(
            '{city: "{{ record.city }}"',
            '{city: "{{ record.city "',
            [
                f"25:20: {P}: operations[4].execute.with.city: template syntax error on line 1: "
                "unexpected end of template, expected 'end of print statement'."
            ],
            id="template-syntax",
        ),
        pytest.param(
            "concurrency: 100",
            "concurrency: 1001",
            [f"4:14: {P}: concurrency: must be at most 1000 (got 1001)"],
            id="concurrency-too-high",
        ),
        pytest.param(
            "concurrency: 100",
            "concurrency: 0",
            [f"4:14: {P}: concurrency: must be at least 1 (got 0)"],
            id="concurrency-zero",
        ),
        pytest.param(
            "timeout: 30s",
            "timeout: 30",
            [f"5:10: {P}: timeout: '30' is not a duration: add a unit (250ms, 2s, 5m, 1h)"],
            id="timeout-without-unit",
        ),
        pytest.param(
            "maxFailPercentage: 10%",
            "maxFailPercentage: 150%",
            [
                f"7:20: {P}: maxFailPercentage: '150%' is not a percentage: it must be between 0% and 100% "
                "(1%, 0.5%, 100%)"
            ],
            id="percent-too-high",
        ),
        pytest.param(
            "maxFailPercentage: 10%",
            "maxFailPercentage: 150",
            [f"7:20: {P}: maxFailPercentage: must be at most 100 (got 150)"],
            id="percent-number-too-high",
        ),
        pytest.param(
            "maxFailPercentage: 10%",
            "maxFailPercentage: ten",
            [
                f"7:20: {P}: maxFailPercentage: 'ten' is not a percentage: use a number and a percent sign "
                "(1%, 0.5%, 100%)"
            ],
            id="percent-not-a-number",
        ),
        pytest.param(
            "onFailure: rollback",
            "onFailure: stop",
            [f"8:12: {P}: onFailure: expected one of: continue, halt, rollback (got 'stop')"],
            id="on-failure",
        ),
        pytest.param(
            "memoryLimit: 512MiB",
            "memoryLimit: 512M",
            [
                f"9:14: {P}: memoryLimit: '512M' is not a size: use bytes or a number and a unit "
                "(B, KB, MB, GB, KiB, MiB, GiB), e.g. 512MiB"
            ],
            id="memory-unit",
        ),
        pytest.param(
            "memoryLimit: 512MiB",
            "memoryLimit: 0.1B",
            [f"9:14: {P}: memoryLimit: '0.1B' is not a size: it must be at least 1 byte"],
            id="memory-below-a-byte",
        ),
        pytest.param(
            "memoryLimit: 512MiB",
            "memoryLimit: 0",
            [f"9:14: {P}: memoryLimit: must be at least 1 (got 0)"],
            id="memory-zero",
        ),
        pytest.param(
            "errors: [timeout, protocol]",
            "errors: [timeout, http]",
            [
                f"6:87: {P}: retry.errors[1]: expected one of: timeout, connection, protocol, start (got 'http')"
            ],
            id="retry-on",
        ),
        pytest.param(
            "backoff: 200ms",
            "backoff: 20s",
            [f"6:31: {P}: retry.backoff: backoff (20s) is above maxBackoff (10s)"],
            id="backoff-above-max",
        ),
        pytest.param(
            "attempts: 3",
            "attempts: 0",
            [f"6:19: {P}: retry.attempts: must be at least 1 (got 0)"],
            id="attempts-zero",
        ),
        pytest.param(
            "statuses: [429, 503]",
            "statuses: [429, 5030]",
            [f"6:114: {P}: retry.statuses[1]: must be at most 599 (got 5030)"],
            id="status-out-of-range",
        ),
        pytest.param(
            "to: [claude-desktop, cursor,",
            "to: [claude-desktop, curosr,",
            [
                f"16:28: {P}: operations[2].deploy.to[1]: expected one of: claude-desktop, cursor, vscode, "
                "claude-code (got 'curosr')"
            ],
            id="unknown-client",
        ),
        pytest.param(
            "{file: cfg/custom.json, key: mcp.servers, style: vscode}",
            "{key: mcp.servers, style: vscode}",
            [f"16:36: {P}: operations[2].deploy.to[2]: needs at least one of: client, file"],
            id="target-without-client-or-file",
        ),
        pytest.param(
            "{file: cfg/custom.json, key: mcp.servers, style: vscode}",
            "{fiel: cfg/custom.json, key: mcp.servers, style: vscode}",
            [f"16:37: {P}: operations[2].deploy.to[2].fiel: unknown field 'fiel' (did you mean 'file'?)"],
            id="target-misspelt-file",
        ),
        pytest.param(
            "{client: cursor, file: sandbox/.cursor/mcp.json}",
            "{client: vscode, key: servers}",
            [
                f"16:111: {P}: operations[2].deploy.to[3].key: key applies only to a custom file "
                "(this target is client 'vscode')"
            ],
            id="client-target-with-key",
        ),
        pytest.param(
            "to: [claude-desktop, cursor,",
            "to: [claude-desktop, claude-desktop,",
            [
                f"16:28: {P}: operations[2].deploy.to[1]: duplicate deploy target 'claude-desktop' "
                "(first at line 16)"
            ],
            id="duplicate-target",
        ),
        pytest.param(
            "style: vscode}",
            "style: zed}",
            [
                f"16:85: {P}: operations[2].deploy.to[2].style: expected one of: claude-desktop, cursor, "
                "vscode, claude-code, plain (got 'zed')"
            ],
            id="unknown-style",
        ),
        pytest.param(
            "fields: [args, env]",
            "fields: [args, envs]",
            [
                f"19:63: {P}: operations[3].update.fields[1]: expected one of: type, command, args, env, cwd, "
                "url, headers (got 'envs')"
            ],
            id="unknown-update-field",
        ),
        pytest.param(
            "fields: [args, env]",
            "fields: [args, env, args]",
            [f"19:68: {P}: operations[3].update.fields[2]: duplicate update field 'args' (first at line 19)"],
            id="duplicate-update-field",
        ),
        pytest.param(
            "      key: id\n",
            "      key: id\n      format: xml\n",
            [f"25:15: {P}: operations[4].execute.format: expected one of: jsonl, csv (got 'xml')"],
            id="unknown-format",
        ),
        pytest.param(
            "      output: out/answers.jsonl\n",
            "",
            [f"21:7: {P}: operations[4].execute: missing required field 'output'"],
            id="execute-without-output",
        ),
        pytest.param(
            "      force: true\n",
            "      forse: true\n",
            [f"17:7: {P}: operations[2].deploy.forse: unknown field 'forse' (did you mean 'force'?)"],
            id="misspelt-force",
        ),
    ],
)
def test_one_broken_field_in_a_plan(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    (tmp_path / "out").mkdir()
    found = errors_of(tmp_path, broken(PLAN, old, new))
    assert found == [line.format(P=P, dir=tmp_path) for line in expected]


def test_without_servers_or_suites_the_hint_says_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    (tmp_path / "cities.jsonl").write_text("{}\n", encoding="utf-8")
    path.write_text(PLAN, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    none = "no servers are defined: add a Servers document or pass --servers"
    assert [str(error).removeprefix(f"{path}:") for error in caught.value.errors] == [
        f"12:26: {P}: operations[0].validate.servers[0]: unknown server 'weather' ({none})",
        f"12:35: {P}: operations[0].validate.servers[1]: unknown server 'news' ({none})",
        f"13:21: {P}: operations[1].test.suites[0]: unknown suite 'quickstart' (no TestSuite documents are "
        "loaded: pass the files that define them with the plan)",
        f"15:17: {P}: operations[2].deploy.servers[0]: unknown server 'weather' ({none})",
        f"19:24: {P}: operations[3].update.servers[0]: unknown server 'weather' ({none})",
        f"21:15: {P}: operations[4].execute.server: unknown server 'weather' ({none})",
    ]


def test_an_invalid_suite_is_reported_once_not_again_by_the_plan(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    others = tmp_path / "others.yaml"
    others.write_text(OTHERS.replace("tests: [{name: t, call: forecast}]", "tests: []"), encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path)], environ={})
    assert [str(error) for error in caught.value.errors] == [
        f"{others}:12:8: TestSuite/quickstart: tests: must not be empty"
    ]


def test_templates_with_statements_are_compiled_and_their_vars_checked(tmp_path: Path) -> None:
    loop = "{% for d in record.days %}{{ d }}{{ vars.zone }}{% endfor %}"
    found = errors_of(tmp_path, broken(PLAN, '"{{ record.city }}"', f"'{loop}'"))
    assert found == [f"25:20: {P}: operations[4].execute.with.city: vars.zone is not defined (vars: region)"]


def test_an_execute_call_to_a_pinned_server_names_a_pinned_tool(tmp_path: Path) -> None:
    lock = make_lock(
        [{"name": "today", "description": "d"}],
        server="w",
        server_info={"name": "w", "version": "1"},
        protocol="2025-06-18",
    )
    (tmp_path / "tools.lock.json").write_text(json.dumps(lock), encoding="utf-8")
    pinned = OTHERS.replace("args: [-m, weather]}", "args: [-m, weather], pin: tools.lock.json}")
    write(tmp_path, PLAN)
    (tmp_path / "others.yaml").write_text(pinned.replace("call: forecast", "call: today"), encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path)], environ={})
    assert [str(error).removeprefix(f"{tmp_path / 'plan.yaml'}:") for error in caught.value.errors] == [
        f"22:13: {P}: operations[4].execute.tool: unknown tool 'forecast': not in the pinned tool list of "
        "server 'weather' (tools.lock.json: today)"
    ]


# -- the schema and the CLI -----------------------------------------------------------------------


def test_validate_a_bad_plan_exits_2_with_one_line_per_error(tmp_path: Path) -> None:
    path = write(tmp_path, broken(PLAN, "concurrency: 100", "concurrency: 0"))
    (tmp_path / "out").mkdir()
    code, out, err = mcpctl("validate", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"mcpctl: error: {path}:4:14: {P}: concurrency: must be at least 1 (got 0)"]


def test_validate_a_good_plan_exits_0(tmp_path: Path) -> None:
    write(tmp_path, PLAN)
    code, _, err = mcpctl("validate", str(tmp_path))
    assert (code, err) == (0, "")


def test_the_schema_of_batch_plan_is_printed() -> None:
    code, out, err = mcpctl("schema", "batchplan")
    assert (code, err) == (0, "")
    assert json.loads(out) == schema_for("BatchPlan")


def test_every_record_field_with_a_docstring_is_described_in_the_schema() -> None:
    schema = schema_for("BatchPlan")
    properties = schema["properties"]
    defs = schema["$defs"]
    assert isinstance(properties, dict)
    assert isinstance(defs, dict)
    assert properties["concurrency"]["description"] == "How many items run at once (1 to 1000)."
    assert defs["retry"]["properties"]["attempts"]["description"] == (
        "Total tries, the first included (1: no retry)."
    )
    assert defs["deploy"]["properties"]["force"]["description"] == (
        "Replace an existing entry that differs (otherwise such a server fails)."
    )
