"""The bundled mocks (mcpctl/mock/builtin/*.yaml): each validates, is shaped like the real server's
catalogue (6-12 described, annotated tools with output schemas), and `mcpctl mock list` shows them."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from typer.testing import CliRunner

from mcpctl.cli.app import app
from mcpctl.mock import builtin
from mcpctl.spec.build import load_specs
from mcpctl.spec.mock_model import MockServerSpec

NAMES = ["filesystem", "github", "google-drive", "jira", "linear", "notion", "poisoned", "postgres", "slack"]
MOCK_LIST = """\
builtin:filesystem    Filesystem (a fixed tree under /projects as tools and file:// resources; writing TODO.md lists it).
builtin:github        GitHub (repo octo-org/demo with issues, pull requests and files; scenario rate-limited).
builtin:google-drive  Google Drive (a folder, a Doc, a Sheet and a PDF, as tools and gdrive:/// resources; scenario storage-full).
builtin:jira          Jira via Atlassian Rovo (project PROJ with issues PROJ-1..3, JQL, transitions; scenario unauthorized).
builtin:linear        Linear (team ENG with issues ENG-1..ENG-3, projects, workflow states; scenario outage).
builtin:notion        Notion (wiki pages, a Roadmap database, comments and users; scenario rate-limited).
builtin:poisoned      Weather service with a planted poisoned tool description (for mcpctl lint; do not connect agents).
builtin:postgres      PostgreSQL (database shop with users, orders, products; SQL answered by pattern; scenario down).
builtin:slack         Slack (channels #general, #eng and #random, users alice and bob; scenario rate-limited).
"""
SCENARIOS = {
    "filesystem": {"todo-written"},
    "github": {"rate-limited"},
    "google-drive": {"storage-full"},
    "jira": {"unauthorized"},
    "linear": {"outage"},
    "notion": {"rate-limited"},
    "poisoned": set(),
    "postgres": {"down"},
    "slack": {"rate-limited"},
}


def _load(name: str) -> MockServerSpec:
    mocks = load_specs([builtin.path_of(f"builtin:{name}")]).mocks
    assert len(mocks) == 1
    return mocks[0]


def test_the_nine_mocks_are_bundled() -> None:
    assert builtin.names() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_bundled_mock_validates(name: str) -> None:
    spec = _load(name)
    assert spec.metadata.name == name
    assert spec.metadata.description


@pytest.mark.parametrize("name", NAMES)
def test_tools_are_described_annotated_and_typed(name: str) -> None:
    spec = _load(name)
    assert 6 <= len(spec.tools) <= 12
    for tool in spec.tools:
        assert tool.description, tool.name
        assert tool.output_schema is not None, tool.name
        annotations = tool.annotations or {}
        assert isinstance(annotations.get("readOnlyHint"), bool), tool.name
        if annotations["readOnlyHint"] is False:
            assert isinstance(annotations.get("destructiveHint"), bool), tool.name
        _check_input_schema(tool.name, tool.input_schema)


def _check_input_schema(tool: str, schema: Mapping[str, object]) -> None:
    properties = schema.get("properties", {})
    assert isinstance(properties, dict), tool
    for prop, definition in properties.items():
        assert isinstance(definition, dict), f"{tool}.{prop}"
        assert definition.get("description"), f"{tool}.{prop}"
    required = schema.get("required", [])
    assert isinstance(required, list)
    assert set(required) <= set(properties), tool


@pytest.mark.parametrize("name", NAMES)
def test_scenarios_are_the_documented_ones(name: str) -> None:
    spec = _load(name)
    used = {rule.scenario for tool in spec.tools for rule in tool.rules if rule.scenario}
    switched = {r.switch_to for t in spec.tools for rule in t.rules for r in rule.respond if r.switch_to}
    assert used | switched == SCENARIOS[name]


def test_mock_list_shows_the_nine_with_their_descriptions() -> None:
    result = CliRunner().invoke(app, ["mock", "list"])
    assert result.exit_code == 0, result.output
    assert result.stdout == MOCK_LIST
