"""The tests ``mcpctl init`` writes, planned from a :class:`~mcpctl.engine.init.survey.Survey`.

Each probe that answered becomes a live test whose expectations come from the answer (``isError:
false``, ``outputSchema: true`` when the tool declares one and answered ``structuredContent``,
``mimeType`` of a resource, the number of prompt messages) and, where the TestSuite schema has it, a
snapshot. A tool that refused the generated arguments (``isError: true`` or a JSON-RPC error) gets a
live test expecting just that, its error path, with a comment saying what it answered and how to
turn it into a test of real work; a call that got no answer at all, a resource or a prompt that
failed, becomes a test marked ``skip:`` with the reason. A tool the safety rule kept from being called
becomes a commented-out test with its required arguments as placeholders and why it was not called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from mcpctl.engine.init.survey import PromptProbe, ResourceProbe, Survey, ToolProbe
from mcpctl.engine.safety import Skipped
from mcpctl.mcp.jsonrpc import JSONValue, Message

Verb = Literal["list", "call", "read", "prompt"]
"""``list``: no action, checks on what the server lists only."""
SNAPSHOT_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")
PRESETS: Final = ("timestamps", "uuids", "tmp-paths")
"""Normalizers of every snapshot init writes: the usual run-to-run noise."""
NOT_BLANK: Final = r"\S"
"""A resource's text is not empty (whatever it says: its snapshot holds that)."""
FILL_IN: Final = "fill in arguments that work, then remove this skip"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedTest:
    """One test as it will be written."""

    name: str
    verb: Verb
    target: str
    arguments: Mapping[str, JSONValue] | None = None
    """``with:`` (``None``: no ``with:`` line)."""
    expect: Mapping[str, JSONValue] = field(default_factory=dict)
    skip: str | None = None
    note: str | None = None
    """A comment written above the test."""
    commented: str | None = None
    """Written as a comment (a test to fill in); the text says why it was not called."""

    @property
    def snapshot(self) -> str | None:
        """The name of its snapshot, if it has one."""
        name = self.expect.get("snapshot")
        return name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SuitePlan:
    """The specs ``mcpctl init`` writes for one server."""

    name: str
    """The server's name in the specs, and the documents' ``metadata.name``."""
    entry: Mapping[str, JSONValue]
    """The server's entry in the ``Servers`` document (how it was reached), without ``pin``."""
    source: str
    """How the user named the server (for the files' header)."""
    survey: Survey
    tests: tuple[PlannedTest, ...]
    snapshots: bool
    """Whether the tests carry snapshot expectations (the TestSuite schema has ``snapshot``)."""

    def skipping(self, name: str, reason: str) -> SuitePlan:
        """The plan with test ``name`` marked ``skip: reason`` (and without its snapshot)."""
        return self._changed(name, lambda t: replace(t, skip=reason, expect=_without_snapshot(t.expect)))

    def unsnapshotted(self, name: str) -> SuitePlan:
        """The plan with test ``name`` left without its snapshot."""
        return self._changed(name, lambda t: replace(t, expect=_without_snapshot(t.expect)))

    def _changed(self, name: str, change: Callable[[PlannedTest], PlannedTest]) -> SuitePlan:
        tests = tuple(change(t) if t.name == name else t for t in self.tests)
        return replace(self, tests=tests)


def plan_suite(
    survey: Survey, *, name: str, entry: Mapping[str, JSONValue], source: str, lock: str, snapshots: bool
) -> SuitePlan:
    """The tests for ``survey``: the tool list against the pin ``lock``, then tools, resources, prompts."""
    names: set[str] = set()
    tests = [
        PlannedTest(
            name="the tool list matches the pin",
            verb="list",
            target="",
            expect={"tools": {"pinned": lock, "uniqueNames": True}},
        )
    ]
    tests += [_tool_test(probe, snapshots, names) for probe in survey.called]
    tests += [_resource_test(probe, snapshots, names) for probe in survey.resources]
    tests += [_prompt_test(probe, snapshots, names) for probe in survey.prompts]
    by_name = {str(t.get("name")): t for t in survey.tools}
    tests += [_commented(skipped, by_name.get(skipped.tool, {})) for skipped in survey.skipped]
    return SuitePlan(
        name=name, entry=entry, source=source, survey=survey, tests=_unique(tests), snapshots=snapshots
    )


def _tool_test(probe: ToolProbe, snapshots: bool, names: set[str]) -> PlannedTest:
    name = f"{probe.name} answers"
    if probe.outcome == "failed" or probe.arguments is None:
        arguments = probe.arguments if probe.arguments is not None else placeholders(probe.tool)
        skip = f"{probe.problem} ({FILL_IN})"
        return PlannedTest(
            name=name,
            verb="call",
            target=probe.name,
            arguments=arguments,
            expect={"isError": False},
            skip=skip,
        )
    expect: dict[str, JSONValue] = {"isError": probe.outcome == "tool-error"}
    note = None
    if probe.outcome == "rpc-error":
        expect = {"error": {"code": probe.code}}
    if probe.outcome != "answered":
        name = f"{probe.name} refuses generated arguments"
        note = f"{probe.problem} (with real arguments, expect isError: false)"
    elif probe.structured and isinstance(probe.tool.get("outputSchema"), dict):
        expect["outputSchema"] = True
    if snapshots:
        expect["snapshot"] = snapshot_name(f"tool-{probe.name}", names)
    return PlannedTest(
        name=name, verb="call", target=probe.name, arguments=probe.arguments, expect=expect, note=note
    )


def _resource_test(probe: ResourceProbe, snapshots: bool, names: set[str]) -> PlannedTest:
    name = f"read {probe.uri}"
    if probe.problem is not None:
        return PlannedTest(name=name, verb="read", target=probe.uri, skip=probe.problem)
    expect: dict[str, JSONValue] = {} if probe.mime_type is None else {"mimeType": probe.mime_type}
    if probe.text:
        expect["text"] = {"matches": NOT_BLANK}
    if snapshots:
        expect["snapshot"] = snapshot_name(f"resource-{probe.uri}", names)
    return PlannedTest(name=name, verb="read", target=probe.uri, expect=expect)


def _prompt_test(probe: PromptProbe, snapshots: bool, names: set[str]) -> PlannedTest:
    name = f"prompt {probe.name}"
    if probe.problem is not None:
        skip = f"{probe.problem} ({FILL_IN})"
        return PlannedTest(name=name, verb="prompt", target=probe.name, arguments=probe.arguments, skip=skip)
    expect: dict[str, JSONValue] = {"messages": probe.messages}
    if snapshots:
        expect["snapshot"] = snapshot_name(f"prompt-{probe.name}", names)
    return PlannedTest(name=name, verb="prompt", target=probe.name, arguments=probe.arguments, expect=expect)


def _commented(skipped: Skipped, tool: Message) -> PlannedTest:
    return PlannedTest(
        name=f"{skipped.tool} answers",
        verb="call",
        target=skipped.tool,
        arguments=placeholders(tool),
        expect={"isError": False},
        commented=f"not called by mcpctl init: {skipped.reason}",
    )


def placeholders(tool: Mapping[str, object]) -> dict[str, JSONValue]:
    """The tool's required arguments, each a ``<name: type>`` text to replace."""
    schema = tool.get("inputSchema")
    if not isinstance(schema, Mapping):
        return {}
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else {}
    wanted = schema.get("required")
    names = [n for n in wanted if isinstance(n, str)] if isinstance(wanted, list) else []
    return {name: f"<{name}: {_type(props.get(name))}>" for name in names}


def _type(schema: object) -> str:
    kind = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind) if kind is not None else "any"


def snapshot_name(wanted: str, taken: set[str]) -> str:
    """``wanted`` as a snapshot name (letters, digits, ``._-``; JSON file, unique among ``taken``)."""
    base = SNAPSHOT_NAME.sub("-", wanted).strip("-.") or "snapshot"
    base = base[:100]
    if base.lower().endswith((".yaml", ".yml")):
        base += "-"  # a name ending so would be stored as YAML: init's snapshots are all JSON
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return name


def _unique(tests: list[PlannedTest]) -> tuple[PlannedTest, ...]:
    seen: set[str] = set()
    out = []
    for test in tests:
        name, n = test.name, 1
        while name in seen:
            n += 1
            name = f"{test.name} ({n})"
        seen.add(name)
        out.append(test if name == test.name else replace(test, name=name))
    return tuple(out)


def _without_snapshot(expect: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    return {k: v for k, v in expect.items() if k != "snapshot"}
