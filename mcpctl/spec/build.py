"""Load a set of spec files into typed records, or report every problem in them at once.

``load_specs`` reads every file (directories: their YAML files), checks each document against its
kind's schema (:mod:`mcpctl.spec.validate`), builds the valid ones into :mod:`mcpctl.spec.model`
records, and checks what spans documents: names unique per kind, server names defined once and
known where used, calls to pinned servers naming pinned tools. Nothing is run and no server is
contacted. This is the only module (with :mod:`mcpctl.spec.build_suite`, :mod:`mcpctl.spec.build_mock`,
:mod:`mcpctl.spec.build_batch`, :mod:`mcpctl.spec.build_load`, :mod:`mcpctl.spec.build_fault` and
:mod:`mcpctl.spec.build_monitor`, :mod:`mcpctl.spec.build_alerts` and
:mod:`mcpctl.spec.build_schedule`) that reads spec dicts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mcpctl.errors import InvalidSpecs, SpecError
from mcpctl.spec.alert_model import AlertRulesSpec, AlertTestSpec
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.spec.build_alerts import build_alert_rules, build_alert_test
from mcpctl.spec.build_auth import build_auth
from mcpctl.spec.build_batch import PlanContext, build_batch
from mcpctl.spec.build_fault import ScenarioContext, build_faults
from mcpctl.spec.build_load import LoadContext, build_load
from mcpctl.spec.build_mock import build_mock
from mcpctl.spec.build_monitor import MonitorContext, build_monitor
from mcpctl.spec.build_schedule import build_schedule
from mcpctl.spec.build_suite import DEFAULT_TIMEOUT, SuiteContext, build_tests, duration, resolve
from mcpctl.spec.env import Secrets
from mcpctl.spec.fault_model import FaultScenarioSpec
from mcpctl.spec.imports import ImportProblem, import_servers
from mcpctl.spec.load_model import LoadTestSpec
from mcpctl.spec.loader import Document, load_documents, spec_files
from mcpctl.spec.mock_checks import mock_spec
from mcpctl.spec.mock_model import MockServerSpec
from mcpctl.spec.model import (
    HttpServer,
    Metadata,
    MockServerRef,
    ServerDef,
    ServersSpec,
    Spec,
    StdioServer,
    TestSuiteSpec,
)
from mcpctl.spec.monitor_model import MonitorSpec
from mcpctl.spec.schedule_model import ScheduleSpec
from mcpctl.spec.semantics import Locks, PinnedTools, Scope, check_templates, pinned_tools
from mcpctl.spec.validate import Cursor, Problems, check_document, subject_of

Built = (
    Spec
    | MockServerSpec
    | BatchPlanSpec
    | LoadTestSpec
    | FaultScenarioSpec
    | MonitorSpec
    | AlertRulesSpec
    | AlertTestSpec
    | ScheduleSpec
)
"""A built document of any kind."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecSet:
    """Everything a set of spec files defines, valid and built."""

    documents: tuple[Built, ...]
    """The documents of the spec paths in load order (those of ``--servers`` files excluded)."""
    servers: Mapping[str, ServerDef]
    """Every server of every Servers document (``--servers`` files included), imports resolved."""
    suites: tuple[TestSuiteSpec, ...]
    mocks: tuple[MockServerSpec, ...]
    """The MockServer documents of the spec paths, in load order."""
    plans: tuple[BatchPlanSpec, ...] = ()
    """The BatchPlan documents of the spec paths, in load order."""
    loads: tuple[LoadTestSpec, ...] = ()
    """The LoadTest documents of the spec paths, in load order."""
    scenarios: tuple[FaultScenarioSpec, ...] = ()
    """The FaultScenario documents of the spec paths, in load order."""
    monitors: tuple[MonitorSpec, ...] = ()
    """The Monitor documents of the spec paths, in load order."""
    alert_rules: tuple[AlertRulesSpec, ...] = ()
    """The AlertRules documents of the spec paths, in load order."""
    alert_tests: tuple[AlertTestSpec, ...] = ()
    """The AlertTest documents of the spec paths, in load order."""
    schedules: tuple[ScheduleSpec, ...] = ()
    """The Schedule documents of the spec paths, in load order."""
    secrets: Secrets
    """Every value substituted for ``${env:...}``: redact them from all output."""


@dataclass(slots=True, kw_only=True)
class _Loaded:
    """One document on its way through: where it is, its problems, and what it built into."""

    file: int
    document: Document
    problems: Problems
    kind: str | None
    extra: bool
    """From a ``--servers`` file."""
    spec: Built | None = None
    origins: dict[str, Cursor] = field(default_factory=dict)
    """Servers documents: where each server came from (its key, or the import naming it)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Context:
    environ: Mapping[str, str]
    secrets: Secrets
    locks: Locks


def load_specs(
    paths: Sequence[str],
    *,
    servers_files: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    check_locks: bool = True,
) -> SpecSet:
    """Load, validate and build the specs at ``paths`` (plus the Servers of ``servers_files``).

    Raises :class:`InvalidSpecs` with every problem of every file, sorted by file, line and column.
    ``check_locks=False`` leaves tool lock files unread (``mcpctl pin`` rewrites the one a
    Servers document names, and the shell has emptied it before mcpctl starts).
    """
    locks = Locks(enabled=check_locks)
    ctx = _Context(environ=os.environ if environ is None else environ, secrets=Secrets(), locks=locks)
    failed: list[tuple[int, SpecError]] = []
    loaded: list[_Loaded] = []
    files: list[tuple[str, bool]] = []
    for path, extra in [*((p, False) for p in paths), *((p, True) for p in servers_files)]:
        try:
            files.extend((found, extra) for found in spec_files([path]))
        except SpecError as exc:
            failed.append((len(files), exc))
    for index, (path, extra) in enumerate(files):
        try:
            documents = load_documents(path, environ=ctx.environ, secrets=ctx.secrets)
        except SpecError as exc:
            failed.append((index, exc))
            continue
        loaded.extend(_check(index, document, extra) for document in documents)
    servers = _build_servers([item for item in loaded if item.kind == "Servers"], ctx)
    _build_others(loaded, servers, ctx)
    _check_names(loaded)
    failed.extend((item.file, error) for item in loaded for error in item.problems.errors)
    if failed:
        failed.sort(key=lambda pair: (pair[0], pair[1].line, pair[1].column))
        raise InvalidSpecs([error for _, error in failed])
    specs = tuple(item.spec for item in loaded if item.spec is not None and not item.extra)
    plans = tuple(spec for spec in specs if isinstance(spec, BatchPlanSpec))
    suites = tuple(spec for spec in specs if isinstance(spec, TestSuiteSpec))
    mocks = tuple(spec for spec in specs if isinstance(spec, MockServerSpec))
    loads = tuple(spec for spec in specs if isinstance(spec, LoadTestSpec))
    scenarios = tuple(spec for spec in specs if isinstance(spec, FaultScenarioSpec))
    monitors = tuple(spec for spec in specs if isinstance(spec, MonitorSpec))
    return SpecSet(
        documents=specs,
        servers=servers,
        suites=suites,
        mocks=mocks,
        plans=plans,
        loads=loads,
        scenarios=scenarios,
        monitors=monitors,
        alert_rules=tuple(spec for spec in specs if isinstance(spec, AlertRulesSpec)),
        alert_tests=tuple(spec for spec in specs if isinstance(spec, AlertTestSpec)),
        schedules=tuple(spec for spec in specs if isinstance(spec, ScheduleSpec)),
        secrets=ctx.secrets,
    )


def _build_others(loaded: list[_Loaded], servers: Mapping[str, ServerDef], ctx: _Context) -> None:
    """Build every document of the kinds that use servers (and suites), or need none."""
    # a plan may name a suite that is invalid (reported there) or written after it: names suffice
    suites = _names(loaded, "TestSuite")
    for item in loaded:
        doc = _root(item)
        if item.kind == "TestSuite":
            item.spec = _suite(item, servers, ctx)
        elif item.kind == "MockServer":
            item.spec = build_mock(doc, metadata=_metadata(doc), spec_hash=_spec_hash(item))
        elif item.kind == "BatchPlan":
            plan_ctx = PlanContext(base_dir=_base_dir(item), servers=servers, suites=suites, locks=ctx.locks)
            item.spec = build_batch(doc, metadata=_metadata(doc), spec_hash=_spec_hash(item), ctx=plan_ctx)
        elif item.kind == "LoadTest":
            item.spec = _load_test(item, servers, ctx)
        elif item.kind == "FaultScenario":
            names = ScenarioContext(suites=suites, loads=_names(loaded, "LoadTest"))
            item.spec = build_faults(doc, metadata=_metadata(doc), spec_hash=_spec_hash(item), ctx=names)
        elif item.kind == "Monitor":
            item.spec = _monitor(item, servers, ctx)
        elif item.kind == "AlertRules":
            item.spec = build_alert_rules(doc, metadata=_metadata(doc), spec_hash=_spec_hash(item))
        elif item.kind == "AlertTest":
            base_dir = _base_dir(item)
            meta = _metadata(doc)
            item.spec = build_alert_test(doc, metadata=meta, spec_hash=_spec_hash(item), base_dir=base_dir)
        elif item.kind == "Schedule":
            base_dir = _base_dir(item)
            item.spec = build_schedule(
                doc, metadata=_metadata(doc), spec_hash=_spec_hash(item), base_dir=base_dir
            )


def _names(loaded: list[_Loaded], kind: str) -> set[str]:
    """The names of the documents of ``kind`` (valid or not: a name is enough to refer to one)."""
    prefix = f"{kind}/"
    return {s.removeprefix(prefix) for i in loaded if (s := i.problems.subject).startswith(prefix)}


def _check(index: int, document: Document, extra: bool) -> _Loaded:
    problems = Problems(path=document.path, root=document.root, subject=subject_of(document.root))
    kind = check_document(problems)
    if extra and kind not in (None, "Servers"):
        problems.add(("kind",), f"a --servers file holds only Servers documents (this one is {kind})")
        kind = None
    return _Loaded(file=index, document=document, problems=problems, kind=kind, extra=extra)


def _root(item: _Loaded) -> Cursor:
    return Cursor(item.document.root, (), item.problems)


def _base_dir(item: _Loaded) -> str:
    return os.path.dirname(os.path.abspath(item.document.path))


def _metadata(doc: Cursor) -> Metadata:
    meta = doc.get("metadata")
    assert meta is not None  # the schema requires it
    labels = meta.get("labels")
    return Metadata(
        name=meta.text("name") or "",
        labels={key: str(value.plain()) for key, value in labels.items()} if labels is not None else {},
        description=meta.text("description") or "",
    )


def _spec_hash(item: _Loaded) -> str:
    text = json.dumps(item.document.root.plain(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- Servers ------------------------------------------------------------------------------------


def _build_servers(items: list[_Loaded], ctx: _Context) -> dict[str, ServerDef]:
    servers: dict[str, ServerDef] = {}
    owner: dict[str, _Loaded] = {}
    for item in items:
        spec = _servers_spec(item, ctx)
        item.spec = spec
        for name, server in spec.servers.items():
            if name in owner:
                origin, first = item.origins[name], owner[name]
                origin.error(
                    f"server {name!r} is already defined in Servers/{_name(first)} "
                    f"({first.origins[name].source()})",
                    key=origin.at == ("servers", name),
                )
                continue
            owner[name] = item
            servers[name] = server
    return servers


def _name(item: _Loaded) -> str:
    spec = item.spec
    return spec.metadata.name if spec is not None else ""


def _servers_spec(item: _Loaded, ctx: _Context) -> ServersSpec:
    doc = _root(item)
    imported: dict[str, ServerDef] = {}
    refs = doc.get("import")
    for ref in ([refs] if refs is not None and isinstance(refs.node.value, str) else []) + (
        refs.elements() if refs is not None else []
    ):
        for name, server in _import(ref, item, ctx).items():
            imported.setdefault(name, server)
            item.origins.setdefault(name, ref)
    written: dict[str, ServerDef] = {}
    listed = doc.get("servers")
    for name, entry in listed.items() if listed is not None else []:
        written[name] = _server(entry, name, _base_dir(item), ctx)
        item.origins[name] = entry
    return ServersSpec(metadata=_metadata(doc), servers=imported | written, source=doc.source())


def _import(ref: Cursor, item: _Loaded, ctx: _Context) -> dict[str, ServerDef]:
    try:
        return import_servers(
            str(ref.plain()), base_dir=_base_dir(item), environ=ctx.environ, secrets=ctx.secrets
        )
    except ImportProblem as exc:
        ref.error(str(exc))
        return {}
    except ValueError as exc:  # a path the OS cannot take (a NUL byte)
        ref.error(f"cannot import {str(ref.plain())!r}: {exc}")
        return {}


def _server(entry: Cursor, name: str, base_dir: str, ctx: _Context) -> ServerDef:
    pin_field = entry.get("pin")
    pin = resolve(base_dir, str(pin_field.plain())) if pin_field is not None else None
    if pin_field is not None and pin is not None:
        ctx.locks.check(pin_field, pin)
    mock = entry.get("mock")
    if mock is not None:
        spec = mock_spec(mock, base_dir=base_dir, environ=ctx.environ, secrets=ctx.secrets)
        return MockServerRef(name=name, spec=spec, pin=pin, source=entry.source())
    command = entry.text("command")
    if command is not None:
        args = entry.get("args")
        env = entry.get("env")
        cwd = entry.text("cwd")
        return StdioServer(
            name=name,
            command=(command, *(_word(arg.plain()) for arg in (args.elements() if args else []))),
            env={key: _word(value.plain()) for key, value in env.items()} if env is not None else {},
            cwd=resolve(base_dir, cwd) if cwd is not None else None,
            pin=pin,
            source=entry.source(),
        )
    headers = entry.get("headers")
    transport = entry.text("transport")
    return HttpServer(
        name=name,
        url=entry.text("url") or "",
        headers={key: _word(value.plain()) for key, value in headers.items()} if headers else {},
        transport="sse" if transport == "sse" else "streamable",
        auth=build_auth(entry.get("auth"), ctx.secrets),
        pin=pin,
        source=entry.source(),
        secrets=ctx.secrets,
    )


def _word(value: object) -> str:
    """A scalar as the text a process or header sees: ``true``, ``8080``, ``1.5``."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


# -- TestSuite ----------------------------------------------------------------------------------


def _suite(item: _Loaded, servers: Mapping[str, ServerDef], ctx: _Context) -> TestSuiteSpec:
    doc = _root(item)
    metadata = _metadata(doc)
    server_field, tests = doc.get("server"), doc.get("tests")
    assert server_field is not None  # the schema requires it
    assert tests is not None
    server = _suite_server(server_field, metadata.name, servers, item, ctx)
    vars_field = doc.get("vars")
    variables = {key: value.plain() for key, value in vars_field.items()} if vars_field is not None else {}
    check_templates(vars_field, Scope(vars=frozenset(variables), steps={}))
    defaults = doc.get("defaults")
    suite_ctx = SuiteContext(
        base_dir=_base_dir(item),
        timeout=duration(defaults.get("timeout") if defaults else None) or DEFAULT_TIMEOUT,
        retries=(defaults.integer("retries") if defaults else None) or 0,
        vars=frozenset(variables),
        locks=ctx.locks,
        pinned=_pinned(server, servers, ctx.locks),
    )
    return TestSuiteSpec(
        metadata=metadata,
        server=server,
        concurrency=doc.integer("concurrency") or 1,
        vars=variables,
        tests=build_tests(tests, suite_ctx),
        source=doc.source(),
        spec_hash=_spec_hash(item),
    )


def _suite_server(
    field: Cursor, suite: str, servers: Mapping[str, ServerDef], item: _Loaded, ctx: _Context
) -> str | ServerDef:
    name = field.node.value
    if not isinstance(name, str):
        return _server(field, suite, _base_dir(item), ctx)
    if name not in servers:
        known = ", ".join(sorted(servers))
        hint = (
            f"known: {known}" if known else "no servers are defined: add a Servers document or pass --servers"
        )
        field.error(f"unknown server {name!r} ({hint})")
    return name


def _pinned(server: str | ServerDef, servers: Mapping[str, ServerDef], locks: Locks) -> PinnedTools | None:
    """The pinned tools of the suite's server (its lock was checked, and reported, where it is named)."""
    found = servers.get(server) if isinstance(server, str) else server
    if found is None or found.pin is None:
        return None
    lock = locks.peek(found.pin)
    return None if lock is None else pinned_tools(found.name, found.pin, lock)


# -- LoadTest -----------------------------------------------------------------------------------


def _load_test(item: _Loaded, servers: Mapping[str, ServerDef], ctx: _Context) -> LoadTestSpec:
    doc = _root(item)
    metadata = _metadata(doc)
    server_field = doc.get("server")
    assert server_field is not None  # the schema requires it
    server = _suite_server(server_field, metadata.name, servers, item, ctx)
    pinned = _pinned(server, servers, ctx.locks)
    load_ctx = LoadContext(base_dir=_base_dir(item), server=server, pinned=pinned)
    return build_load(doc, metadata=metadata, spec_hash=_spec_hash(item), ctx=load_ctx)


# -- Monitor ------------------------------------------------------------------------------------


def _monitor(item: _Loaded, servers: Mapping[str, ServerDef], ctx: _Context) -> MonitorSpec:
    doc = _root(item)

    def server(field: Cursor, name: str) -> tuple[str | ServerDef, PinnedTools | None]:
        found = _suite_server(field, name, servers, item, ctx)
        return found, _pinned(found, servers, ctx.locks)

    monitor_ctx = MonitorContext(base_dir=_base_dir(item), locks=ctx.locks, server=server)
    return build_monitor(doc, metadata=_metadata(doc), spec_hash=_spec_hash(item), ctx=monitor_ctx)


def _check_names(loaded: list[_Loaded]) -> None:
    """metadata.name is unique among the documents of one kind."""
    first: dict[tuple[str, str], Cursor] = {}
    for item in loaded:
        if item.spec is None or item.kind is None:
            continue
        field = _root(item).get("metadata")
        name = field.get("name") if field is not None else None
        if name is None:
            continue
        key = (item.kind, str(name.plain()))
        if key in first:
            name.error(f"duplicate {item.kind} name {key[1]!r} (first at {first[key].source()})")
        else:
            first[key] = name
