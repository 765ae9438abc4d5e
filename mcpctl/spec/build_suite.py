"""The tests of a ``TestSuite`` document, from validated YAML to :mod:`mcpctl.spec.model` records.

Defaults are applied here (jsonschema does not), durations parsed, regexes compiled, lock paths
resolved; meaning is checked on the way (:mod:`mcpctl.spec.semantics`). Problems go to the document's
:class:`~mcpctl.spec.validate.Problems`; the records built alongside them are then thrown away.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from mcpctl.spec.model import (
    AUTH_CHECKS,
    Action,
    CallTool,
    ErrorExpect,
    Expect,
    Expected,
    GetPrompt,
    IgnoreKeys,
    LatencyExpect,
    ListExpect,
    MockCallExpect,
    Normalizer,
    PassRate,
    Preset,
    ReadResource,
    ReplaceText,
    SortLists,
    Step,
    StructuredCheck,
    TestCase,
    TextMatch,
)
from mcpctl.spec.node import Plain
from mcpctl.spec.semantics import (
    Locks,
    PinnedTools,
    Scope,
    check_action,
    check_expect,
    check_templates,
    check_unique,
)
from mcpctl.spec.units import Duration, parse_duration
from mcpctl.spec.validate import Cursor

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PASS_RATE = re.compile(r"^\s*(>=|>|==)\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")

T = TypeVar("T")

DEFAULT_TIMEOUT = Duration(seconds=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteContext:
    """What every test of a suite shares while being built."""

    base_dir: str
    """The spec file's directory: relative paths resolve against it."""
    timeout: Duration
    retries: int
    vars: frozenset[str]
    locks: Locks
    pinned: PinnedTools | None
    """The tools of the suite's server when it is pinned (then every ``call:`` must name one)."""


def build_tests(tests: Cursor, ctx: SuiteContext) -> tuple[TestCase, ...]:
    """Every test of ``tests`` (a validated list), checking names are unique."""
    items = tests.elements()
    named = [(name, item.get("name")) for item in items if (name := item.text("name")) is not None]
    check_unique([(name, cursor) for name, cursor in named if cursor is not None], "test")
    check_unique(_snapshot_names(items), "snapshot")
    # the suite's defaults are read from the document here: build.py's SuiteContext has no normalizers
    document = Cursor(tests.problems.root, (), tests.problems)
    defaults = document.get("defaults")
    shared = normalizers(defaults.get("normalize") if defaults is not None else None)
    return tuple(_test(item, ctx, shared) for item in items)


def _snapshot_names(tests: list[Cursor]) -> list[tuple[str, Cursor]]:
    """Every ``expect.snapshot`` of the tests and their steps: two may not share a file."""
    expects = [t.get("expect") for t in tests]
    expects += [s.get("expect") for t in tests if (steps := t.get("steps")) for s in steps.elements()]
    found = [c for e in expects if e is not None and (c := e.get("snapshot")) is not None]
    for cursor in found:
        if not _FILE_NAME.match(str(cursor.plain())):
            cursor.error(
                f"expected a file name of letters, digits, '.', '_' and '-' (got {cursor.plain()!r})"
            )
    return [(snapshot_file(str(c.plain())), c) for c in found]


def snapshot_file(name: str) -> str:
    """The file name of snapshot ``name``: ``.json`` added unless it ends in .json, .yaml or .yml."""
    return name if name.endswith((".json", ".yaml", ".yml")) else f"{name}.json"


def _test(test: Cursor, ctx: SuiteContext, shared: tuple[Normalizer, ...]) -> TestCase:
    action_name = check_action(test, step=False)
    steps = test.get("steps")
    check_expect(test, action=action_name, steps=steps is not None, step=False)
    skip = test.node.child("skip")
    reason = skip.value if skip is not None else None
    repeat = _or(test.integer("repeat"), 1)
    snapshot = expect.get("snapshot") if (expect := test.get("expect")) is not None else None
    if snapshot is not None and action_name is None:
        where = "put it on a step" if steps is not None else "this test has no action"
        snapshot.error(f"snapshot needs an action: call, read or prompt ({where})")
    return TestCase(
        name=test.text("name") or "",
        action=_action(test, action_name, ctx, Scope(vars=ctx.vars, steps={})),
        steps=_steps(steps, ctx) if steps is not None else (),
        expect=build_expect(test.get("expect"), ctx),
        timeout=duration(test.get("timeout")) or ctx.timeout,
        retries=_or(test.integer("retries"), ctx.retries),
        repeat=repeat,
        pass_rate=_pass_rate(test.get("pass_rate"), repeat),
        k=_k(test.get("k"), repeat),
        normalize=shared + normalizers(test.get("normalize")),
        skip="skipped" if reason is True else reason if isinstance(reason, str) else None,
        source=test.source(),
    )


def _pass_rate(cursor: Cursor | None, repeat: int) -> PassRate | None:
    if cursor is None:
        return None
    found = _PASS_RATE.match(str(cursor.plain()))
    if found is None:
        cursor.error(f"expected >=, > or == and a percentage, like '>= 95%' (got {cursor.plain()!r})")
        return None
    percent = float(found[2])
    if percent > 100:
        cursor.error(f"{found[2]}% is above 100%")
    if repeat < 2:
        cursor.error("pass_rate needs repeat: N (N of 2 or more) on the same test")
    return PassRate(op=found[1], fraction=percent / 100, text=f"{found[1]} {found[2]}%")  # type: ignore[arg-type]


def _k(cursor: Cursor | None, repeat: int) -> int | None:
    if cursor is None or not isinstance(k := cursor.node.value, int):
        return None
    if k > repeat:
        cursor.error(f"k ({k}) is above repeat ({repeat}): pass@k needs at least k runs")
    return k


def normalizers(cursor: Cursor | None) -> tuple[Normalizer, ...]:
    """The ``normalize:`` list at ``cursor`` as records, in order (empty if absent)."""
    if cursor is None:
        return ()
    found: list[Normalizer] = []
    for item in cursor.elements():
        if (pattern := item.get("replace")) is not None:
            compiled = regex(pattern)
            if compiled is not None:
                found.append(ReplaceText(pattern=compiled, replacement=item.text("with") or ""))
        elif (keys := item.get("ignoreKeys")) is not None:
            found.append(IgnoreKeys(keys=_texts(keys)))
        elif (lists := item.get("sortLists")) is not None:
            found.append(SortLists(pointers=() if lists.node.value is True else _texts(lists)))
        elif (preset := item.text("preset")) is not None:
            found.append(Preset(name=preset))  # type: ignore[arg-type]  # the schema's enum
    return tuple(found)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _steps(steps: Cursor, ctx: SuiteContext) -> tuple[Step, ...]:
    items = steps.elements()
    check_unique([(name, c) for s in items if (name := s.text("name")) and (c := s.get("name"))], "step")
    saved: dict[str, frozenset[str]] = {}
    built = []
    for item in items:
        action_name = check_action(item, step=True)
        check_expect(item, action=action_name, steps=False, step=True)
        save = item.get("save")
        pointers = {key: str(field.plain()) for key, field in save.items()} if save is not None else {}
        action = _action(item, action_name, ctx, Scope(vars=ctx.vars, steps=dict(saved)))
        name = item.text("name") or ""
        saved.setdefault(name, frozenset(pointers))
        built.append(
            Step(
                name=name,
                action=action or ReadResource(uri=""),  # a step with no action was reported
                expect=build_expect(item.get("expect"), ctx),
                save=pointers,
                source=item.source(),
            )
        )
    return tuple(built)


def _action(cursor: Cursor, name: str | None, ctx: SuiteContext, scope: Scope) -> Action | None:
    if name is None:
        return None
    field = cursor.get(name)
    arguments = cursor.get("with")
    assert field is not None
    check_templates(field, scope)
    check_templates(arguments, scope)
    target = str(field.plain())
    args = _mapping(arguments)
    if name == "call":
        if ctx.pinned is not None:
            ctx.pinned.check(field, target)
        return CallTool(tool=target, arguments=args)
    if name == "prompt":
        return GetPrompt(name=target, arguments=args)
    return ReadResource(uri=target)


def _mapping(cursor: Cursor | None) -> dict[str, Plain]:
    return {key: field.plain() for key, field in cursor.items()} if cursor is not None else {}


def parsed(cursor: Cursor | None, parse: Callable[[str], T]) -> T | None:
    """The value at ``cursor`` parsed by ``parse`` (``None`` if absent, or after reporting a bad one)."""
    if cursor is None:
        return None
    try:
        return parse(str(cursor.plain()))
    except ValueError as exc:
        cursor.error(str(exc))
        return None


def duration(cursor: Cursor | None) -> Duration | None:
    """The duration at ``cursor`` (``None`` if absent, or after reporting a bad one)."""
    return parsed(cursor, parse_duration)


def positive_duration(cursor: Cursor | None) -> Duration | None:
    """The duration at ``cursor``, which must be longer than 0s (``None`` if absent, or after reporting)."""
    found = duration(cursor)
    if cursor is not None and found is not None and found.seconds <= 0:
        cursor.error("must be longer than 0s")
        return None
    return found


def regex(cursor: Cursor | None) -> re.Pattern[str] | None:
    """The regular expression at ``cursor`` (``None`` if absent, or after reporting a bad one)."""
    if cursor is None:
        return None
    try:
        return re.compile(str(cursor.plain()))
    except re.error as exc:
        cursor.error(f"invalid regular expression: {exc}")
        return None


def _texts(cursor: Cursor | None) -> tuple[str, ...]:
    if cursor is None:
        return ()
    value = cursor.plain()
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


def _text_match(cursor: Cursor | None) -> TextMatch | None:
    if cursor is None:
        return None
    if isinstance(cursor.node.value, str):
        return TextMatch(equals=cursor.node.value)
    return TextMatch(
        equals=cursor.text("equals"),
        contains=_texts(cursor.get("contains")),
        not_contains=_texts(cursor.get("notContains")),
        matches=regex(cursor.get("matches")),
    )


def build_expect(cursor: Cursor | None, ctx: SuiteContext) -> Expect:
    """The ``expect:`` block at ``cursor`` as a record (empty if absent): a test's, a step's, a probe's."""
    if cursor is None:
        return Expect()
    return Expect(
        is_error=cursor.flag("isError"),
        error=_error(cursor.get("error")),
        text=_text_match(cursor.get("text")),
        structured=_checks(cursor.get("structuredContent")),
        output_schema=cursor.flag("outputSchema") or False,
        mime_type=cursor.text("mimeType"),
        messages=cursor.integer("messages"),
        latency=_latency(cursor.get("latency")),
        tools=_list(cursor.get("tools"), ctx),
        resources=_list(cursor.get("resources"), ctx),
        prompts=_list(cursor.get("prompts"), ctx),
        mock_calls=_mock_calls(cursor.get("mockCalls")),
        auth=_auth(cursor.get("auth")),
        snapshot=cursor.text("snapshot"),
    )


def _auth(cursor: Cursor | None) -> tuple[str, ...]:
    """``auth: all`` (every check) or a list of check names (the schema allows only those)."""
    if cursor is None:
        return ()
    if cursor.node.value == "all":
        return AUTH_CHECKS
    named = [(str(item.plain()), item) for item in cursor.elements()]
    check_unique(named, "auth", noun="check")
    return tuple(dict.fromkeys(name for name, _ in named))


def _mock_calls(cursor: Cursor | None) -> tuple[MockCallExpect, ...]:
    if cursor is None:
        return ()
    found = []
    for entry in cursor.elements():
        count, low, high = entry.integer("count"), entry.integer("min"), entry.integer("max")
        if count is not None and (low is not None or high is not None):
            entry.error("give count, or min and/or max, not both")
        if low is not None and high is not None and low > high:
            entry.error(f"min ({low}) is above max ({high})")
        args = entry.get("args")
        plain = args.plain() if args is not None else None
        found.append(
            MockCallExpect(
                tool=entry.text("tool") or "",
                args=plain if isinstance(plain, dict) else {},
                min=count
                if count is not None
                else (low if low is not None else (0 if high is not None else 1)),
                max=count if count is not None else high,
            )
        )
    return tuple(found)


def _error(cursor: Cursor | None) -> ErrorExpect | None:
    if cursor is None:
        return None
    if cursor.node.value is True:
        return ErrorExpect()
    return ErrorExpect(code=cursor.integer("code"), message=_text_match(cursor.get("message")))


def _checks(cursor: Cursor | None) -> tuple[StructuredCheck, ...]:
    if cursor is None:
        return ()
    items = cursor.elements() if isinstance(cursor.node.value, list) else [cursor]
    return tuple(_check(item) for item in items)


def _check(cursor: Cursor) -> StructuredCheck:
    equals = cursor.get("equals")
    schema = cursor.get("schema")
    schema_value = schema.plain() if schema is not None else None
    if schema is not None and isinstance(schema_value, dict):
        try:
            Draft202012Validator.check_schema(schema_value)
        except SchemaError as exc:
            where = "".join(f"/{part}" for part in exc.path)
            schema.error(f"not a valid JSON Schema: {where or '/'}: {exc.message}")
    return StructuredCheck(
        pointer=cursor.text("pointer") or "",
        equals=Expected(value=equals.plain()) if equals is not None else None,
        matches=regex(cursor.get("matches")),
        schema=schema_value if isinstance(schema_value, dict) else None,
        exists=cursor.flag("exists"),
    )


def _latency(cursor: Cursor | None) -> LatencyExpect | None:
    if cursor is None:
        return None
    return LatencyExpect(
        max=duration(cursor.get("max")),
        p50=duration(cursor.get("p50")),
        p90=duration(cursor.get("p90")),
        p95=duration(cursor.get("p95")),
        p99=duration(cursor.get("p99")),
    )


def _list(cursor: Cursor | None, ctx: SuiteContext) -> ListExpect | None:
    if cursor is None:
        return None
    pinned = cursor.get("pinned")
    path = None
    if pinned is not None:
        path = resolve(ctx.base_dir, str(pinned.plain()))
        ctx.locks.check(pinned, path)
    return ListExpect(
        include=_texts(cursor.get("include")),
        exclude=_texts(cursor.get("exclude")),
        unique_names=cursor.flag("uniqueNames") or False,
        schema_valid=cursor.flag("schemaValid") or False,
        pinned=path,
        count=cursor.integer("count"),
    )


def resolve(base_dir: str, path: str) -> str:
    """``path`` as an absolute path, relative ones taken from ``base_dir`` (the spec's directory)."""
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))
