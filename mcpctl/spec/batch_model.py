"""Typed, frozen records of ``kind: BatchPlan``: operations over many servers and inputs, journaled.

A plan runs its ``operations`` in the order written; the items of one operation (a server, a config
file, an input record) run concurrently up to ``concurrency``. Servers and suites are named, and
resolved against the ``Servers`` and ``TestSuite`` documents loaded with the plan. Paths (inputs,
outputs, custom config files) are resolved against the plan file's directory. The ``with`` of an
``execute`` stays as written (templates included) and is rendered per record by the engine with
``record`` (the input record), ``key`` (its key) and ``vars``.

Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.node import Plain
from mcpctl.spec.units import Duration, Percent

ClientName = Literal["claude-desktop", "cursor", "vscode", "claude-code"]
EntryStyle = Literal["claude-desktop", "cursor", "vscode", "claude-code", "plain"]
ErrorKind = Literal["timeout", "connection", "protocol", "start"]
ONE_SECOND = Duration(seconds=1.0)
HALF_MINUTE = Duration(seconds=30.0)
ONE_MINUTE = Duration(seconds=60.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """``retry``: how often an item is tried and how long to wait between tries (exponential backoff
    with full jitter: before retry n, a uniform draw in ``[0, min(maxBackoff, backoff * 2**n)]``)."""

    attempts: int = 1
    """Total tries, the first included (1: no retry)."""
    backoff: Duration = ONE_SECOND
    """The backoff ceiling before the first retry; it doubles after each."""
    max_backoff: Duration = HALF_MINUTE
    """No wait is longer than this (a server's Retry-After included)."""
    jitter: Literal["full", "none"] = "full"
    """``full``: sleep a random time up to the ceiling; ``none``: sleep the ceiling."""
    errors: tuple[ErrorKind, ...] = ("timeout", "connection")
    """Families of failures to retry: timeout, connection (transport errors, server exited),
    protocol (malformed frames), start (the server did not start)."""
    statuses: tuple[int, ...] = (429, 502, 503, 504)
    """HTTP statuses to retry."""
    codes: tuple[int, ...] = ()
    """JSON-RPC error codes to retry (none by default: an error answer usually repeats)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigTarget:
    """A client config file to deploy into: a client's own (found where the client reads it) or a
    JSON file with servers under ``key``."""

    client: ClientName | None = None
    """``claude-desktop``, ``cursor``, ``vscode`` or ``claude-code``; ``None`` for a custom file."""
    file: str | None = None
    """A custom JSON/JSONC file (resolved path), or the client's file at this path instead of its own."""
    key: str = "mcpServers"
    """Custom files: the dotted key path of the object holding servers by name."""
    style: EntryStyle = "plain"
    """Custom files: whose entry format (and secret syntax) the file's reader understands."""
    source: Source

    @property
    def ident(self) -> str:
        """How journals name the target, whatever the working directory: the client, the absolute
        file, or both (``claude-desktop:/abs/config.json``)."""
        if self.file is None:
            return self.client or ""
        return f"{self.client}:{self.file}" if self.client else self.file

    @property
    def label(self) -> str:
        """How plans and reports name the target: the client, the file (relative to the working
        directory when under it), or both (``claude-desktop:sandbox/config.json``)."""
        if self.file is None:
            return self.client or ""
        relative = os.path.relpath(self.file)
        shown = self.file if relative.startswith("..") else relative
        return f"{self.client}:{shown}" if self.client else shown


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateOp:
    """``validate``: start or connect each server, initialize, list tools, resources and prompts, check
    every schema and the pinned tool hashes."""

    servers: tuple[str, ...]
    timeout: Duration | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class TestOp:
    """``test``: run TestSuites (by name) as ``mcpctl test`` would."""

    __test__ = False

    suites: tuple[str, ...]
    timeout: Duration | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployOp:
    """``deploy``: add server entries to client config files, every unrelated byte kept."""

    servers: tuple[str, ...]
    to: tuple[ConfigTarget, ...]
    force: bool = False
    """Replace an existing entry that differs (otherwise such a server fails)."""
    validate_first: bool = False
    """Validate each server first; deploy only those that pass."""
    timeout: Duration | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateOp:
    """``update``: make existing entries match the Servers spec in ``fields`` (command, args, env, cwd,
    url, headers, type); an entry that is not there fails."""

    servers: tuple[str, ...]
    in_: tuple[ConfigTarget, ...]
    fields: tuple[str, ...] = ("type", "command", "args", "env", "cwd", "url", "headers")
    timeout: Duration | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteOp:
    """``execute``: call ``tool`` once per record of ``input`` (JSONL or CSV), arguments rendered from
    the record; each answer appended to ``output`` (JSONL) with the record's key, exactly once."""

    server: str
    tool: str
    input: str
    """A ``.jsonl`` (one JSON object a line) or ``.csv`` (a header row) file; resolved path."""
    format: Literal["jsonl", "csv"]
    """From ``format:`` or the input's file extension."""
    key: str | None = None
    """The record field that identifies it (unique); ``None``: the record's line number."""
    with_: Mapping[str, Plain] = field(default_factory=dict)
    """The tool's arguments, templates rendered per record (``{{ record.city }}``); empty: the record."""
    output: str
    """The JSONL file answers are appended to; resolved path."""
    timeout: Duration | None = None
    source: Source


Operation = ValidateOp | TestOp | DeployOp | UpdateOp | ExecuteOp


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchPlanSpec:
    """``kind: BatchPlan``: operations run in order, the items of each concurrently, under one journal."""

    metadata: Metadata
    operations: tuple[Operation, ...]
    concurrency: int = 10
    """How many items run at once (1 to 1000)."""
    timeout: Duration = ONE_MINUTE
    """The deadline of one item (one try), unless its operation sets its own."""
    retry: Retry = Retry()
    max_fail_percentage: Percent | None = None
    """Stop starting items once more than this share of an operation's items failed."""
    on_failure: Literal["continue", "halt", "rollback"] = "halt"
    """What a failure does: continue (every item runs, exit 1), halt (stop starting items) or
    rollback (halt, then restore every file the run changed)."""
    memory_limit: int | None = None
    """Bytes of resident memory: above 90 % intake slows, above 100 % the run stops cleanly."""
    vars: Mapping[str, Plain] = field(default_factory=dict)
    """Values templates read as ``{{ vars.NAME }}``."""
    source: Source
    spec_hash: str
