"""The text of the files ``mcpctl init`` writes: a ``Servers`` spec, a ``TestSuite`` and a pin lock.

YAML is written by hand so that it can carry comments (the header, the tests to fill in); every
value is written in flow style as JSON with plain keys, which YAML reads as written. Nothing here
depends on the time of day: the same server gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Final

from mcpctl.engine.init.plan import PRESETS, PlannedTest, SuitePlan
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.lockfile import dump_lock, make_lock

PLAIN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
YAML11_WORDS: Final = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
"""Keys YAML 1.1 would read as booleans or null: quoted."""


def servers_text(plan: SuitePlan, *, lock_file: str, schema_ref: str, command: str) -> str:
    """The ``Servers`` spec naming the server as it was reached, pinned to ``lock_file``."""
    entry = {**plan.entry, "pin": lock_file}
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Written by mcpctl init from {_one_line(plan.source)}: {_identity(plan)}.",
        f"# Test it with: {command}",
        "apiVersion: mcpctl/v1",
        "kind: Servers",
        f"metadata: {flow({'name': plan.name})}",
        "servers:",
        f"  {_key(plan.name)}: {flow(entry)}",
    ]
    return "\n".join(lines) + "\n"


def suite_text(plan: SuitePlan, *, schema_ref: str, command: str) -> str:
    """The ``TestSuite``: live tests first, then the tests to fill in, commented out."""
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Written by mcpctl init from {_one_line(plan.source)}: {_identity(plan)}.",
        f"# Run it with: {command}",
        *_summary(plan),
        "apiVersion: mcpctl/v1",
        "kind: TestSuite",
        "metadata: "
        + flow(
            {"name": plan.name, "description": f"What {plan.name} answered when mcpctl init first asked."}
        ),
        f"server: {flow(plan.name)}",
    ]
    if plan.snapshots:
        lines += ["defaults:", f"  normalize: {flow([{'preset': p} for p in PRESETS])}"]
    lines.append("tests:")
    for test in plan.tests:
        if test.commented is None:
            lines += _test_lines(test)
    to_fill = [test for test in plan.tests if test.commented is not None]
    if to_fill:
        lines += ["", "  # Tests to fill in: mcpctl init did not call these tools. Uncomment one, put real"]
        lines += ["  # arguments in place of the <placeholders>, and check what it may change first."]
    for test in to_fill:
        lines += [
            f"  # {test.commented}",
            *(f"  # {line[2:]}" for line in _test_lines(test) if line[2] != "#"),
        ]
    return "\n".join(lines) + "\n"


def lock_text(plan: SuitePlan) -> str:
    """The pin lock of every listed tool (as ``mcpctl pin`` writes it)."""
    survey = plan.survey
    lock = make_lock(survey.tools, server=plan.name, server_info=survey.server_info, protocol=survey.protocol)
    return dump_lock(lock)


def _test_lines(test: PlannedTest) -> list[str]:
    lines = [f"  # {_one_line(test.note)}"] if test.note else []
    lines.append(f"  - name: {flow(test.name)}")
    if test.verb != "list":
        lines.append(f"    {test.verb}: {flow(test.target)}")
    if test.arguments is not None and (test.arguments or test.verb == "call"):
        lines.append(f"    with: {flow(dict(test.arguments))}")
    if test.expect:
        lines.append(f"    expect: {flow(dict(test.expect))}")
    if test.skip is not None:
        lines.append(f"    skip: {flow(test.skip)}")
    return lines


def _summary(plan: SuitePlan) -> list[str]:
    survey = plan.survey
    lines = [
        f"# Tools: {len(survey.tools)} listed, {len(survey.called)} called with arguments generated from their"
        " schemas",
        "# (mcpctl init calls only the tools the safety rule allows: readOnlyHint: true ones unless given",
        "# --allow-destructive or --allow-destructive=all).",
    ]
    if survey.skipped:
        lines.append(f"# Not called ({len(survey.skipped)}; commented-out tests at the end):")
        lines += [f"#   {s.tool}: {s.reason}" for s in survey.skipped]
    lines += _listed("Resources beyond the first ones, not read", survey.unread)
    lines += _listed("Resource templates (not expanded)", survey.templates)
    lines += [f"# Note: {note}" for note in survey.notes]
    return lines


def _listed(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    shown = [f"#   {_one_line(item)}" for item in items[:20]]
    more = [f"#   … and {len(items) - 20} more"] if len(items) > 20 else []
    return [f"# {title}:", *shown, *more]


def _identity(plan: SuitePlan) -> str:
    info = plan.survey.server_info
    name, version = info.get("name", "?"), info.get("version", "")
    return f"server {_one_line(f'{name} {version}'.strip())}, protocol {plan.survey.protocol or '?'}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- flow-style values ----------------------------------------------------------------------------------
def flow(value: JSONValue) -> str:
    """``value`` as one line of YAML: JSON, with plain keys where YAML reads them unchanged."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(str(k))}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value)


def _key(key: str) -> str:
    plain = PLAIN_KEY.fullmatch(key) is not None and key.lower() not in YAML11_WORDS
    return key if plain else _string(key)


def _string(text: str) -> str:
    """A double-quoted YAML string; characters that are not printable are escaped (YAML allows
    ``\\uXXXX`` and ``\\UXXXXXXXX``, never JSON's surrogate pairs)."""
    quoted = json.dumps(text, ensure_ascii=False)
    if quoted.isprintable():
        return quoted
    return "".join(c if c.isprintable() else _escaped(c) for c in quoted)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
