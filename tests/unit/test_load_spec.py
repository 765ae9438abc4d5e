"""LoadTest documents: the schema, every record field built from YAML with its defaults, the threshold
grammar, and every meaning check with its exact message (one valid test, one field broken per test)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.load_checks import parse_threshold
from mcpctl.spec.load_model import (
    DataSource,
    ListCall,
    LoadCall,
    LoadTestSpec,
    Profile,
    Stage,
    ThinkTime,
    Threshold,
)
from mcpctl.spec.lockfile import make_lock
from mcpctl.spec.model import CallTool, GetPrompt, Metadata, ReadResource, Source, StdioServer
from mcpctl.spec.schemas import schema_for
from mcpctl.spec.units import Duration
from testing.cli import invoke as mcpctl
from tests.unit.spec_files import broken, errors_in, expected_spec_hash

SERVERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  echo: {command: python, args: [-m, echo]}
  other: {url: https://example.com/mcp}
"""

LOAD = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: echo-load, labels: {team: core}}
server: echo
sessions: per-iteration
timeout: 10s
data: {file: messages.jsonl, order: random}
thinkTime: {min: 50ms, max: 200ms}
vars: {tag: load}
scenario:
  - {name: echo, weight: 3, call: echo, with: {message: "{{ data.message }} {{ vu }}-{{ iteration }}", tag: "{{ vars.tag }}"}}
  - {weight: 1, read: "res://readme"}
  - {prompt: triage, with: {label: bug}}
  - {weight: 2, list: tools}
profile:
  model: arrival-rate
  startTarget: 10
  stages: [{duration: 30s, target: 500/s}, {duration: 1m, target: 3000/m}, {duration: 10s, target: 0}]
  maxInFlight: 200
  gracefulStop: 5s
thresholds:
  - "p99 < 250ms"
  - {threshold: "error_rate <= 0.5%", call: echo, abort: true, after: 10s}
  - "rate > 400/s"
"""

MINIMAL = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: tiny}
server: other
scenario:
  - call: echo
profile:
  model: vus
  stages: [{duration: 1m, target: 16}]
"""


def write(tmp_path: Path, load: str) -> Path:
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    (tmp_path / "messages.jsonl").write_text('{"message": "hi"}\n', encoding="utf-8")
    path = tmp_path / "load.yaml"
    path.write_text(load, encoding="utf-8")
    return path


def load_test(tmp_path: Path, load: str) -> LoadTestSpec:
    write(tmp_path, load)
    specs = load_specs([str(tmp_path)], environ={})
    assert len(specs.loads) == 1
    return specs.loads[0]


def errors_of(tmp_path: Path, load: str) -> list[str]:
    return errors_in(tmp_path, write(tmp_path, load))


def test_a_full_load_test_builds_into_its_records(tmp_path: Path) -> None:
    load = load_test(tmp_path, LOAD)
    path = str(tmp_path / "load.yaml")

    def at(line: int, column: int) -> Source:
        return Source(path=path, line=line, column=column)

    assert load == LoadTestSpec(
        metadata=Metadata(name="echo-load", labels={"team": "core"}),
        server="echo",
        sessions="per-iteration",
        timeout=Duration(seconds=10),
        data=DataSource(
            file=str(tmp_path / "messages.jsonl"), format="jsonl", order="random", source=at(7, 7)
        ),
        think_time=ThinkTime(min=Duration(seconds=0.05), max=Duration(seconds=0.2)),
        scenario=(
            LoadCall(
                name="echo",
                weight=3,
                action=CallTool(
                    tool="echo",
                    arguments={
                        "message": "{{ data.message }} {{ vu }}-{{ iteration }}",
                        "tag": "{{ vars.tag }}",
                    },
                ),
                source=at(11, 5),
            ),
            LoadCall(name="res://readme", action=ReadResource(uri="res://readme"), source=at(12, 5)),
            LoadCall(
                name="triage", action=GetPrompt(name="triage", arguments={"label": "bug"}), source=at(13, 5)
            ),
            LoadCall(name="tools", weight=2, action=ListCall(kind="tools"), source=at(14, 5)),
        ),
        profile=Profile(
            model="arrival-rate",
            stages=(
                Stage(duration=Duration(seconds=30), target=500),
                Stage(duration=Duration(seconds=60), target=50),
                Stage(duration=Duration(seconds=10), target=0),
            ),
            start_target=10,
            max_in_flight=200,
            graceful_stop=Duration(seconds=5),
        ),
        thresholds=(
            Threshold(metric="p99", op="<", value=250, text="p99 < 250ms", source=at(22, 5)),
            Threshold(
                metric="error_rate",
                op="<=",
                value=0.005,
                call="echo",
                abort=True,
                after=Duration(seconds=10),
                text="error_rate <= 0.5%",
                source=at(23, 5),
            ),
            Threshold(metric="rate", op=">", value=400, text="rate > 400/s", source=at(24, 5)),
        ),
        vars={"tag": "load"},
        source=at(1, 1),
        spec_hash=expected_spec_hash(LOAD),
    )
    assert load.profile.length == Duration(seconds=100)


def test_defaults_of_a_minimal_load_test(tmp_path: Path) -> None:
    load = load_test(tmp_path, MINIMAL)
    path = str(tmp_path / "load.yaml")
    assert load == LoadTestSpec(
        metadata=Metadata(name="tiny"),
        server="other",
        scenario=(
            LoadCall(name="echo", action=CallTool(tool="echo"), source=Source(path=path, line=6, column=5)),
        ),
        profile=Profile(model="vus", stages=(Stage(duration=Duration(seconds=60), target=16),)),
        source=Source(path=path, line=1, column=1),
        spec_hash=load.spec_hash,
    )
    assert (load.sessions, load.timeout, load.data, load.think_time, load.thresholds, load.vars) == (
        "per-vu",
        Duration(seconds=30),
        None,
        None,
        (),
        {},
    )
    profile = load.profile
    assert (profile.start_target, profile.max_in_flight, profile.graceful_stop) == (
        0,
        None,
        Duration(seconds=30),
    )


def test_an_arrival_rate_profile_defaults_to_1000_in_flight(tmp_path: Path) -> None:
    text = broken(MINIMAL, "model: vus", "model: arrival-rate")
    assert load_test(tmp_path, text).profile.max_in_flight == 1000


@pytest.mark.parametrize(
    ("written", "expected"),
    [("500", 500.0), ("2.5", 2.5), ("0", 0.0), ("30/m", 0.5), ("36/h", 0.01), ("0/s", 0.0), ("1.5/s", 1.5)],
)
def test_an_arrival_rate_target_is_per_second(tmp_path: Path, written: str, expected: float) -> None:
    load = load_test(tmp_path, broken(LOAD, "target: 3000/m}", f"target: {written}}}"))
    assert load.profile.stages[1].target == expected


def test_a_single_think_time_is_both_bounds(tmp_path: Path) -> None:
    load = load_test(tmp_path, broken(LOAD, "thinkTime: {min: 50ms, max: 200ms}", "thinkTime: 100ms"))
    assert load.think_time == ThinkTime(min=Duration(seconds=0.1), max=Duration(seconds=0.1))


def test_load_tests_are_documents_and_listed_on_their_own(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    specs = load_specs([str(tmp_path)], environ={})
    assert [spec.metadata.name for spec in specs.documents] == ["tiny", "local"]
    assert [load.metadata.name for load in specs.loads] == ["tiny"]
    assert (specs.suites, specs.plans) == ((), ())


def test_an_inline_server_is_named_after_the_load_test(tmp_path: Path) -> None:
    load = load_test(
        tmp_path, broken(MINIMAL, "server: other", "server: {command: python, args: [-m, echo]}")
    )
    path = str(tmp_path / "load.yaml")
    assert load.server == StdioServer(
        name="tiny", command=("python", "-m", "echo"), source=Source(path=path, line=4, column=9)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p99 < 250ms", ("p99", "<", 250.0)),
        ("p50<=2s", ("p50", "<=", 2000.0)),
        ("  p99.9 >= 1m  ", ("p99.9", ">=", 60000.0)),
        ("mean > 1.5ms", ("mean", ">", 1.5)),
        ("max < 500us", ("max", "<", 0.5)),
        ("p90 < 1s", ("p90", "<", 1000.0)),
        ("p95 < 0s", ("p95", "<", 0.0)),
        ("error_rate < 1%", ("error_rate", "<", 0.01)),
        ("error_rate<=0%", ("error_rate", "<=", 0.0)),
        ("rate > 500/s", ("rate", ">", 500.0)),
        ("rate >= 30/m", ("rate", ">=", 0.5)),
        ("rate > 0/s", ("rate", ">", 0.0)),
    ],
)
def test_a_threshold_is_metric_comparison_value(text: str, expected: tuple[str, str, float]) -> None:
    assert parse_threshold(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "p99 250ms",
            "'p99 250ms' is not a threshold: write a metric, a comparison and a value "
            "(p99 < 250ms, error_rate < 1%, rate > 500/s)",
        ),
        (
            "p99 < 250 ms",
            "'p99 < 250 ms' is not a threshold: write a metric, a comparison and a value "
            "(p99 < 250ms, error_rate < 1%, rate > 500/s)",
        ),
        ("p98 < 250ms", "unknown metric 'p98' (did you mean 'p99'?)"),
        ("p999 < 1s", "unknown metric 'p999' (did you mean 'p99.9'?)"),
        ("errors < 1%", "unknown metric 'errors' (did you mean 'error_rate'?)"),
        (
            "latency < 1s",
            "unknown metric 'latency' (metrics: p50, p90, p95, p99, p99.9, max, mean, error_rate, rate)",
        ),
        ("p99 == 250ms", "unknown comparison '==' (use <, <=, > or >=)"),
        ("p99 =< 250ms", "unknown comparison '=<' (use <, <=, > or >=)"),
        ("p99 < 500/s", "p99 is a latency: compare it with a duration such as 250ms, not a rate ('500/s')"),
        ("max < 5%", "max is a latency: compare it with a duration such as 250ms, not a percentage ('5%')"),
        ("p99 < 250", "'250' is not a duration: add a unit (250ms, 2s, 5m, 1h)"),
        ("p99 < fast", "'fast' is not a duration: use a number and a unit (250ms, 2s, 5m, 1h)"),
        (
            "error_rate < 250ms",
            "error_rate is a share of requests: compare it with a percentage such as 1%, not a duration ('250ms')",
        ),
        (
            "error_rate < 0.01",
            "'0.01' is not a percentage: use a number and a percent sign (1%, 0.5%, 100%)",
        ),
        (
            "error_rate < 150%",
            "'150%' is not a percentage: it must be between 0% and 100% (1%, 0.5%, 100%)",
        ),
        (
            "rate > 1%",
            "rate is requests per second: compare it with a rate such as 500/s, not a percentage ('1%')",
        ),
        ("rate > 500", "'500' is not a rate: use a number, a slash and a unit (50/s, 3000/m, 10/h)"),
        ("rate > 500/d", "'500/d' is not a rate: use a number, a slash and a unit (50/s, 3000/m, 10/h)"),
    ],
)
def test_a_bad_threshold_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_threshold(text)


L = "LoadTest/echo-load"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "server: echo",
            "server: ecko",
            [f"4:9: {L}: server: unknown server 'ecko' (known: echo, other)"],
            id="unknown-server",
        ),
        pytest.param(
            "sessions: per-iteration",
            "sessions: per-user",
            [f"5:11: {L}: sessions: expected one of: shared, per-vu, per-iteration (got 'per-user')"],
            id="sessions",
        ),
        pytest.param(
            "timeout: 10s",
            "timeout: 10",
            [f"6:10: {L}: timeout: '10' is not a duration: add a unit (250ms, 2s, 5m, 1h)"],
            id="timeout-without-unit",
        ),
        pytest.param(
            "file: messages.jsonl",
            "file: data/missing.jsonl",
            [
                "7:14: {L}: data.file: data file 'data/missing.jsonl' does not exist ({dir}/data/missing.jsonl)"
            ],
            id="missing-data-file",
        ),
        pytest.param(
            "file: messages.jsonl",
            "file: sub",
            ["7:14: {L}: data.file: data 'sub' is not a file ({dir}/sub)"],
            id="data-is-a-directory",
        ),
        pytest.param(
            "file: messages.jsonl",
            "file: servers.yaml",
            [
                f"7:14: {L}: data.file: cannot tell the format of 'servers.yaml' from its extension: "
                "name it .jsonl, .ndjson or .csv, or set format: jsonl or csv"
            ],
            id="unknown-data-format",
        ),
        pytest.param(
            "order: random",
            "order: shuffled",
            [f"7:37: {L}: data.order: expected one of: sequential, random (got 'shuffled')"],
            id="data-order",
        ),
        pytest.param(
            "data: {file: messages.jsonl, order: random}\n",
            "",
            [
                f"10:57: {L}: scenario[0].with.message: data.message needs a data file: "
                "add data: {{file: FILE}} to the load test"
            ],
            id="data-without-a-data-file",
        ),
        pytest.param(
            "thinkTime: {min: 50ms, max: 200ms}",
            "thinkTime: {min: 500ms, max: 200ms}",
            [f"8:12: {L}: thinkTime: min (500ms) is above max (200ms)"],
            id="think-time-min-above-max",
        ),
        pytest.param(
            "thinkTime: {min: 50ms, max: 200ms}",
            "thinkTime: {min: 50ms}",
            [f"8:12: {L}: thinkTime: missing required field 'max'"],
            id="think-time-without-max",
        ),
        pytest.param(
            '"{{ data.message }} {{ vu }}-',
            '"{{ data.message }} {{ user }}-',
            [
                f"11:57: {L}: scenario[0].with.message: user is not defined "
                "(load test templates read data, vu, iteration and vars)"
            ],
            id="template-unknown-name",
        ),
        pytest.param(
            '"{{ vars.tag }}"',
            '"{{ vars.tga }}"',
            [f"11:109: {L}: scenario[0].with.tag: vars.tga is not defined (vars: tag)"],
            id="template-unknown-var",
        ),
        pytest.param(
            "vars: {tag: load}\n",
            "",
            [f"10:109: {L}: scenario[0].with.tag: vars.tag is not defined (the load test has no vars)"],
            id="template-no-vars",
        ),
        pytest.param(
            '"{{ data.message }} {{ vu }}-',
            '"{{ data.message }} {{ steps.a.id }}-',
            [
                f"11:57: {L}: scenario[0].with.message: steps.a.id is not defined "
                "(load test templates read data, vu, iteration and vars)"
            ],
            id="template-steps",
        ),
        pytest.param(
            'read: "res://readme"',
            'read: "res://{{ record.id }}"',
            [
                f"12:23: {L}: scenario[1].read: record.id is not defined "
                "(load test templates read data, vu, iteration and vars)"
            ],
            id="template-in-read",
        ),
        pytest.param(
            '"{{ vars.tag }}"',
            '"{{ vars.tag "',
            [
                f"11:109: {L}: scenario[0].with.tag: template syntax error on line 1: "
                "unexpected end of template, expected 'end of print statement'."
            ],
            id="template-syntax",
        ),
        pytest.param(
            "{prompt: triage, with: {label: bug}}",
            "{prompt: triage, call: echo}",
            [
                f"13:28: {L}: scenario[2].call: give only one of call, read, prompt, list "
                "(this scenario entry already has prompt)"
            ],
            id="two-actions",
        ),
        pytest.param(
            "{prompt: triage, with: {label: bug}}",
            "{weight: 2}",
            [f"13:5: {L}: scenario[2]: a scenario entry needs one of: call, read, prompt, list"],
            id="no-action",
        ),
        pytest.param(
            '{weight: 1, read: "res://readme"}',
            '{weight: 1, read: "res://readme", with: {a: 1}}',
            [f"12:45: {L}: scenario[1].with: with applies only to call and prompt (this entry uses read)"],
            id="with-on-read",
        ),
        pytest.param(
            "{prompt: triage,",
            "{name: echo, prompt: triage,",
            [f"13:12: {L}: scenario[2].name: duplicate scenario entry name 'echo' (first at line 11)"],
            id="duplicate-name",
        ),
        pytest.param(
            "{prompt: triage, with: {label: bug}}",
            "{call: echo, with: {message: hi}}",
            [
                f"13:5: {L}: scenario[2]: duplicate scenario entry name 'echo' (first at line 11): "
                "tell them apart with name:"
            ],
            id="duplicate-default-name",
        ),
        pytest.param(
            "{weight: 2, list: tools}",
            "{weight: 0, list: tools}",
            [f"14:14: {L}: scenario[3].weight: must be at least 1 (got 0)"],
            id="weight-zero",
        ),
        pytest.param(
            "{weight: 2, list: tools}",
            "{weight: 2, list: tool}",
            [f"14:23: {L}: scenario[3].list: expected one of: tools, resources, prompts (got 'tool')"],
            id="list-kind",
        ),
        pytest.param(
            "scenario:\n  - {name: echo",
            "scenario:\n  - {nmae: echo",
            [f"11:6: {L}: scenario[0].nmae: unknown field 'nmae' (did you mean 'name'?)"],
            id="misspelt-name",
        ),
        pytest.param(
            "model: arrival-rate",
            "model: closed",
            [f"16:10: {L}: profile.model: expected one of: vus, arrival-rate (got 'closed')"],
            id="model",
        ),
        pytest.param(
            "model: arrival-rate",
            "model: vus",
            [
                f"18:36: {L}: profile.stages[0].target: under model vus a target is a whole number of "
                "virtual users (got '500/s'); a rate is the target of model arrival-rate",
                f"18:67: {L}: profile.stages[1].target: under model vus a target is a whole number of "
                "virtual users (got '3000/m'); a rate is the target of model arrival-rate",
                f"19:3: {L}: profile.maxInFlight: maxInFlight applies only to model arrival-rate "
                "(this profile uses vus)",
            ],
            id="vus-with-rates",
        ),
        pytest.param(
            "  model: arrival-rate\n  startTarget: 10\n",
            "  model: vus\n  startTarget: 2.5\n",
            [
                f"17:16: {L}: profile.startTarget: under model vus a target is a whole number of "
                "virtual users (got 2.5)",
                f"18:36: {L}: profile.stages[0].target: under model vus a target is a whole number of "
                "virtual users (got '500/s'); a rate is the target of model arrival-rate",
                f"18:67: {L}: profile.stages[1].target: under model vus a target is a whole number of "
                "virtual users (got '3000/m'); a rate is the target of model arrival-rate",
                f"19:3: {L}: profile.maxInFlight: maxInFlight applies only to model arrival-rate "
                "(this profile uses vus)",
            ],
            id="vus-fractional-start",
        ),
        pytest.param(
            "target: 500/s",
            'target: "500"',
            [
                f"18:36: {L}: profile.stages[0].target: '500' is not a rate: use a number, a slash and a unit "
                "(50/s, 3000/m, 10/h)"
            ],
            id="rate-without-unit",
        ),
        pytest.param(
            "target: 500/s",
            "target: -5",
            [f"18:36: {L}: profile.stages[0].target: must be at least 0 (got -5)"],
            id="negative-target",
        ),
        pytest.param(
            "target: 500/s",
            "target: [500]",
            [f"18:36: {L}: profile.stages[0].target: expected a number or a string, got a list"],
            id="target-type",
        ),
        pytest.param(
            "stages: [{duration: 30s, target: 500/s}, {duration: 1m, target: 3000/m}, {duration: 10s, target: 0}]",
            "stages: []",
            [f"18:11: {L}: profile.stages: must not be empty"],
            id="no-stages",
        ),
        pytest.param(
            "{duration: 30s, target: 500/s}",
            "{duration: 30s}",
            [f"18:12: {L}: profile.stages[0]: missing required field 'target'"],
            id="stage-without-target",
        ),
        pytest.param(
            "duration: 30s, target: 500/s}, {duration: 1m, target: 3000/m}, {duration: 10s,",
            "duration: 0s, target: 500/s}, {duration: 0s, target: 3000/m}, {duration: 0ms,",
            [f"18:11: {L}: profile.stages: the stages last 0s in all: give a stage a duration"],
            id="no-duration",
        ),
        pytest.param(
            "  startTarget: 10\n  stages: [{duration: 30s, target: 500/s}, {duration: 1m, target: 3000/m},",
            "  stages: [{duration: 30s, target: 0}, {duration: 1m, target: 0/s},",
            [f"17:11: {L}: profile.stages: every target is 0: the test would send nothing"],
            id="no-load",
        ),
        pytest.param(
            "maxInFlight: 200",
            "maxInFlight: 0",
            [f"19:16: {L}: profile.maxInFlight: must be at least 1 (got 0)"],
            id="max-in-flight-zero",
        ),
        pytest.param(
            "gracefulStop: 5s",
            "gracefulStop: soon",
            [
                f"20:17: {L}: profile.gracefulStop: 'soon' is not a duration: use a number and a unit "
                "(250ms, 2s, 5m, 1h)"
            ],
            id="graceful-stop",
        ),
        pytest.param(
            '"p99 < 250ms"',
            '"p98 < 250ms"',
            [f"22:5: {L}: thresholds[0]: unknown metric 'p98' (did you mean 'p99'?)"],
            id="threshold-unknown-metric",
        ),
        pytest.param(
            '"rate > 400/s"',
            '"rate > 400ms"',
            [
                f"24:5: {L}: thresholds[2]: rate is requests per second: compare it with a rate such as 500/s, "
                "not a duration ('400ms')"
            ],
            id="threshold-rate-against-duration",
        ),
        pytest.param(
            '"error_rate <= 0.5%"',
            '"error_rate <= 500/s"',
            [
                f"23:17: {L}: thresholds[1].threshold: error_rate is a share of requests: compare it with a "
                "percentage such as 1%, not a rate ('500/s')"
            ],
            id="threshold-object-form",
        ),
        pytest.param(
            "call: echo, abort",
            "call: ecko, abort",
            [
                f"23:45: {L}: thresholds[1].call: unknown scenario entry 'ecko' "
                "(known: echo, res://readme, tools, triage)"
            ],
            id="threshold-unknown-call",
        ),
        pytest.param(
            "after: 10s}",
            "after: 100s}",
            [f"23:71: {L}: thresholds[1].after: after (1m40s) is not before the end of the stages (1m40s)"],
            id="threshold-after-the-end",
        ),
        pytest.param(
            "abort: true",
            'abort: "true"',
            [f"23:58: {L}: thresholds[1].abort: expected a boolean, got a string"],
            id="threshold-abort-type",
        ),
        pytest.param(
            '{threshold: "error_rate <= 0.5%",',
            '{thresold: "error_rate <= 0.5%",',
            [f"23:6: {L}: thresholds[1].thresold: unknown field 'thresold' (did you mean 'threshold'?)"],
            id="threshold-misspelt",
        ),
        pytest.param(
            '  - "rate > 400/s"\n',
            "  - 5\n",
            [f"24:5: {L}: thresholds[2]: expected a string or a mapping, got an integer"],
            id="threshold-type",
        ),
        pytest.param(
            "scenario:\n",
            "senario:\n",
            [
                f"10:1: {L}: senario: unknown field 'senario' (did you mean 'scenario'?)",
            ],
            id="misspelt-scenario",
        ),
    ],
)
def test_one_broken_field_in_a_load_test(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    (tmp_path / "sub").mkdir()
    found = errors_of(tmp_path, broken(LOAD, old, new))
    assert found == [line.format(L=L, dir=tmp_path) for line in expected]


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("records.ndjson", "", "jsonl"),
        ("records.CSV", "", "csv"),
        ("records.txt", ", format: csv", "csv"),
        ("records.csv", ", format: jsonl", "jsonl"),
    ],
)
def test_the_data_format_comes_from_format_or_the_extension(
    tmp_path: Path, name: str, line: str, expected: str
) -> None:
    (tmp_path / name).write_text("message\nhi\n", encoding="utf-8")
    text = broken(LOAD, "{file: messages.jsonl, order: random}", f"{{file: {name}{line}}}")
    data = load_test(tmp_path, text).data
    assert data is not None
    assert (data.file, data.format, data.order) == (str(tmp_path / name), expected, "sequential")


def test_without_servers_the_hint_says_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "load.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    assert [str(error).removeprefix(f"{path}:") for error in caught.value.errors] == [
        "4:9: LoadTest/tiny: server: unknown server 'other' "
        "(no servers are defined: add a Servers document or pass --servers)"
    ]


def test_a_call_to_a_pinned_server_names_a_pinned_tool(tmp_path: Path) -> None:
    lock = make_lock(
        [{"name": "echo", "description": "d"}],
        server="echo",
        server_info={"name": "echo", "version": "1"},
        protocol="2025-06-18",
    )
    (tmp_path / "tools.lock.json").write_text(json.dumps(lock), encoding="utf-8")
    write(tmp_path, broken(LOAD, "weight: 3, call: echo,", "weight: 3, call: shout,"))
    pinned = SERVERS.replace("args: [-m, echo]}", "args: [-m, echo], pin: tools.lock.json}")
    (tmp_path / "servers.yaml").write_text(pinned, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path)], environ={})
    assert [str(error).removeprefix(f"{tmp_path / 'load.yaml'}:") for error in caught.value.errors] == [
        f"11:35: {L}: scenario[0].call: unknown tool 'shout': not in the pinned tool list of server 'echo' "
        "(tools.lock.json: echo)"
    ]


def test_names_are_unique_per_kind_and_a_load_test_may_share_a_suite_name(tmp_path: Path) -> None:
    suite = "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: tiny}\nserver: echo\ntests: [{name: t, call: echo}]\n"
    write(tmp_path, MINIMAL + "---\n" + suite)
    specs = load_specs([str(tmp_path)], environ={})
    assert [spec.metadata.name for spec in specs.loads] == ["tiny"]
    assert [spec.metadata.name for spec in specs.suites] == ["tiny"]
    path = tmp_path / "load.yaml"
    found = errors_of(tmp_path, MINIMAL + "---\n" + MINIMAL)
    assert found == [
        f"13:18: LoadTest/tiny: metadata.name: duplicate LoadTest name 'tiny' (first at {path}:3:18)"
    ]


# -- the schema and the CLI -----------------------------------------------------------------------


def test_validate_a_good_load_test_names_it(tmp_path: Path) -> None:
    write(tmp_path, LOAD)
    code, out, err = mcpctl(
        "validate", str(tmp_path / "load.yaml"), "--servers", str(tmp_path / "servers.yaml")
    )
    assert (code, err) == (0, "")
    assert out == "ok: 1 document in 1 file (LoadTest/echo-load)\n"
    code, out, err = mcpctl("validate", str(tmp_path), "--output", "json")
    assert (code, err) == (0, "")
    assert [doc["kind"] for doc in json.loads(out)["documents"]] == ["LoadTest", "Servers"]


def test_validate_a_bad_load_test_exits_2_with_one_line_per_error(tmp_path: Path) -> None:
    path = write(tmp_path, broken(LOAD, '"p99 < 250ms"', '"p99 < 250"'))
    code, out, err = mcpctl("validate", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"mcpctl: error: {path}:22:5: {L}: thresholds[0]: '250' is not a duration: add a unit (250ms, 2s, 5m, 1h)"
    ]


def test_the_schema_of_load_test_is_printed() -> None:
    code, out, err = mcpctl("schema", "loadtest")
    assert (code, err) == (0, "")
    assert json.loads(out) == schema_for("LoadTest")


def test_record_field_docstrings_are_the_schema_descriptions() -> None:
    schema = schema_for("LoadTest")
    properties, defs = schema["properties"], schema["$defs"]
    assert isinstance(properties, dict)
    assert isinstance(defs, dict)
    assert properties["vars"]["description"] == "Values templates read as {{ vars.NAME }}."
    assert defs["thresholdRule"]["properties"]["abort"]["description"] == (
        "Stop the test (exit 1) as soon as the threshold breaks."
    )
    assert defs["thresholdRule"]["properties"]["after"]["description"] == (
        "Check it only from this long after the start (let a ramp-up settle)."
    )
    assert defs["profile"]["properties"]["gracefulStop"]["description"].startswith(
        "How long requests in flight at the end may take to finish"
    )
