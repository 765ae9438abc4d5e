"""``mcpctl coverage`` against mocks it only lists: the tables, JSON and Markdown exactly, enum values,
optional fields and error paths found in the specs, ``--fail-under``, and the exit codes for an
unreachable server (3) and a bad spec (2). The mock's call history proves no tool was called."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mcpctl.cli.coverage import run_coverage
from mcpctl.store import open_store
from mcpctl.store.mock_calls import list_calls
from testing.paths import ROOT

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
        currency: {type: string, enum: [EUR, USD, GBP]}
        rounded: {type: boolean}
      required: [sku]
    annotations: {readOnlyHint: true}
    responses:
      - when: {args: {sku: {matches: "^NOPE"}}}
        respond: {isError: true, text: no such product}
    default: {text: "12.50"}
  - name: delete_product
    description: Delete a product.
    inputSchema: {type: object, properties: {sku: {type: string}}, required: [sku]}
    annotations: {readOnlyHint: false, destructiveHint: true}
    default: {text: deleted}
resources:
  - {uri: "shop://catalog", name: catalog, text: "mug, tee"}
resourceTemplates:
  - {uriTemplate: "shop://product/{sku}", name: product, text: "product {{ params.sku }}"}
prompts:
  - name: pitch
    arguments: [{name: sku, required: true}]
    messages: [{role: user, text: "Sell {{ args.sku }}"}]
"""

SPECS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: servers}
servers:
  shop: {mock: shop.yaml}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: shop-tests}
server: shop
vars: {sku: MUG-1, currency: GBP}
tests:
  - name: price in euros
    call: get_price
    with: {sku: MUG-1, currency: EUR}
  - name: price computed at run time
    call: get_price
    with: {sku: "{{ vars.sku }}", currency: "{{ vars.currency }}"}
  - name: unknown product
    call: get_price
    with: {sku: NOPE-1, rounded: true}
    expect: {isError: true}
  - name: stock
    call: get_stock
    with: {sku: MUG-1}
  - name: catalog
    read: "shop://catalog"
  - name: one product
    steps:
      - {name: read, read: "shop://product/MUG-1"}
      - {name: computed, read: "shop://product/{{ vars.sku }}"}
  - name: not yet
    skip: waiting for a sandbox
    call: delete_product
    with: {sku: MUG-1}
---
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: watch}
servers:
  - server: shop
    name: price
    probe: {call: get_price, with: {sku: MUG-1, currency: USD}}
"""

TEXT = """\
server shop: 66.7% (8 of 12 items)
  tools 1/2, resources 1/1, resource templates 1/1, prompts 0/1
  tool            calls    enum values              optional fields          error path
  get_price       4        currency 2/3 (EUR, USD)  2/2 (currency, rounded)  yes
  delete_product  0        -                        -                        no
  never called: delete_product
  prompts not fetched: pitch
  used but not listed by the server: tool 'get_stock'
  known only at run time, not counted: 2 argument values and 1 resource URI

total: 66.7% (8 of 12 items hit)
(items: each tool, resource, resource template and prompt, and per tool each enum value, optional field and its error path)
"""


MARKDOWN = """\
# mcpctl coverage

**total: 66.7% (8 of 12 items hit)** (items: each tool, resource, resource template and prompt, and per tool each enum value, optional field and its error path)

## shop: 66.7% (8 of 12 items)

tools 1/2, resources 1/1, resource templates 1/1, prompts 0/1

| tool           | calls   | enum values             | optional fields         | error path   |
|----------------|---------|-------------------------|-------------------------|--------------|
| get_price      | 4       | currency 2/3 (EUR, USD) | 2/2 (currency, rounded) | yes          |
| delete_product | 0       | -                       | -                       | no           |

- never called: delete_product
- prompts not fetched: pitch
- used but not listed by the server: tool 'get_stock'
- known only at run time, not counted: 2 argument values and 1 resource URI
"""


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "shop.yaml").write_text(SHOP, encoding="utf-8")
    path = tmp_path / "specs.yaml"
    path.write_text(SPECS, encoding="utf-8")
    return path


def coverage(capsys: pytest.CaptureFixture[str], *paths: Path, **options: object) -> tuple[int, str, str]:
    settings: dict[str, object] = {"servers_files": [], "output": "text", "fail_under": None, "timeout": 30.0}
    settings.update(options)
    code = run_coverage([str(p) for p in paths], **settings)  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_counts_tools_enum_values_optional_fields_and_error_paths_and_calls_nothing(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coverage(capsys, specs) == (0, TEXT, "")
    with open_store(Path(os.environ["MCPCTL_STATE_DIR"])) as store:
        assert list_calls(store) == []
    # the history is kept where this test looks: running the suite records its calls there
    subprocess.run(
        [sys.executable, "-m", "mcpctl", "test", str(specs)], cwd=ROOT, capture_output=True, check=False
    )
    with open_store(Path(os.environ["MCPCTL_STATE_DIR"])) as store:
        assert sorted({str(call.record["tool"]) for call in list_calls(store)}) == ["get_price"]


def test_json_gives_every_figure(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = coverage(capsys, specs, output="json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "definition": "items: each tool, resource, resource template and prompt, "
        "and per tool each enum value, optional field and its error path",
        "percent": 66.67,
        "hit": 8,
        "items": 12,
        "servers": [
            {
                "server": "shop",
                "percent": 66.67,
                "hit": 8,
                "items": 12,
                "tools": {"exercised": 1, "total": 2},
                "resources": {"read": ["shop://catalog"], "total": 1},
                "resourceTemplates": {"matched": ["shop://product/{sku}"], "total": 1},
                "prompts": {"fetched": [], "total": 1},
                "neverCalled": ["delete_product"],
                "notListed": ["tool 'get_stock'"],
                "unknownReads": 1,
                "toolDetails": [
                    {
                        "name": "get_price",
                        "calls": 4,
                        "enums": {"currency": {"values": ["EUR", "USD", "GBP"], "used": ["EUR", "USD"]}},
                        "optionalFields": ["currency", "rounded"],
                        "givenOptionalFields": ["currency", "rounded"],
                        "errorPath": True,
                        "unknownValues": 2,
                    },
                    {
                        "name": "delete_product",
                        "calls": 0,
                        "enums": {},
                        "optionalFields": [],
                        "givenOptionalFields": [],
                        "errorPath": False,
                        "unknownValues": 0,
                    },
                ],
            }
        ],
    }


def test_markdown(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = coverage(capsys, specs, output="markdown")
    assert code == 0
    assert out == MARKDOWN


@pytest.mark.parametrize(("under", "code"), [(66.0, 0), (66.7, 1), (100, 1)])
def test_fail_under_exits_1_below_the_total_and_says_why(
    specs: Path, capsys: pytest.CaptureFixture[str], under: float, code: int
) -> None:
    result = coverage(capsys, specs, fail_under=under)
    assert result[:2] == (code, TEXT)
    expected = (
        f"mcpctl: coverage 66.67% is below --fail-under {under:g}% (8 of 12 items hit)\n" if code else ""
    )
    assert result[2] == expected


def test_a_server_that_cannot_start_exits_3_with_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "specs.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: gone}\n"
        f"server: {{command: {tmp_path / 'no-such-server'}}}\n"
        "tests:\n  - {name: t, call: echo}\n",
        encoding="utf-8",
    )
    code, out, err = coverage(capsys, path)
    assert (code, out) == (3, "")
    assert err.startswith(f"mcpctl: error: server '{tmp_path / 'no-such-server'}': ")


def test_a_bad_spec_exits_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "specs.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: bad}\nserver: nowhere\n"
        "tests:\n  - {name: t, call: echo}\n",
        encoding="utf-8",
    )
    code, out, err = coverage(capsys, path)
    assert (code, out) == (2, "")
    assert err.startswith(f"mcpctl: error: {path}:4:9: TestSuite/bad: server: ")


def test_the_command_line_runs_it_against_a_bundled_mock(tmp_path: Path) -> None:
    path = tmp_path / "specs.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: linear}\n"
        "server: {mock: 'builtin:linear'}\ntests:\n"
        "  - {name: mine, call: list_issues, with: {assignee: me, orderBy: createdAt}}\n"
        "  - {name: urgent, call: update_issue, with: {id: ENG-2, priority: 1}}\n"
        "  - {name: issue, read: 'linear://issue/ENG-1'}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mcpctl", "coverage", str(path), "-o", "json", "--fail-under", "90"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    server = report["servers"][0]
    assert (server["server"], server["tools"], server["resourceTemplates"]) == (
        "mock builtin:linear",
        {"exercised": 2, "total": 10},
        {"matched": ["linear://issue/{identifier}"], "total": 1},
    )
    details = {tool["name"]: tool for tool in server["toolDetails"]}
    assert details["list_issues"]["enums"]["orderBy"]["used"] == ["createdAt"]
    assert details["list_issues"]["givenOptionalFields"] == ["assignee", "orderBy"]
    assert details["update_issue"]["enums"]["priority"] == {"values": [0, 1, 2, 3, 4], "used": [1]}
    assert proc.stderr == (
        f"mcpctl: coverage {report['percent']:.2f}% is below --fail-under 90% "
        f"({report['hit']} of {report['items']} items hit)\n"
    )
