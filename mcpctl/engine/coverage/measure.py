"""Set what the specs do to a server (:mod:`.usage`) against what it lists: the coverage records.

The items and the total are defined in :mod:`mcpctl.engine.coverage` (items hit over items in all).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpctl.engine.compare.contract import Contract
from mcpctl.engine.coverage.usage import ServerUsage, ToolCall
from mcpctl.mcp.jsonrpc import Message
from mcpctl.spec.lockfile import canonical_json
from mcpctl.spec.node import Plain
from mcpctl.spec.templating import has_template


def percent(hit: int, total: int) -> float:
    """``hit`` of ``total`` in percent, 100 when there is nothing to cover."""
    return 100.0 if total == 0 else 100.0 * hit / total


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumCoverage:
    """The enum values of one input property, and those the specs pass."""

    field: str
    values: tuple[Plain, ...]
    used: tuple[Plain, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCoverage:
    """One listed tool: calls, enum values, optional fields and its error path."""

    name: str
    calls: int
    enums: tuple[EnumCoverage, ...] = ()
    optional: tuple[str, ...] = ()
    """Input properties not in ``required``, in schema order."""
    given: tuple[str, ...] = ()
    """The optional properties some call gives."""
    error_path: bool = False
    unknown: int = 0
    """Argument values only known at run time (templates, BatchPlan records): not counted."""

    @property
    def hit(self) -> int:
        used = sum(len(e.used) for e in self.enums)
        return (self.calls > 0) + used + len(self.given) + self.error_path

    @property
    def total(self) -> int:
        return 2 + sum(len(e.values) for e in self.enums) + len(self.optional)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerCoverage:
    """One server: its tools, resources, templates and prompts against what the specs exercise."""

    server: str
    tools: tuple[ToolCoverage, ...]
    resources: tuple[str, ...] = ()
    read: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()
    not_listed: tuple[str, ...] = ()
    """What the specs use that the server does not list: ``tool 'x'``, ``resource 'u'``, ``prompt 'p'``."""
    unknown_reads: int = 0
    """Reads whose URI is a template (known only at run time)."""

    @property
    def hit(self) -> int:
        return sum(t.hit for t in self.tools) + len(self.read) + len(self.matched) + len(self.fetched)

    @property
    def total(self) -> int:
        items = len(self.resources) + len(self.templates) + len(self.prompts)
        return sum(t.total for t in self.tools) + items

    @property
    def percent(self) -> float:
        return percent(self.hit, self.total)

    @property
    def never_called(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tools if not t.calls)


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageReport:
    """Every server the specs name."""

    servers: tuple[ServerCoverage, ...]

    @property
    def hit(self) -> int:
        return sum(s.hit for s in self.servers)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.servers)

    @property
    def percent(self) -> float:
        return percent(self.hit, self.total)


def measure(usage: ServerUsage, contract: Contract) -> ServerCoverage:
    """The coverage of one server."""
    tools = tuple(_tool(tool, usage.calls.get(str(tool.get("name")), [])) for tool in contract.tools)
    listed = {t.name for t in tools}
    resources = tuple(str(r.get("uri")) for r in contract.resources)
    templates = tuple(str(t.get("uriTemplate")) for t in contract.templates)
    prompts = tuple(str(p.get("name")) for p in contract.prompts)
    literal = [uri for uri in usage.reads if not has_template(uri)]
    patterns = {template: template_pattern(template) for template in templates}
    matched = tuple(t for t in templates if any(patterns[t].fullmatch(uri) for uri in literal))
    read = tuple(r for r in resources if r in literal)
    not_listed = [f"tool {name!r}" for name in usage.calls if name not in listed]
    not_listed += [
        f"resource {uri!r}"
        for uri in dict.fromkeys(literal)
        if uri not in resources and not any(p.fullmatch(uri) for p in patterns.values())
    ]
    not_listed += [f"prompt {name!r}" for name in usage.prompts if name not in prompts]
    return ServerCoverage(
        server=usage.label,
        tools=tools,
        resources=resources,
        read=read,
        templates=templates,
        matched=matched,
        prompts=prompts,
        fetched=tuple(p for p in prompts if p in usage.prompts),
        not_listed=tuple(not_listed),
        unknown_reads=len(usage.reads) - len(literal),
    )


def _tool(tool: Message, calls: Sequence[ToolCall]) -> ToolCoverage:
    schema = tool.get("inputSchema")
    schema = schema if isinstance(schema, dict) else {}
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required = set(required) if isinstance(required, list) else set()
    optional = tuple(name for name in properties if name not in required)
    given = {key for call in calls if call.arguments is not None for key in call.arguments}
    unknown = sum(1 for call in calls if call.arguments is None)
    unknown += sum(1 for call in calls if call.arguments for v in call.arguments.values() if _templated(v))
    enums = tuple(
        _enum(name, values, calls)
        for name, values in ((name, _enum_values(prop)) for name, prop in properties.items())
        if values
    )
    return ToolCoverage(
        name=str(tool.get("name")),
        calls=len(calls),
        enums=enums,
        optional=optional,
        given=tuple(name for name in optional if name in given),
        error_path=any(call.expects_error for call in calls),
        unknown=unknown,
    )


def _enum_values(prop: object) -> tuple[Plain, ...]:
    if not isinstance(prop, dict):
        return ()
    values = prop.get("enum")
    items = prop.get("items")
    if not isinstance(values, list) and isinstance(items, dict):
        values = items.get("enum")  # an array of enum values: each element counts
    return tuple(values) if isinstance(values, list) else ()


def _enum(name: str, values: tuple[Plain, ...], calls: Sequence[ToolCall]) -> EnumCoverage:
    passed: set[str] = set()
    for call in calls:
        value = call.arguments.get(name) if call.arguments is not None else None
        if value is None or _templated(value):
            continue
        for each in value if isinstance(value, list) else [value]:
            passed.add(canonical_json(each))
    return EnumCoverage(
        field=name, values=values, used=tuple(v for v in values if canonical_json(v) in passed)
    )


def _templated(value: object) -> bool:
    if isinstance(value, str):
        return has_template(value) or "${" in value
    if isinstance(value, Mapping):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_templated(v) for v in value)
    return False


_EXPRESSION = re.compile(r"\{([+#./;?&]?)[^}]*\}")


def template_pattern(template: str) -> re.Pattern[str]:
    """A regular expression for the URIs an RFC 6570 template expands to: a simple ``{var}`` is one
    path segment (no ``/``), every other operator any text."""
    parts, position = [], 0
    for match in _EXPRESSION.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append("[^/]*" if not match.group(1) else ".*")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))
