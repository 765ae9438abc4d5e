"""A ``LoadTest`` document, from validated YAML to :mod:`mcpctl.spec.load_model` records.

Defaults are applied here, durations, rates and thresholds parsed, the data file's path resolved
against the spec file's directory; meaning is checked on the way (:mod:`mcpctl.spec.load_checks`).
The server (a name, or written inline) is resolved by :mod:`mcpctl.spec.build`, which knows the
Servers documents. Problems go to the document's :class:`~mcpctl.spec.validate.Problems`; the
records built alongside are then thrown away.

YAML → record rules the schema leaves open: ``thinkTime: 100ms`` is ``{min: 100ms, max: 100ms}``;
a target of ``arrival-rate`` is a rate (``500/s``) or a number of requests per second; a target of
``vus`` is a whole number; a scenario entry's name defaults to its tool, URI, prompt or list kind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import get_args

from mcpctl.spec.batch_checks import check_known, records_format
from mcpctl.spec.build_suite import duration, parsed, resolve
from mcpctl.spec.load_checks import (
    Readable,
    check_entry_names,
    check_load_templates,
    parse_target_rate,
    parse_threshold,
)
from mcpctl.spec.load_model import (
    DEFAULT_GRACEFUL_STOP,
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_TIMEOUT,
    DataSource,
    ListCall,
    ListKind,
    LoadAction,
    LoadCall,
    LoadModel,
    LoadTestSpec,
    Profile,
    Regression,
    SessionMode,
    Stage,
    ThinkTime,
    Threshold,
)
from mcpctl.spec.model import CallTool, GetPrompt, Metadata, ReadResource, ServerDef
from mcpctl.spec.semantics import PinnedTools, Scope, check_exclusive, check_templates, one_of
from mcpctl.spec.units import Duration, parse_percent
from mcpctl.spec.validate import Cursor

ACTIONS = ("call", "read", "prompt", "list")
"""The keys of a scenario entry, exactly one of which it has."""
_ZERO = Duration(seconds=0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadContext:
    """What a load test is built with: its resolved server and where it was written."""

    base_dir: str
    """The spec file's directory: relative paths resolve against it."""
    server: str | ServerDef
    """The server's name (checked against the Servers documents already), or the inline server."""
    pinned: PinnedTools | None
    """The tools of the server when it is pinned (then every ``call:`` must name one)."""


def build_load(doc: Cursor, *, metadata: Metadata, spec_hash: str, ctx: LoadContext) -> LoadTestSpec:
    """The LoadTest document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    vars_field = doc.get("vars")
    variables = {key: value.plain() for key, value in vars_field.items()} if vars_field is not None else {}
    check_templates(vars_field, Scope(vars=frozenset(variables), steps={}))
    data = _data(doc.get("data"), ctx.base_dir)
    readable = Readable(data=data is not None, vars=frozenset(variables))
    scenario = _scenario(doc.required("scenario"), ctx, readable)
    profile = _profile(doc.required("profile"))
    thresholds = doc.get("thresholds")
    return LoadTestSpec(
        metadata=metadata,
        server=ctx.server,
        sessions=one_of(doc.text("sessions"), get_args(SessionMode), "per-vu"),
        timeout=duration(doc.get("timeout")) or DEFAULT_TIMEOUT,
        data=data,
        think_time=_think_time(doc.get("thinkTime")),
        scenario=scenario,
        profile=profile,
        thresholds=_thresholds(thresholds, [call.name for call in scenario], profile) if thresholds else (),
        regression=_regression(doc.get("regression")),
        vars=variables,
        source=doc.source(),
        spec_hash=spec_hash,
    )


def _regression(cursor: Cursor | None) -> Regression:
    """``regression: {p99: +10%, error_rate: +0.5%}``: written metrics replace the defaults, ``off`` drops one."""
    if cursor is None:
        return Regression()
    values: dict[str, float | None] = {}
    for name, field in cursor.items():
        text = str(field.plain())
        if text == "off":
            values[name] = None
            continue
        found = parsed(field, lambda t: parse_percent(t.removeprefix("+")).fraction)
        if found is not None:
            values[name] = found
    return dataclasses.replace(Regression(), **values)  # keys checked by the schema


def _data(cursor: Cursor | None, base_dir: str) -> DataSource | None:
    if cursor is None:
        return None
    file_field = cursor.required("file")
    path = resolve(base_dir, str(file_field.plain()))
    return DataSource(
        file=path,
        format=records_format(file_field, path, cursor.get("format"), what="data"),
        order=one_of(cursor.text("order"), ("sequential", "random"), "sequential"),
        source=cursor.source(),
    )


def _think_time(cursor: Cursor | None) -> ThinkTime | None:
    if cursor is None:
        return None
    if isinstance(cursor.node.value, str):
        fixed = duration(cursor) or _ZERO
        return ThinkTime(min=fixed, max=fixed)
    low, high = duration(cursor.get("min")) or _ZERO, duration(cursor.get("max")) or _ZERO
    if low.seconds > high.seconds:
        cursor.error(f"min ({low}) is above max ({high})")
    return ThinkTime(min=low, max=high)


# -- the scenario -------------------------------------------------------------------------------


def _scenario(cursor: Cursor, ctx: LoadContext, readable: Readable) -> tuple[LoadCall, ...]:
    built = [(call, item) for item in cursor.elements() if (call := _entry(item, ctx, readable)) is not None]
    check_entry_names([(call.name, item, item.get("name") is not None) for call, item in built])
    return tuple(call for call, _ in built)


def _entry(item: Cursor, ctx: LoadContext, readable: Readable) -> LoadCall | None:
    name = check_exclusive(item, ACTIONS, "scenario entry")
    field = item.get(name) if name is not None else None
    if name is None or field is None:
        item.error(f"a scenario entry needs one of: {', '.join(ACTIONS)}")
        return None
    arguments = item.get("with")
    if arguments is not None and name not in ("call", "prompt"):
        arguments.error(f"with applies only to call and prompt (this entry uses {name})")
    check_load_templates(field, readable)
    check_load_templates(arguments, readable)
    target = str(field.plain())
    written = {key: value.plain() for key, value in arguments.items()} if arguments is not None else {}
    action: LoadAction
    if name == "call":
        if ctx.pinned is not None:
            ctx.pinned.check(field, target)
        action = CallTool(tool=target, arguments=written)
    elif name == "prompt":
        action = GetPrompt(name=target, arguments=written)
    elif name == "read":
        action = ReadResource(uri=target)
    else:
        action = ListCall(kind=one_of(target, get_args(ListKind), "tools"))
    return LoadCall(
        name=item.text("name") or target,
        weight=item.integer("weight") or 1,
        action=action,
        source=item.source(),
    )


# -- the profile --------------------------------------------------------------------------------


def _profile(cursor: Cursor) -> Profile:
    model: LoadModel = "vus" if cursor.text("model") == "vus" else "arrival-rate"
    stages = cursor.required("stages")
    reported = len(cursor.problems.errors)
    built = tuple(
        Stage(duration=duration(stage.get("duration")) or _ZERO, target=_target(stage.get("target"), model))
        for stage in stages.elements()
    )
    start = cursor.get("startTarget")
    start_target = _target(start, model) if start is not None else 0.0
    targets_read = len(cursor.problems.errors) == reported  # a target reported above reads as 0
    ceiling = cursor.get("maxInFlight")
    if model == "vus" and ceiling is not None:
        ceiling.error("maxInFlight applies only to model arrival-rate (this profile uses vus)", key=True)
    profile = Profile(
        model=model,
        stages=built,
        start_target=start_target,
        max_in_flight=None if model == "vus" else cursor.integer("maxInFlight") or DEFAULT_MAX_IN_FLIGHT,
        graceful_stop=duration(cursor.get("gracefulStop")) or DEFAULT_GRACEFUL_STOP,
    )
    if built and profile.length.seconds == 0:
        stages.error("the stages last 0s in all: give a stage a duration")
    elif targets_read and start_target == 0 and all(stage.target == 0 for stage in built):
        stages.error("every target is 0: the test would send nothing")
    return profile


def _target(cursor: Cursor | None, model: LoadModel) -> float:
    assert cursor is not None  # the schema requires a stage's target
    value = cursor.node.value
    if isinstance(value, bool):  # the schema allows only numbers and strings
        return 0.0
    if model == "arrival-rate":
        return float(value) if isinstance(value, int | float) else parsed(cursor, parse_target_rate) or 0.0
    if isinstance(value, int):
        return float(value)
    hint = ""
    if isinstance(value, str) and _is_rate(value):
        hint = "; a rate is the target of model arrival-rate"
    cursor.error(f"under model vus a target is a whole number of virtual users (got {value!r}){hint}")
    return 0.0


def _is_rate(text: str) -> bool:
    try:
        parse_target_rate(text)
    except ValueError:
        return False
    return True


# -- thresholds ---------------------------------------------------------------------------------


def _thresholds(cursor: Cursor, names: Collection[str], profile: Profile) -> tuple[Threshold, ...]:
    found = []
    for item in cursor.elements():
        built = _threshold(item, names, profile)
        if built is not None:
            found.append(built)
    return tuple(found)


def _threshold(item: Cursor, names: Collection[str], profile: Profile) -> Threshold | None:
    text_field = item if isinstance(item.node.value, str) else item.required("threshold")
    call_field = item.get("call") if text_field is not item else None
    call = str(call_field.plain()) if call_field is not None else None
    if call_field is not None and call is not None:
        none = "the scenario has no valid entries"
        check_known(call_field, call, noun="scenario entry", known=names, none=none)
    after_field = item.get("after") if text_field is not item else None
    after = duration(after_field)
    length = profile.length
    if after_field is not None and after is not None and length.seconds and after.seconds >= length.seconds:
        after_field.error(f"after ({after}) is not before the end of the stages ({length})")
    parts = parsed(text_field, parse_threshold)
    if parts is None:
        return None
    metric, op, value = parts
    return Threshold(
        metric=metric,
        op=op,
        value=value,
        call=call,
        abort=(item.flag("abort") or False) if text_field is not item else False,
        after=after,
        text=str(text_field.plain()),
        source=item.source(),
    )
