"""Typed, frozen records for every spec kind: what ``spec/build.py`` makes of validated YAML.

Nothing after the spec layer indexes raw dicts: the engine reads these records. Values the spec
computes at run time (``{{ steps.create.id }}``, ``{{ uuid() }}``) stay as the plain data written in
the spec, template strings included, and are rendered by the engine with
:func:`mcpctl.spec.templating.render_value` just before use. Durations are :class:`Duration`.
Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.env import Secrets
from mcpctl.spec.node import Plain
from mcpctl.spec.units import Duration

API_VERSION = "mcpctl/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a record was written: for run-time messages and reports that point back at the spec."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Metadata:
    """``metadata``: the document's name (unique per kind), labels and description."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


# --- Servers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StdioServer:
    """A server spawned as a child process, spoken to over stdin/stdout."""

    name: str
    command: tuple[str, ...]
    """The program and its arguments (``command`` followed by ``args``)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables for the server process."""
    cwd: str | None = None
    """Working directory of the server (relative paths resolve against the spec file's directory)."""
    pin: str | None = None
    """A tools lock file (``mcpctl pin``) that fixes this server's tool list; resolved path."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class BearerAuth:
    """``auth: {type: bearer, token: ${env:TOKEN}}``: a static bearer token."""

    token: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentialsAuth:
    """``auth: {type: client_credentials, ...}``: OAuth 2.1 client credentials grant (machine to machine)."""

    client_id: str
    client_secret: str
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthAuth:
    """``auth: {oauth: {...}}``: OAuth 2.1, with the login stored by mcpctl auth login or a client of its own."""

    grant: Literal["authorization_code", "client_credentials"] = "authorization_code"
    """authorization_code: use the token mcpctl auth login stored for this server (refreshed when it
    expires; a run never opens a browser); client_credentials: obtain one with client_id and client_secret."""
    client_id: str | None = None
    """A pre-registered OAuth client id (authorization_code: used by mcpctl auth login; without one it registers a client)."""
    client_secret: str | None = None
    """The client's secret; write ${env:NAME}."""
    scopes: tuple[str, ...] = ()
    """Scopes to request (besides those the server's challenge names): a space-separated string or a list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadersAuth:
    """``auth: {headers: {Name: value}}``: credentials sent as extra headers (an API key)."""

    headers: Mapping[str, str]
    """Header name to value, sent with every request; write ${env:NAME} for the values."""


ServerAuth = BearerAuth | ClientCredentialsAuth | OAuthAuth | HeadersAuth


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpServer:
    """A server reached over Streamable HTTP (or legacy HTTP+SSE with ``transport: sse``)."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    transport: Literal["streamable", "sse"] = "streamable"
    auth: ServerAuth | None = None
    pin: str | None = None
    """A tools lock file (``mcpctl pin``) that fixes this server's tool list; resolved path."""
    source: Source
    secrets: Secrets = field(default_factory=Secrets, compare=False, repr=False)
    """The redaction registry of the specs this server came from: credentials obtained while running
    (OAuth tokens, registered client secrets) are added to it, so every output hides them too."""
    resource: str | None = None
    """The URL OAuth tokens are for when it is not ``url``: a proxy in between (a FaultScenario) relays
    to the server that checks them. Not written in specs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MockServerRef:
    """``mock: FILE`` or ``mock: builtin:NAME``: a MockServer spec served by mcpctl itself (stdio)."""

    name: str
    spec: str
    """The MockServer spec file (resolved path), or ``builtin:NAME`` for a bundled mock."""
    pin: str | None = None
    source: Source


ServerDef = StdioServer | HttpServer | MockServerRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ServersSpec:
    """``kind: Servers``: named servers, written out or imported from existing client configs."""

    metadata: Metadata
    servers: Mapping[str, ServerDef]
    """Every server by name, imported ones included (a server written in the spec wins over an import)."""
    source: Source


# --- TestSuite -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMatch:
    """A check on text: every condition given must hold (a bare string in YAML means ``equals``)."""

    equals: str | None = None
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: re.Pattern[str] | None = None
    """``re.search`` must find the pattern somewhere in the text."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expected:
    """An expected JSON value (wrapped so that an expected ``null`` differs from "no expectation")."""

    value: Plain


@dataclass(frozen=True, slots=True, kw_only=True)
class StructuredCheck:
    """A check on ``structuredContent`` at a JSON pointer (RFC 6901; ``""`` is the whole value)."""

    pointer: str = ""
    equals: Expected | None = None
    matches: re.Pattern[str] | None = None
    """The value at the pointer is a string that matches this pattern (``re.search``)."""
    schema: Mapping[str, Plain] | None = None
    """The value at the pointer validates against this JSON Schema."""
    exists: bool | None = None
    """``true``: the pointer must resolve; ``false``: it must not."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorExpect:
    """The request must fail with a JSON-RPC error (with this code / a message matching this)."""

    code: int | None = None
    message: TextMatch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyExpect:
    """Latency bounds: ``max`` per call; percentiles over the calls of ``repeat``."""

    max: Duration | None = None
    p50: Duration | None = None
    p90: Duration | None = None
    p95: Duration | None = None
    p99: Duration | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListExpect:
    """Protocol checks on a list (``tools``, ``resources`` by URI, ``prompts``) from the server."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unique_names: bool = False
    """No two entries share a name (URI for resources)."""
    schema_valid: bool = False
    """Tools only: every ``inputSchema`` (and ``outputSchema``) is itself a valid JSON Schema."""
    pinned: str | None = None
    """Tools only: a lock file from ``mcpctl pin``; any change to a pinned tool fails with a diff."""
    count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MockCallExpect:
    """How many calls of ``tool`` whose arguments include ``args`` a mock server has answered."""

    tool: str
    args: Mapping[str, Plain] = field(default_factory=dict)
    min: int = 1
    max: int | None = None


AUTH_CHECKS = (
    "no_token",
    "metadata",
    "valid_token",
    "token_in_query",
    "wrong_audience",
    "insufficient_scope",
    "other_issuer",
    "tampered",
    "expired",
)
"""The checks of ``expect: {auth: ...}``, in the order they run (those of ``mcpctl fuzz --auth``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expect:
    """What a test's answer must satisfy; every field given is checked."""

    is_error: bool | None = None
    """``isError`` of a tool result."""
    error: ErrorExpect | None = None
    text: TextMatch | None = None
    """The text of the answer: text content blocks of a tool result, text of resource contents, or
    prompt message texts, joined with newlines."""
    structured: tuple[StructuredCheck, ...] = ()
    output_schema: bool = False
    """``structuredContent`` conforms to the tool's own ``outputSchema`` (from tools/list)."""
    mime_type: str | None = None
    """Resources: the ``mimeType`` of the first contents item."""
    messages: int | None = None
    """Prompts: the number of messages."""
    latency: LatencyExpect | None = None
    tools: ListExpect | None = None
    resources: ListExpect | None = None
    prompts: ListExpect | None = None
    mock_calls: tuple[MockCallExpect, ...] = ()
    """Read from a mock server's call history after the test's actions (``mcpctl/history``)."""
    auth: tuple[str, ...] = ()
    """HTTP servers: the authorization checks that must pass (all: every one of no_token, metadata,
    valid_token, token_in_query, wrong_audience, insufficient_scope, other_issuer, tampered, expired): the
    server refuses what it must refuse, with spec-shaped challenges."""
    snapshot: str | None = None
    """The answer, normalized, equals the one stored as ``__snapshots__/<spec file stem>/NAME.json`` (a NAME
    ending in .yaml or .yml stores YAML); written when missing (a failure under CI=true)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceText:
    """``{replace: REGEX, with: TEXT}``: every match in every string of the answer becomes TEXT."""

    pattern: re.Pattern[str]
    replacement: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreKeys:
    """``{ignoreKeys: [...]}``: drop these keys at any depth (a name), or the value at a JSON pointer."""

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SortLists:
    """``{sortLists: true}`` sorts every list of the answer; ``{sortLists: [POINTER...]}`` those lists only."""

    pointers: tuple[str, ...] = ()
    """Empty: every list."""


NormalizePreset = Literal["timestamps", "uuids", "tmp-paths"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """``{preset: timestamps|uuids|tmp-paths}``: a ready-made normalizer (``<timestamp>``, ``<uuid>``,
    ``<tmp-path>``)."""

    name: NormalizePreset


Normalizer = ReplaceText | IgnoreKeys | SortLists | Preset


@dataclass(frozen=True, slots=True, kw_only=True)
class PassRate:
    """``pass_rate: ">= 95%"``: the share of a test's repeats that must pass."""

    op: Literal[">=", ">", "=="]
    fraction: float
    """0 to 1."""
    text: str
    """As written (normalized): ``>= 95%``."""

    def holds(self, passed: int, runs: int) -> bool:
        """Whether ``passed`` of ``runs`` meets the rate (exact on integers: no float rounding at 95%)."""
        left, right = passed * 10**6, round(self.fraction * 10**6) * runs
        return left >= right if self.op == ">=" else left > right if self.op == ">" else left == right


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTool:
    """``call: TOOL`` with ``with:`` arguments (templates rendered at run time)."""

    tool: str
    arguments: Mapping[str, Plain] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadResource:
    """``read: URI`` (a template string is allowed)."""

    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GetPrompt:
    """``prompt: NAME`` with ``with:`` arguments."""

    name: str
    arguments: Mapping[str, Plain] = field(default_factory=dict)


Action = CallTool | ReadResource | GetPrompt


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a workflow test: an action, its expectations, and values saved for later steps."""

    name: str
    """Unique within the test; later steps read saved values as ``{{ steps.NAME.KEY }}``."""
    action: Action
    expect: Expect = field(default_factory=Expect)
    save: Mapping[str, str] = field(default_factory=dict)
    """KEY → JSON pointer into the result (``/structuredContent/id``, ``/content/0/text``)."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class TestCase:
    """One test: a single action (or none: list checks only), or a sequence of ``steps``."""

    __test__ = False  # not a pytest class

    name: str
    action: Action | None = None
    steps: tuple[Step, ...] = ()
    expect: Expect = field(default_factory=Expect)
    timeout: Duration
    """For the whole test, each repeat and retry counting afresh."""
    retries: int = 0
    """Run a failed test again up to this many times; a later pass is reported as flaky."""
    repeat: int = 1
    """Run the action this many times (sequentially); every run must pass (or ``pass_rate`` of them);
    latency percentiles, pass@k and pass^k are computed over them."""
    pass_rate: PassRate | None = None
    """With ``repeat``: the share of runs that must pass (else every one must)."""
    k: int | None = None
    """With ``repeat``: the k of pass@k and pass^k (default: the repeat count)."""
    normalize: tuple[Normalizer, ...] = ()
    """Applied to answers before a snapshot is saved or compared: the suite's defaults, then the test's."""
    skip: str | None = None
    """Skip the test; the text is the reason."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class TestSuiteSpec:
    """``kind: TestSuite``: tests run against one server."""

    __test__ = False

    metadata: Metadata
    server: str | ServerDef
    """A server name from a ``Servers`` document, or a server written inline."""
    concurrency: int = 1
    """How many tests run at once (all on one session to the server)."""
    vars: Mapping[str, Plain] = field(default_factory=dict)
    """Values templates read as ``{{ vars.NAME }}``."""
    tests: tuple[TestCase, ...]
    source: Source
    spec_hash: str
    """sha256 of the document as loaded (recorded with every run)."""


Spec = ServersSpec | TestSuiteSpec
