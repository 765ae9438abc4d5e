"""``mcpctl mock export`` / ``import``: the same MockServer document as YAML or JSON, validated on
the way, tabs in JSON tolerated, ``${env:...}`` references kept as written."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
import yaml

from mcpctl.cli.app import main
from mcpctl.errors import InvalidSpecs
from mcpctl.mock.export import convert, dump_yaml, write_atomic
from mcpctl.spec.build import load_specs

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: demo, labels: {made: 2024-01-02}}
server: {name: demo, version: 2.0.0}
tools:
  - name: weather
    inputSchema: {type: object, properties: {city: {type: string}}}
    responses:
      - when: {args: {city: Paris}}
        respond: "Sunny in {{ args.city }}, key ${env:API_KEY}"
resources:
  - {uri: "file:///readme.txt", name: readme, text: "line 1\\nline 2\\n"}
"""


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "s3cret")


def mcpctl(*args: str) -> tuple[int, str, str]:
    """Run the CLI as its entry point does (errors mapped to exit codes), capturing its output."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", ["mcpctl", *args]), redirect_stdout(out), redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_yaml_to_json_keeps_the_document_and_its_env_references(tmp_path: Path) -> None:
    source = tmp_path / "mock.yaml"
    source.write_text(MOCK)
    exported = json.loads(convert(str(source), "json"))
    assert exported == yaml.safe_load(MOCK.replace("2024-01-02", "'2024-01-02'"))
    assert exported["tools"][0]["responses"][0]["respond"].endswith("key ${env:API_KEY}")
    assert "s3cret" not in json.dumps(exported)


def test_json_indented_with_tabs_imports_to_yaml_that_validates(tmp_path: Path) -> None:
    document = yaml.safe_load(MOCK.replace("2024-01-02", "'2024-01-02'"))
    source = tmp_path / "mock.json"
    source.write_text("\t" + json.dumps(document, indent="\t") + "\n")
    code, out, err = mcpctl("mock", "import", str(source), "--out", str(tmp_path / "back.yaml"))
    assert (code, out, err) == (0, "", f"mcpctl: wrote {tmp_path / 'back.yaml'}\n")
    text = (tmp_path / "back.yaml").read_text()
    assert text.startswith("# Converted from mock.json by mcpctl mock import\napiVersion: mcpctl/v1\n")
    assert "  text: |\n    line 1\n    line 2\n" in text
    assert yaml.safe_load(text) == document
    assert load_specs([str(tmp_path / "back.yaml")]).mocks[0].metadata.name == "demo"


def test_import_reports_errors_at_the_json_file_positions(tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(
        '{\n\t"apiVersion": "mcpctl/v1",\n\t"kind": "MockServer",\n\t"metadata": {"name": "x"},\n\t"tools": [{"nam": 1}]\n}\n'
    )
    with pytest.raises(InvalidSpecs) as caught:
        convert(str(source), "yaml", verb="import")
    problem = f"{source}:5:13: MockServer/x: tools[0].nam: unknown field 'nam' (did you mean 'name'?)"
    assert str(caught.value).splitlines()[0] == problem
    code, out, err = mcpctl("mock", "import", str(source))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"mcpctl: error: {problem}"


def test_export_to_a_file_and_back(tmp_path: Path) -> None:
    source = tmp_path / "mock.yaml"
    source.write_text(MOCK)
    assert mcpctl("mock", "export", str(source), "--out", str(tmp_path / "m.json"))[0] == 0
    code, out, err = mcpctl("mock", "export", str(tmp_path / "m.json"), "--format", "yaml")
    assert (code, err) == (0, "")
    assert yaml.safe_load(out) == json.loads((tmp_path / "m.json").read_text())
    assert mcpctl("mock", "export", str(source), "--format", "toml")[2] == (
        "mcpctl: error: --format 'toml': expected yaml or json\n"
    )


def test_several_documents_need_a_name(tmp_path: Path) -> None:
    source = tmp_path / "two.yaml"
    source.write_text(MOCK + "---\n" + MOCK.replace("name: demo,", "name: other,"))
    assert mcpctl("mock", "export", str(source))[2] == (
        f"mcpctl: error: {source}: several MockServer documents (demo, other): choose one with --name\n"
    )
    code, out, _ = mcpctl("mock", "export", str(source), "--name", "other")
    assert (code, json.loads(out)["metadata"]["name"]) == (0, "other")


def test_dumps_never_use_anchors_and_writes_are_atomic(tmp_path: Path) -> None:
    shared = {"type": "string"}
    text = dump_yaml({"a": shared, "b": shared})
    assert text == "a:\n  type: string\nb:\n  type: string\n"
    target = tmp_path / "out.yaml"
    target.write_text("old")
    write_atomic(str(target), text)
    assert target.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
