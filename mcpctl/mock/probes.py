"""What ``mcpctl mock record`` asks a real server besides its lists: the calls of a ``--calls`` file
and the actions of TestSuites, each a :class:`Probe`.

A ``--calls`` file is a YAML list; each item is one of::

    - {tool: get-sum, arguments: {a: 2, b: 40}}
    - {read: "demo://resource/static/document/features.md"}
    - {prompt: args-prompt, arguments: {city: Paris}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.errors import InvalidSpecs, SpecError
from mcpctl.spec.loader import load_documents
from mcpctl.spec.model import Action, CallTool, GetPrompt, ReadResource, TestSuiteSpec
from mcpctl.spec.node import Node, Plain
from mcpctl.spec.templating import has_template

ProbeKind = Literal["call", "read", "prompt"]
_KEYS: dict[str, ProbeKind] = {"tool": "call", "read": "read", "prompt": "prompt"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One request to send to the real server and record the answer of."""

    kind: ProbeKind
    name: str
    """The tool, the resource URI, or the prompt."""
    arguments: Mapping[str, Plain] = field(default_factory=dict)
    origin: str
    """Where it was written (``file:line:col``), for notes."""

    def label(self) -> str:
        """How notes name it: ``call get-sum``, ``read demo://x``, ``prompt greet``."""
        return f"{self.kind} {self.name}"


def read_calls(path: str) -> list[Probe]:
    """The probes of a ``--calls`` file; every malformed item is reported at its ``file:line:col``."""
    documents = load_documents(path)
    probes: list[Probe] = []
    errors: list[SpecError] = []
    for document in documents:
        root = document.root
        if not isinstance(root.value, list):
            errors.append(_error(path, root, "", "expected a list of calls ({tool: NAME, arguments: {...}})"))
            continue
        for index, item in enumerate(root.value):
            try:
                probes.append(_probe(path, index, item))
            except SpecError as exc:
                errors.append(exc)
    if errors:
        raise InvalidSpecs(errors)
    return probes


def _error(path: str, node: Node, json_path: str, message: str) -> SpecError:
    return SpecError(message, path=path, line=node.line, column=node.column, json_path=json_path)


def _probe(path: str, index: int, item: Node) -> Probe:
    where = f"[{index}]"
    if not isinstance(item.value, dict):
        raise _error(path, item, where, "expected a mapping: {tool: NAME}, {read: URI} or {prompt: NAME}")
    keys = [key for key in _KEYS if key in item.value]
    if len(keys) != 1:
        raise _error(path, item, where, "give exactly one of tool, read, prompt")
    key = keys[0]
    extra = sorted(set(item.value) - {key, "arguments"})
    if extra or (key == "read" and "arguments" in item.value):
        unknown = ", ".join(extra) or "arguments"
        raise _error(path, item, where, f"unknown field(s) {unknown} for a {key} item")
    target = item.value[key]
    if not isinstance(target.value, str) or not target.value:
        raise _error(path, target, f"{where}.{key}", "expected a non-empty string")
    arguments = item.value.get("arguments")
    if arguments is not None and not isinstance(arguments.value, dict):
        raise _error(path, arguments, f"{where}.arguments", "expected a mapping of argument values")
    plain = arguments.plain() if arguments is not None else {}
    return Probe(
        kind=_KEYS[key],
        name=target.value,
        arguments=plain if isinstance(plain, dict) else {},
        origin=f"{path}:{item.line}:{item.column}",
    )


def suite_probes(suites: Sequence[TestSuiteSpec]) -> tuple[list[Probe], list[str]]:
    """The actions of every test and step of ``suites`` as probes, and notes on the ones skipped
    because they hold templates (which only a suite run can render)."""
    probes: list[Probe] = []
    skipped: list[str] = []
    for suite in suites:
        for test in suite.tests:
            actions = [(test.name, test.action, str(test.source))] if test.action is not None else []
            actions += [(f"{test.name}/{step.name}", step.action, str(step.source)) for step in test.steps]
            for name, action, origin in actions:
                probe = _action_probe(action, origin)
                if _templated(probe):
                    skipped.append(
                        f"{origin}: {suite.metadata.name}/{name}: {probe.label()} uses templates "
                        "(not rendered when recording)"
                    )
                else:
                    probes.append(probe)
    return probes, skipped


def _action_probe(action: Action, origin: str) -> Probe:
    if isinstance(action, CallTool):
        return Probe(kind="call", name=action.tool, arguments=action.arguments, origin=origin)
    if isinstance(action, ReadResource):
        return Probe(kind="read", name=action.uri, origin=origin)
    assert isinstance(action, GetPrompt)
    return Probe(kind="prompt", name=action.name, arguments=action.arguments, origin=origin)


def _templated(probe: Probe) -> bool:
    return _has_template(probe.name) or _has_template(dict(probe.arguments))


def _has_template(value: Plain) -> bool:
    if isinstance(value, str):
        return has_template(value)
    if isinstance(value, list):
        return any(_has_template(item) for item in value)
    if isinstance(value, dict):
        return any(_has_template(item) for item in value.values())
    return False
