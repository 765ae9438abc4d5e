"""``mcpctl compare``: two mocks that differ in one tool schema name exactly that change (acceptance
5); identical ones exit 0; a removed tool and a changed annotation; ``--suite`` answers side by side;
and the official Python SDK server compared with itself under a changed tool description."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcpctl.cli.compare import run_compare
from testing.paths import PYTHON, ROOT

SHOP = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: shop}
server: {name: shop, version: 1.0.0}
tools:
  - name: get_price
    description: The price of a product.
    inputSchema:
      type: object
      properties:
        sku: {type: string}
        currency: {type: string, enum: [EUR, USD]}
      required: [sku]
    annotations: {readOnlyHint: true}
    default: {text: "12.50"}
  - name: delete_product
    description: Delete a product.
    inputSchema: {type: object, properties: {sku: {type: string}}, required: [sku]}
    annotations: {readOnlyHint: false, destructiveHint: true}
    default: {text: deleted}
resources:
  - {uri: "shop://catalog", name: catalog, text: "mug, tee"}
prompts:
  - name: pitch
    arguments: [{name: sku, required: true}]
    messages: [{role: user, text: "Sell {{ args.sku }}"}]
"""

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: shop-tests}
server: {mock: "builtin:postgres"}
tests:
  - name: price
    call: get_price
    with: {sku: MUG-1}
    expect: {text: "12.50"}
  - name: catalog
    read: "shop://catalog"
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def compare(
    capsys: pytest.CaptureFixture[str], a: str, b: str, **options: object
) -> tuple[int, list[str], str]:
    settings: dict[str, object] = {"suites": [], "servers_files": [], "output": "text", "timeout": 30.0}
    settings.update(options)
    code = run_compare(a, b, **settings)  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_one_changed_input_schema_is_named_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    b = write(tmp_path, "b.yaml", SHOP.replace("enum: [EUR, USD]}", "enum: [EUR, USD, GBP]}"))
    code, lines, err = compare(capsys, a, b)
    assert (code, err) == (1, "")
    assert lines == [
        f"A: {a} (shop 1.0.0, protocol 2025-11-25)",
        f"B: {b} (shop 1.0.0, protocol 2025-11-25)",
        "tool 'get_price': inputSchema changed",
        "  --- A",
        "  +++ B",
        "  @@ -3,7 +3,8 @@",
        '       "currency": {',
        '         "enum": [',
        '           "EUR",',
        '  -        "USD"',
        '  +        "USD",',
        '  +        "GBP"',
        "         ],",
        '         "type": "string"',
        "       },",
        "contract: 1 difference (tool: 1 changed)",
    ]


def test_identical_servers_exit_0_with_no_differences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    code, lines, err = compare(capsys, a, a)
    assert (code, err) == (0, "")
    assert lines[2:] == ["contract: no differences (2 tools, 1 resource, 0 resource templates, 1 prompt)"]


def test_a_removed_tool_and_a_changed_annotation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    removed = SHOP[: SHOP.index("  - name: delete_product")] + SHOP[SHOP.index("resources:") :]
    b = write(tmp_path, "b.yaml", removed.replace("{readOnlyHint: true}", "{readOnlyHint: false}"))
    code, lines, err = compare(capsys, a, b)
    assert (code, err) == (1, "")
    assert lines[2:] == [
        "tool 'delete_product': only in A",
        "tool 'get_price': annotations.readOnlyHint changed: true -> false"
        "  <-- WARNING: the tool no longer declares itself read-only",
        "contract: 2 differences (tool: 1 only in A, 1 changed)",
    ]
    code, lines, _ = compare(capsys, a, b, output="markdown")
    assert (code, lines[5:]) == (
        1,
        [
            "## Contract",
            "",
            "contract: 2 differences (tool: 1 only in A, 1 changed)",
            "",
            "```diff",
            "tool 'delete_product': only in A",
            "tool 'get_price': annotations.readOnlyHint changed: true -> false"
            "  <-- WARNING: the tool no longer declares itself read-only",
            "```",
        ],
    )
    code, out, _ = compare(capsys, a, b, output="json")
    data = json.loads("\n".join(out))
    assert (
        code,
        data["identical"],
        [(d["area"], d["subject"], d["change"]) for d in data["differences"]],
    ) == (
        1,
        False,
        [("tool", "delete_product", "removed"), ("tool", "get_price", "changed")],
    )


def test_prompts_resources_and_server_info_are_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    changed = (
        SHOP.replace("version: 1.0.0", "version: 1.1.0")
        .replace("name: catalog,", "name: catalog, mimeType: text/plain,")
        .replace("required: true}]", "required: false}]")
    )
    code, lines, _ = compare(capsys, a, write(tmp_path, "b.yaml", changed))
    assert code == 1
    assert lines[2:] == [
        'serverInfo.version: "1.0.0" -> "1.1.0"',
        "resource 'shop://catalog': mimeType: (unset) -> \"text/plain\"",
        "prompt 'pitch': argument 'sku': required: true -> false",
        "contract: 3 differences (serverInfo: 1 changed; resource: 1 changed; prompt: 1 changed)",
    ]


def test_suite_answers_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    b = write(tmp_path, "b.yaml", SHOP.replace('default: {text: "12.50"}', 'default: {text: "13.00"}'))
    suite = write(tmp_path, "suite.yaml", SUITE)
    code, lines, err = compare(capsys, a, b, suites=[suite])
    assert (code, err) == (1, "")
    assert lines[2:] == [
        "contract: no differences (2 tools, 1 resource, 0 resource templates, 1 prompt)",
        "",
        "suite shop-tests:",
        "test     A       B       answers",
        "price    passed  failed  different",
        "catalog  passed  passed  same",
        'test \'price\' failed on B: text: expected "12.50", got "13.00"',
        "test 'price': answers differ",
        "  --- A",
        "  +++ B",
        "  @@ -4,3 +4,3 @@",
        "         {",
        '  -        "text": "12.50",',
        '  +        "text": "13.00",',
        '           "type": "text"',
        "suite shop-tests: 1 of 2 tests differ",
    ]
    code, out, _ = compare(capsys, a, b, suites=[suite], output="json")
    data = json.loads("\n".join(out))
    assert (code, data["identical"], data["differences"]) == (1, False, [])
    assert data["suites"][0]["tests"][1] == {
        "test": "catalog",
        "a": {"status": "passed", "message": ""},
        "b": {"status": "passed", "message": ""},
        "sameAnswers": True,
        "diff": [],
    }


def test_bad_input_exits_2_and_an_unreachable_server_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.yaml", SHOP)
    assert compare(capsys, a, "nowhere") == (
        2,
        [],
        "mcpctl: error: 'nowhere': not a URL, builtin:NAME, MockServer spec file "
        "or server of a --servers file\n",
    )
    assert compare(capsys, a, "builtin:nope")[0] == 2
    code, lines, err = compare(capsys, a, "http://127.0.0.1:9/mcp", timeout=5.0)
    assert (code, lines) == (3, [])
    assert err.startswith("mcpctl: error: http://127.0.0.1:9/mcp: ")


def test_the_official_sdk_server_against_itself_with_a_changed_description(tmp_path: Path) -> None:
    servers = write(
        tmp_path,
        "servers.yaml",
        f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: sdk}}
servers:
  echo: {{command: {PYTHON}, args: [-m, testing.servers.sdk_echo], cwd: {ROOT}}}
  echo-next:
    command: {PYTHON}
    args: [-m, testing.servers.sdk_echo]
    cwd: {ROOT}
    env: {{MCPCTL_TEST_ECHO_DESCRIPTION: "Return the text unchanged, and keep a copy."}}
""",
    )
    suite = write(
        tmp_path,
        "suite.yaml",
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: echo}\nserver: {mock: 'builtin:postgres'}\n"
        "tests:\n  - {name: echo, call: echo, with: {text: hi}, expect: {text: hi}}\n",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpctl",
            "compare",
            "echo",
            "echo-next",
            "--servers",
            servers,
            "--suite",
            suite,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (1, "")
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("A: echo (mcpctl-sdk-echo 1.0.0, protocol ")
    assert lines[2:] == [
        "tool 'echo': description changed",
        "  --- A",
        "  +++ B",
        "  @@ -1 +1 @@",
        "  -Return the text unchanged.",
        "  +Return the text unchanged, and keep a copy.",
        "contract: 1 difference (tool: 1 changed)",
        "",
        "suite echo:",
        "test    A       B       answers",
        "echo    passed  passed  same",
        "suite echo: no differences (1 test)",
    ]


def test_server_everything_against_itself_and_against_a_bundled_mock(
    everything_http_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = compare(capsys, everything_http_server, everything_http_server)
    assert (code, err) == (0, "")
    assert lines[0].startswith(f"A: {everything_http_server} (mcp-servers/everything ")
    assert lines[2].startswith("contract: no differences (")

    code, lines, err = compare(capsys, everything_http_server, "builtin:postgres")
    assert (code, err) == (1, "")
    assert 'serverInfo.name: "mcp-servers/everything" -> "postgres"' in lines
    assert "tool 'echo': only in A" in lines
    assert "tool 'query': only in B" in lines
    assert lines[-1].startswith("contract: ")
