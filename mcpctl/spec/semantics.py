"""What a schema cannot say: checks on meaning, made before anything runs.

Templates must compile in the sandbox and read only what exists (``{{ vars.X }}`` of the suite's vars,
``{{ steps.X.Y }}`` of an earlier step that saves ``Y``); expectations must fit the action they check;
lock files named by ``pin:`` and ``pinned:`` must be readable, and a call to a pinned server must name
a pinned tool.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from mcpctl.spec.lockfile import Lock, LockError, read_lock
from mcpctl.spec.node import Plain
from mcpctl.spec.templating import TemplateError, compile_template, has_template, references
from mcpctl.spec.validate import Cursor

T = TypeVar("T", bound=str)

ACTIONS = ("call", "read", "prompt")
LIST_CHECKS = ("tools", "resources", "prompts")
_ONLY = {
    "isError": "call",
    "structuredContent": "call",
    "outputSchema": "call",
    "mimeType": "read",
    "messages": "prompt",
}
_RESULT_CHECKS = ("isError", "text", "structuredContent", "outputSchema")


class Locks:
    """Lock files read once per load, by resolved path; a bad one is reported where it is named."""

    __slots__ = ("_enabled", "_read")

    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._read: dict[str, Lock | str] = {}

    def check(self, cursor: Cursor, path: str) -> Lock | None:
        """The lock at ``path``, or ``None`` after reporting why it cannot be used at ``cursor``
        (``None`` without a word when lock files are not checked)."""
        if not self._enabled:
            return None
        if path not in self._read:
            try:
                self._read[path] = read_lock(path)
            except ValueError as exc:  # LockError, or a path the OS cannot take (a NUL byte)
                self._read[path] = str(exc) if isinstance(exc, LockError) else f"{path!r}: {exc}"
        found = self._read[path]
        if isinstance(found, str):
            cursor.error(found)
            return None
        return found

    def peek(self, path: str) -> Lock | None:
        """The lock at ``path`` if it was read and is valid (its problems were reported already)."""
        found = self._read.get(path)
        return found if isinstance(found, Lock) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedTools:
    """The tool names a suite's server is pinned to, for checking ``call:`` before running."""

    server: str
    lock_name: str
    tools: Collection[str]

    def check(self, call: Cursor, tool: str) -> None:
        """Report ``tool`` at ``call`` if it is not pinned."""
        if tool not in self.tools:
            listed = ", ".join(sorted(self.tools)) or "no tools"
            call.error(
                f"unknown tool {tool!r}: not in the pinned tool list of server {self.server!r} "
                f"({self.lock_name}: {listed})"
            )


def pinned_tools(server: str, lock_path: str, lock: Lock) -> PinnedTools:
    """The pinned tool names of ``server`` from its lock."""
    return PinnedTools(server=server, lock_name=os.path.basename(lock_path), tools=frozenset(lock.tools))


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """What templates may read at one place: the suite's vars and the saves of earlier steps."""

    vars: Collection[str]
    steps: Mapping[str, Collection[str]]
    """Earlier steps of the same test → the keys each saves (empty outside workflows)."""


def check_templates(cursor: Cursor | None, scope: Scope) -> None:
    """Check every template string inside the value at ``cursor`` (nested lists and mappings too)."""
    for found in template_strings(cursor):
        problem = _template_problem(str(found.node.value), scope)
        if problem:
            found.error(problem)


def _template_problem(text: str, scope: Scope) -> str | None:
    try:
        compile_template(text)
        chains = references(text)
    except TemplateError as exc:
        return str(exc)
    for chain in sorted(chains):
        problem = _reference_problem(chain, scope)
        if problem:
            return problem
    return None


def _reference_problem(chain: tuple[str, ...], scope: Scope) -> str | None:
    if chain[0] == "vars" and len(chain) > 1 and chain[1] not in scope.vars:
        known = ", ".join(sorted(scope.vars))
        return f"vars.{chain[1]} is not defined ({f'vars: {known}' if known else 'the suite has no vars'})"
    if chain[0] != "steps" or len(chain) < 2:
        return None
    step = chain[1]
    if step not in scope.steps:
        return f"{'.'.join(chain[:3])} is used before step {step!r} is defined"
    saves = scope.steps[step]
    if len(chain) > 2 and chain[2] not in saves:
        listed = f"it saves: {', '.join(sorted(saves))}" if saves else "it saves nothing"
        return f"step {step!r} saves no {chain[2]!r} ({listed})"
    return None


def check_action(cursor: Cursor, *, step: bool) -> str | None:
    """The one action of a test or step (``None`` if none), reporting extras, ``with`` and ``steps``."""
    action = check_exclusive(cursor, ACTIONS, _what(step))
    steps = cursor.get("steps")
    if steps is not None and action is not None:
        steps.error(f"steps cannot be combined with {action} (a test is one action or a sequence of steps)")
    arguments = cursor.get("with")
    if arguments is not None and action not in ("call", "prompt"):
        arguments.error(f"with applies only to call and prompt ({_has(action, steps is not None, step)})")
    if step and action is None:
        cursor.error("a step needs one of: call, read, prompt")
    return action


def check_expect(cursor: Cursor, *, action: str | None, steps: bool, step: bool) -> None:
    """Report expectations that cannot apply to this test's (or step's) action."""
    expect = cursor.get("expect")
    fields = {name: field for name, field in expect.items()} if expect is not None else {}
    has = _has(action, steps, step)
    for name, field in fields.items():
        need = _ONLY.get(name)
        if need is not None and action != need:
            field.error(f"{name} applies only to {need} ({has})")
        elif name in LIST_CHECKS and (action is not None or steps):
            field.error(f"{name} list checks apply only to a test with no action and no steps ({has})")
        elif name in ("text", "error") and action is None:
            field.error(f"{name} needs an action: call, read or prompt ({has})")
    if "error" in fields and action is not None:
        clash = [name for name in _RESULT_CHECKS if name in fields]
        if clash:
            fields["error"].error(
                f"error cannot be combined with {', '.join(clash)} (a request that fails has no result)"
            )
    if "auth" in fields and (action is not None or steps or step):
        fields["auth"].error(f"auth checks apply only to a test with no action and no steps ({has})")
    standalone = (*LIST_CHECKS, "mockCalls", "auth")
    if not step and action is None and not steps and not any(name in fields for name in standalone):
        cursor.error(
            "a test needs call, read, prompt or steps (or tools, resources, prompts, mockCalls or auth under expect)"
        )


def _what(step: bool) -> str:
    return "step" if step else "test"


def _has(action: str | None, steps: bool, step: bool) -> str:
    if action is not None:
        return f"this {_what(step)} uses {action}"
    return "this test has steps; put it on a step" if steps else f"this {_what(step)} has no action"


def one_of(value: str | None, allowed: tuple[T, ...], default: T) -> T:
    """``value`` as the literal it is (the schema allowed only these), else ``default``."""
    return next((name for name in allowed if name == value), default)


def template_strings(cursor: Cursor | None) -> Iterator[Cursor]:
    """Every string under ``cursor`` that holds a template, depth first."""
    if cursor is None:
        return
    value = cursor.node.value
    if isinstance(value, str):
        if has_template(value):
            yield cursor
        return
    for child in cursor.elements() if isinstance(value, list) else [c for _, c in cursor.items()]:
        yield from template_strings(child)


def check_template(cursor: Cursor, readable: Collection[str], *, what: str) -> None:
    """Report at ``cursor`` a template that does not compile in the sandbox, or that reads a name outside
    ``readable`` (``what`` names the field in the message: ``annotations``, ``a subject``)."""
    text = str(cursor.plain())
    try:
        compile_template(text)
    except TemplateError as exc:
        cursor.error(str(exc))
        return
    stray = stray_reference(text, readable)
    if stray is not None:
        cursor.error(f"unknown name {stray!r} ({what} can use: {', '.join(readable)})")


def stray_reference(text: str, readable: Collection[str]) -> str | None:
    """The first name ``text`` reads outside ``readable`` (and the template functions), dotted
    (``steps.a.id``), or ``None``.

    Only ``{{ ... }}``-only templates are checked: a ``{% for %}`` or ``{% set %}`` binds names of
    its own. A template that does not compile is left to :func:`check_templates` to report."""
    if "{%" in text:
        return None
    try:
        functions = compile_template(text).template.environment.globals
        chains = references(text)
    except TemplateError:
        return None
    for chain in sorted(chains):
        if chain[0] not in readable and chain[0] not in functions:
            return ".".join(chain)
    return None


def check_unique(names: list[tuple[str, Cursor]], what: str, *, noun: str = "name") -> None:
    """Report every repeat of a name (at its repeat), pointing at the first."""
    first: dict[str, Cursor] = {}
    for name, cursor in names:
        if name in first:
            cursor.error(f"duplicate {what} {noun} {name!r} (first at line {first[name].node.line})")
        else:
            first[name] = cursor


def check_exclusive(cursor: Cursor, names: Sequence[str], what: str) -> str | None:
    """The first field of ``names`` present (by position), or ``None``; every one given after it is
    reported at itself."""
    present = sorted((n for n in names if n in cursor.node.keys), key=lambda n: cursor.node.keys[n])
    for extra in present[1:]:
        field = cursor.get(extra)
        assert field is not None
        field.error(f"give only one of {', '.join(names)} (this {what} already has {present[0]})")
    return present[0] if present else None


def json_schema_class(schema: Mapping[str, Plain]) -> type[Validator]:
    """The validator class of the draft ``schema`` declares in ``$schema`` (2020-12 if none or unknown)."""
    declared = schema.get("$schema")
    if not isinstance(declared, str):
        return Draft202012Validator
    try:
        return validators.validator_for(schema, default=Draft202012Validator)
    except ValueError:  # a $schema that is not even a URI
        return Draft202012Validator


def check_json_schema(cursor: Cursor | None) -> dict[str, Plain] | None:
    """The JSON Schema at ``cursor`` if it is one (for the draft it declares), else ``None``
    (after reporting why; a value that is not a mapping was reported by the kind's schema)."""
    value = cursor.plain() if cursor is not None else None
    if cursor is None or not isinstance(value, dict):
        return None
    try:
        json_schema_class(value).check_schema(value)
    except SchemaError as exc:
        where = "".join(f"/{part}" for part in exc.path)
        cursor.error(f"not a valid JSON Schema: {where or '/'}: {exc.message}")
        return None
    return value
