"""Monitor documents: every record field built from YAML with its defaults, and every meaning check with
its exact message (one valid document, one field broken per test)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mcpctl.spec.build import load_specs
from mcpctl.spec.model import (
    ErrorExpect,
    Expect,
    LatencyExpect,
    ListExpect,
    Metadata,
    MockServerRef,
    Source,
    TextMatch,
)
from mcpctl.spec.monitor_checks import parse_condition, parse_retention
from mcpctl.spec.monitor_model import HealthCondition, HealthRules, MonitoredServer, MonitorSpec, Probe
from mcpctl.spec.schemas import schema_for
from mcpctl.spec.units import Duration
from tests.unit.spec_files import broken, errors_in, expected_spec_hash

SERVERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  weather: {command: python, args: [-m, weather]}
  auth: {command: python, args: [-m, auth]}
"""

MONITOR = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: fleet}
defaults: {interval: 20s, timeout: 4s, session: per-probe, probe: {list: resources}}
health:
  window: 1m
  degraded: ["p99 > 500ms", "error_rate >= 1%"]
  unhealthy: ["error_rate > 20%", "p50<=2s"]
  offlineAfter: 5
retention: 30d
concurrency: 8
servers:
  - server: weather
    probe: {call: forecast, with: {city: Paris}, expect: {isError: false, text: {contains: sun}}}
    interval: 5s
    timeout: 2s
    session: keep
    dependsOn: [auth]
    labels: {team: core}
  - server: auth
  - server: {mock: "builtin:github"}
    name: github
    probe: {ping: {}, expect: {latency: {max: 1s}}}
    dependsOn: [auth, weather]
  - server: weather
    name: stations
    probe: {read: "weather://stations", expect: {error: true}}
  - server: weather
    name: tools
    probe: {list: tools, expect: {tools: {include: [forecast]}}}
"""

M = "Monitor/fleet"


def _write(tmp_path: Path, monitor: str = MONITOR) -> Path:
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    path = tmp_path / "monitor.yaml"
    path.write_text(monitor, encoding="utf-8")
    return path


def test_every_field_is_built(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (spec,) = load_specs([str(tmp_path)], environ={}).monitors
    at = str(path)
    listed = Probe(kind="list", listing="resources")
    assert spec == MonitorSpec(
        metadata=Metadata(name="fleet"),
        servers=(
            MonitoredServer(
                name="weather",
                server="weather",
                probe=Probe(
                    kind="call",
                    tool="forecast",
                    arguments={"city": "Paris"},
                    expect=Expect(is_error=False, text=TextMatch(contains=("sun",))),
                ),
                interval=Duration(seconds=5.0),
                timeout=Duration(seconds=2.0),
                session="keep",
                depends_on=("auth",),
                labels={"team": "core"},
                source=Source(path=at, line=13, column=5),
            ),
            MonitoredServer(
                name="auth",
                server="auth",
                probe=listed,
                interval=Duration(seconds=20.0),
                timeout=Duration(seconds=4.0),
                session="per-probe",
                source=Source(path=at, line=20, column=5),
            ),
            MonitoredServer(
                name="github",
                server=MockServerRef(
                    name="github", spec="builtin:github", source=Source(path=at, line=21, column=13)
                ),
                probe=Probe(kind="ping", expect=Expect(latency=LatencyExpect(max=Duration(seconds=1.0)))),
                interval=Duration(seconds=20.0),
                timeout=Duration(seconds=4.0),
                session="per-probe",
                depends_on=("auth", "weather"),
                source=Source(path=at, line=21, column=5),
            ),
            MonitoredServer(
                name="stations",
                server="weather",
                probe=Probe(kind="read", uri="weather://stations", expect=Expect(error=ErrorExpect())),
                interval=Duration(seconds=20.0),
                timeout=Duration(seconds=4.0),
                session="per-probe",
                source=Source(path=at, line=25, column=5),
            ),
            MonitoredServer(
                name="tools",
                server="weather",
                probe=Probe(
                    kind="list", listing="tools", expect=Expect(tools=ListExpect(include=("forecast",)))
                ),
                interval=Duration(seconds=20.0),
                timeout=Duration(seconds=4.0),
                session="per-probe",
                source=Source(path=at, line=28, column=5),
            ),
        ),
        health=HealthRules(
            window=Duration(seconds=60.0),
            degraded=(
                HealthCondition(metric="p99", op=">", value=500.0, text="p99 > 500ms"),
                HealthCondition(metric="error_rate", op=">=", value=0.01, text="error_rate >= 1%"),
            ),
            unhealthy=(
                HealthCondition(metric="error_rate", op=">", value=0.2, text="error_rate > 20%"),
                HealthCondition(metric="p50", op="<=", value=2000.0, text="p50<=2s"),
            ),
            offline_after=5,
        ),
        retention=Duration(seconds=30 * 86400.0),
        concurrency=8,
        spec_hash=expected_spec_hash(MONITOR),
        source=Source(path=at, line=1, column=1),
    )


def test_the_defaults(tmp_path: Path) -> None:
    text = "apiVersion: mcpctl/v1\nkind: Monitor\nmetadata: {name: fleet}\nservers: [{server: weather}]\n"
    path = _write(tmp_path, text)
    (spec,) = load_specs([str(tmp_path)], environ={}).monitors
    assert spec == MonitorSpec(
        metadata=Metadata(name="fleet"),
        servers=(
            MonitoredServer(
                name="weather",
                server="weather",
                probe=Probe(),
                interval=Duration(seconds=10.0),
                timeout=Duration(seconds=5.0),
                session="keep",
                source=Source(path=str(path), line=4, column=11),
            ),
        ),
        health=HealthRules(window=Duration(seconds=300.0), offline_after=3),
        retention=Duration(seconds=7 * 86400.0),
        concurrency=50,
        spec_hash=expected_spec_hash(text),
        source=Source(path=str(path), line=1, column=1),
    )
    assert spec.servers[0].probe == Probe(kind="ping", expect=Expect())


_CALL = "probe: {call: forecast, with: {city: Paris}, expect: {isError: false, text: {contains: sun}}}"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    name: stations\n",
            "    name: github\n",
            f"26:11: {M}: servers[3].name: duplicate server name 'github' (first at line 22)",
            id="duplicate-name",
        ),
        pytest.param(
            "    name: stations\n",
            "",
            f"25:13: {M}: servers[3].server: duplicate server name 'weather' (first at line 13): tell them "
            "apart with name:",
            id="duplicate-default-name",
        ),
        pytest.param(
            "    name: github\n",
            "",
            f"21:13: {M}: servers[2].server: an inline server needs name: the name the monitor shows it by",
            id="inline-without-name",
        ),
        pytest.param(
            "  - server: auth\n",
            "  - server: nope\n    name: auth\n",
            f"20:13: {M}: servers[1].server: unknown server 'nope' (known: auth, weather)",
            id="unknown-server",
        ),
        pytest.param(
            "dependsOn: [auth, weather]",
            "dependsOn: [auth, wether]",
            f"24:23: {M}: servers[2].dependsOn[1]: unknown monitored server 'wether' (known: auth, github, "
            "stations, tools, weather)",
            id="unknown-dependency",
        ),
        pytest.param(
            "dependsOn: [auth, weather]",
            "dependsOn: [github]",
            f"24:17: {M}: servers[2].dependsOn[0]: server 'github' depends on itself",
            id="self-dependency",
        ),
        pytest.param(
            "  - server: auth\n",
            "  - server: auth\n    dependsOn: [weather]\n",
            f"21:17: {M}: servers[1].dependsOn[0]: dependency cycle: weather -> auth -> weather",
            id="cycle",
        ),
        pytest.param(
            '"p99 > 500ms"',
            '"p99 500ms"',
            f"7:14: {M}: health.degraded[0]: 'p99 500ms' is not a health condition: write a metric, a "
            "comparison and a value (p99 > 500ms, error_rate > 1%)",
            id="condition-syntax",
        ),
        pytest.param(
            '"p99 > 500ms"',
            '"p95 > 500ms"',
            f"7:14: {M}: health.degraded[0]: unknown metric 'p95' (metrics: p50, p90, p99, error_rate)",
            id="condition-metric",
        ),
        pytest.param(
            '"error_rate >= 1%"',
            '"eror_rate >= 1%"',
            f"7:29: {M}: health.degraded[1]: unknown metric 'eror_rate' (did you mean 'error_rate'?)",
            id="condition-metric-typo",
        ),
        pytest.param(
            '"p99 > 500ms"',
            '"p99 == 500ms"',
            f"7:14: {M}: health.degraded[0]: unknown comparison '==' (use <, <=, > or >=)",
            id="condition-op",
        ),
        pytest.param(
            '"p99 > 500ms"',
            '"p99 > 5%"',
            f"7:14: {M}: health.degraded[0]: p99 is a latency: compare it with a duration such as 500ms, not '5%'",
            id="condition-latency-value",
        ),
        pytest.param(
            '"error_rate > 20%"',
            '"error_rate > 0.2"',
            f"8:15: {M}: health.unhealthy[0]: error_rate is a share of probes: compare it with a percentage "
            "such as 1%, not '0.2'",
            id="condition-rate-value",
        ),
        pytest.param(
            '"error_rate > 20%"',
            '"error_rate > 120%"',
            f"8:15: {M}: health.unhealthy[0]: '120%' is not a percentage: it must be between 0% and 100% "
            "(1%, 0.5%, 100%)",
            id="condition-rate-over-100",
        ),
        pytest.param(
            _CALL,
            "probe: {call: forecast, read: res://x}",
            f"14:35: {M}: servers[0].probe.read: give only one of ping, list, call, read (this probe already "
            "has call)",
            id="probe-two-kinds",
        ),
        pytest.param(
            _CALL,
            "probe: {expect: {isError: false}}",
            f"14:12: {M}: servers[0].probe: a probe needs one of: ping, list, call, read",
            id="probe-no-kind",
        ),
        pytest.param(
            '{read: "weather://stations", expect: {error: true}}',
            '{read: "weather://stations", with: {a: 1}}',
            f"27:47: {M}: servers[3].probe.with: with applies only to a call probe (this probe uses read)",
            id="with-not-call",
        ),
        pytest.param(
            "{ping: {}, expect: {latency: {max: 1s}}}",
            "{ping: {}, expect: {isError: false}}",
            f"23:41: {M}: servers[2].probe.expect.isError: isError does not apply to a ping probe (it checks "
            "latency)",
            id="expect-ping",
        ),
        pytest.param(
            "expect: {tools: {include: [forecast]}}",
            "expect: {prompts: {include: [forecast]}}",
            f"30:44: {M}: servers[4].probe.expect.prompts: prompts does not apply to a list: tools probe (it "
            "checks tools, latency)",
            id="expect-list",
        ),
        pytest.param(
            '{read: "weather://stations", expect: {error: true}}',
            '{read: "weather://stations", expect: {mimeType: text/plain, structuredContent: {pointer: /a, exists: true}}}',
            f"27:91: {M}: servers[3].probe.expect.structuredContent: structuredContent does not apply to a "
            "read probe (it checks error, text, mimeType, latency)",
            id="expect-read",
        ),
        pytest.param(
            "expect: {isError: false, text: {contains: sun}}",
            "expect: {isError: false, error: true}",
            f"14:82: {M}: servers[0].probe.expect.error: error cannot be combined with isError (a request "
            "that fails has no result)",
            id="expect-error-and-result",
        ),
        pytest.param(
            "    timeout: 2s\n",
            "    timeout: 5s\n",
            f"16:14: {M}: servers[0].timeout: timeout (5s) must be shorter than interval (5s): a probe ends "
            "before the next",
            id="timeout-not-below-interval",
        ),
        pytest.param(
            "    name: stations\n",
            "    name: stations\n    interval: 3s\n",
            f"27:15: {M}: servers[3].interval: timeout (4s) must be shorter than interval (3s): a probe ends "
            "before the next",
            id="interval-below-default-timeout",
        ),
        pytest.param(
            "defaults: {interval: 20s, timeout: 4s,",
            "defaults: {interval: 20s, timeout: 30s,",
            f"4:36: {M}: defaults.timeout: timeout (30s) must be shorter than interval (20s): a probe ends "
            "before the next",
            id="defaults-timeout",
        ),
        pytest.param(
            "labels: {team: core}",
            "labels: {server: core}",
            f"19:14: {M}: servers[0].labels.server: label 'server' is set by mcpctl (to the monitored "
            "server's name)",
            id="label-server",
        ),
        pytest.param(
            "labels: {team: core}",
            "labels: {team-x: core}",
            f"19:14: {M}: servers[0].labels.team-x: label 'team-x' is not a metric label name: use letters, "
            "digits and '_', not starting with a digit or '__'",
            id="label-name",
        ),
        pytest.param(
            "retention: 30d",
            "retention: 30 days",
            f"10:12: {M}: retention: '30 days' is not a retention: use days (7d, 30d) or a duration (12h, 90m)",
            id="retention",
        ),
        pytest.param(
            "offlineAfter: 5",
            "offlineAfter: 0",
            f"9:17: {M}: health.offlineAfter: must be at least 1 (got 0)",
            id="offline-after",
        ),
        pytest.param(
            "concurrency: 8",
            "concurrency: 10001",
            f"11:14: {M}: concurrency: must be at most 10000 (got 10001)",
            id="concurrency-high",
        ),
        pytest.param(
            "concurrency: 8",
            "concurrency: 0",
            f"11:14: {M}: concurrency: must be at least 1 (got 0)",
            id="concurrency-low",
        ),
    ],
)
def test_meaning_errors_name_the_line_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write(tmp_path, broken(MONITOR, old, new))
    assert errors_in(tmp_path, path) == [expected]


def test_parsers() -> None:
    assert parse_condition(" p90 < 1.5s ") == ("p90", "<", 1500.0)
    assert parse_retention("1.5d") == Duration(seconds=1.5 * 86400)
    assert parse_retention("12h") == Duration(seconds=12 * 3600.0)


def test_the_probe_expect_is_the_test_suite_expect() -> None:
    monitor, suite = schema_for("Monitor")["$defs"], schema_for("TestSuite")["$defs"]
    assert isinstance(monitor, dict)
    assert isinstance(suite, dict)
    for name in ("expect", "textMatch", "errorExpect", "structuredCheck", "toolsExpect", "listExpect"):
        assert monitor[name] == suite[name], name


def _docstrings() -> dict[tuple[str, str], str]:
    """(class, field) → the field's docstring, read from monitor_model's source."""
    import mcpctl.spec.monitor_model as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found = {}
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for field, doc in zip(cls.body, cls.body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
            ):
                text = re.sub(r"\s+", " ", str(doc.value.value)).replace("``", "")
                found[cls.name, field.target.id] = text
    return found


def test_record_field_docstrings_are_the_schema_descriptions() -> None:
    schema = schema_for("Monitor")
    properties, defs = schema["properties"], schema["$defs"]
    assert isinstance(properties, dict)
    assert isinstance(defs, dict)
    docs = _docstrings()
    server, health, probe = (defs[name]["properties"] for name in ("monitoredServer", "health", "probe"))
    described = {
        ("MonitorSpec", "retention"): properties["retention"],
        ("MonitorSpec", "concurrency"): properties["concurrency"],
        ("HealthRules", "window"): health["window"],
        ("HealthRules", "offline_after"): health["offlineAfter"],
        ("MonitoredServer", "name"): server["name"],
        ("MonitoredServer", "session"): server["session"],
        ("MonitoredServer", "depends_on"): server["dependsOn"],
        ("MonitoredServer", "labels"): server["labels"],
        ("Probe", "tool"): probe["call"],
        ("Probe", "expect"): probe["expect"],
    }
    for key, prop in described.items():
        assert prop["description"] == docs[key], key
