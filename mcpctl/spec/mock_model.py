"""Typed, frozen records of ``kind: MockServer``: a fake MCP server described in YAML.

Strings in responses, resource texts and prompt messages may be templates (sandboxed jinja2),
rendered per request with ``args`` (the call's arguments), ``call.count`` (calls of this tool so
far, from 1), ``scenario``, ``uri``/``params`` (resource templates), ``answer`` (the client's result
of the response's ``ask``), ``uuid()`` and ``now()``.
They stay as written here; the mock compiles them once at start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.model import Expected, Metadata, Source
from mcpctl.spec.node import Plain
from mcpctl.spec.units import Duration, Percent


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    """How long an answer takes: ``fixed`` (``value``), ``uniform`` (``min``..``max``), ``normal``
    (``mean``, ``stddev``, never below 0) or ``lognormal`` (``median``, ``sigma``)."""

    distribution: Literal["fixed", "uniform", "normal", "lognormal"] = "fixed"
    value: Duration | None = None
    min: Duration | None = None
    max: Duration | None = None
    mean: Duration | None = None
    stddev: Duration | None = None
    median: Duration | None = None
    sigma: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorAnswer:
    """A JSON-RPC error object to answer with."""

    code: int
    message: str
    data: Plain = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """Send ``steps`` progress notifications, ``interval`` apart, before the answer (when the
    request carries a progress token)."""

    steps: int
    interval: Duration


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """Knobs for a whole server or one tool (a tool's own settings win, field by field)."""

    latency: Latency | None = None
    error_rate: Percent | None = None
    """Share of calls answered with ``error`` instead of their response."""
    error: ErrorAnswer | None = None
    """The error ``error_rate`` answers with (default: -32603 "Internal error (injected by mock)")."""
    progress: Progress | None = None


LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
"""The syslog severities of MCP logging, least severe first."""
LOG_LEVELS: tuple[LogLevel, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)
AskMethod = Literal["sampling/createMessage", "elicitation/create", "roots/list", "ping"]
"""The requests a mock may send to its client during a call."""
ASK_METHODS: tuple[AskMethod, ...] = ("sampling/createMessage", "elicitation/create", "roots/list", "ping")
ASK_TIMEOUT = Duration(seconds=60.0)
"""How long an ``ask`` waits for the client's answer by default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogMessage:
    """A ``notifications/message`` sent to the client while a call runs, unless the client asked
    (``logging/setLevel``) for more severe messages only."""

    level: LogLevel = "info"
    data: Plain
    """Any JSON value; strings in it are templates (they read ``args``)."""
    logger: str | None = None
    delay: Duration | None = None
    """Wait this long before sending it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """A request the mock sends to its client during a call (``sampling/createMessage``,
    ``elicitation/create``, ``roots/list``, ``ping``); the client's result is ``answer`` in the
    response's templates. A client without the matching capability, an error answer or no answer
    within ``timeout`` makes the call an ``isError`` result that says why."""

    method: AskMethod
    params: Mapping[str, Plain] = field(default_factory=dict)
    """The request's params; strings in them are templates (they read ``args``)."""
    timeout: Duration = ASK_TIMEOUT


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """One answer to a call: a tool result or a JSON-RPC ``error``.

    ``content`` holds MCP content blocks as written (``text`` in YAML is shorthand for one text
    block); strings in them and in ``structured_content`` are templates.
    """

    content: tuple[Mapping[str, Plain], ...] = ()
    structured_content: Expected | None = None
    is_error: bool = False
    error: ErrorAnswer | None = None
    latency: Latency | None = None
    """This answer's own latency (wins over the tool's and the server's)."""
    switch_to: str | None = None
    """After answering, switch the mock to this scenario."""
    log: tuple[LogMessage, ...] = ()
    """Log messages sent, in order, while the call runs (before the answer)."""
    ask: Ask | None = None
    """A request to the client, answered before this response is rendered (it reads ``answer``)."""
    disconnect: bool = False
    """Streamable HTTP: close the call's event stream before answering, so that the client must
    resume it (GET with ``Last-Event-ID``) to get the answer; needs ``sse.resumable``."""
    crash: bool = False
    """Exit the server process at once, as a crash would: a Python traceback on stderr, exit code 1
    (for fuzzing and crash-recovery tests; nothing is answered)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgMatcher:
    """A condition on one argument; every field given must hold (a bare value in YAML = equals)."""

    equals: Expected | None = None
    matches: re.Pattern[str] | None = None
    """The argument is a string in which ``re.search`` finds this."""
    schema: Mapping[str, Plain] | None = None
    """The argument validates against this JSON Schema."""
    exists: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """``when`` the arguments match (and the mock is in ``scenario``), answer ``respond``."""

    args: Mapping[str, ArgMatcher] = field(default_factory=dict)
    schema: Mapping[str, Plain] | None = None
    """All the arguments (an object) validate against this JSON Schema."""
    scenario: str | None = None
    """Only in this scenario (any scenario when unset)."""
    respond: tuple[Response, ...]
    """One response, or a sequence: the n-th match gets the n-th; after the last, the last again
    (or from the first again with ``cycle``)."""
    cycle: bool = False
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MockTool:
    """A tool the mock lists and answers."""

    name: str
    title: str | None = None
    description: str = ""
    input_schema: Mapping[str, Plain] = field(default_factory=lambda: {"type": "object"})
    output_schema: Mapping[str, Plain] | None = None
    annotations: Mapping[str, Plain] | None = None
    rules: tuple[Rule, ...] = ()
    default: Response | None = None
    """When no rule matches; unset → a result generated from ``output_schema`` (or ``ok`` text)."""
    behaviour: Behaviour = field(default_factory=Behaviour)
    scenarios: tuple[str, ...] = ()
    """Listed only in these scenarios (all when empty): switching lists-changes the tools."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MockResource:
    """A fixed resource: ``text`` (a template) or ``blob`` (base64)."""

    uri: str
    name: str
    title: str | None = None
    description: str = ""
    mime_type: str | None = None
    text: str | None = None
    blob: str | None = None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MockResourceTemplate:
    """Resources by RFC 6570 level-1 template (``repo://{owner}/{name}``); ``text`` sees ``params``."""

    uri_template: str
    name: str
    title: str | None = None
    description: str = ""
    mime_type: str | None = None
    text: str
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptArgument:
    """An argument of a prompt (its messages read it as ``args.NAME``)."""

    name: str
    description: str = ""
    required: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptMessage:
    """A message of a prompt: ``role`` and a content block (``text`` templated with ``args``)."""

    role: Literal["user", "assistant"]
    content: Mapping[str, Plain]


@dataclass(frozen=True, slots=True, kw_only=True)
class MockPrompt:
    """A prompt the mock lists and renders (``prompts/get``)."""

    name: str
    title: str | None = None
    description: str = ""
    arguments: tuple[PromptArgument, ...] = ()
    messages: tuple[PromptMessage, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """``completion/complete`` values for one argument of a prompt or a resource template; the
    values starting with what the user typed are offered (at most 100, per the spec)."""

    ref_type: Literal["prompt", "resource"]
    ref: str
    """The prompt name, or the resource template's ``uriTemplate``."""
    argument: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioSwitch:
    """Switch to scenario ``to`` once ``after`` tool calls have been answered (counted from start)."""

    after: int
    to: str


SSE_RETRY = Duration(seconds=1.0)
"""The reconnection delay told to clients of resumable event streams by default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SseOptions:
    """How the mock's Streamable HTTP event streams behave (stdio ignores them)."""

    resumable: bool = False
    """Each POST's event stream opens with a priming event (an id, empty data and ``retry``), its
    events are kept, and a GET with ``Last-Event-ID`` resumes it after a dropped connection
    (for clients on protocol 2025-11-25 or later: older ones cannot read a priming event)."""
    retry: Duration = SSE_RETRY
    """How long a client should wait before reconnecting (the priming event's ``retry``)."""


OAuthGrant = Literal["authorization_code", "refresh_token", "client_credentials"]
"""The grants the mock's authorization server offers."""
OAUTH_GRANTS: tuple[OAuthGrant, ...] = ("authorization_code", "refresh_token", "client_credentials")
ClientAuthMethod = Literal["none", "client_secret_basic", "client_secret_post", "private_key_jwt"]
"""How a client authenticates at the token endpoint (``none``: a public client)."""
CLIENT_AUTH_METHODS: tuple[ClientAuthMethod, ...] = (
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
)
Misbehaviour = Literal[
    "accept_wrong_audience",
    "accept_expired",
    "accept_any_issuer",
    "accept_insufficient_scope",
    "skip_pkce",
    "no_resource_metadata",
    "token_in_query",
]
"""A deliberate flaw of the mock's authorization, for proving that a client or a test notices."""
MISBEHAVIOURS: tuple[Misbehaviour, ...] = (
    "accept_wrong_audience",
    "accept_expired",
    "accept_any_issuer",
    "accept_insufficient_scope",
    "skip_pkce",
    "no_resource_metadata",
    "token_in_query",
)
TOKEN_LIFETIME = Duration(seconds=3600.0)
"""How long the mock's access tokens live by default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthClient:
    """A client registered in advance with the mock's authorization server."""

    client_id: str
    client_secret: str | None = None
    """For client_secret_basic and client_secret_post (use ${env:NAME})."""
    redirect_uris: tuple[str, ...] = ()
    """Where /authorize may send the code; a loopback URI (127.0.0.1, [::1], localhost) matches any port."""
    grants: tuple[OAuthGrant, ...] = ("authorization_code", "refresh_token")
    """The grants this client may use."""
    auth_method: ClientAuthMethod = "none"
    """How it authenticates at /token (default: client_secret_basic with a secret, private_key_jwt with
    keys, else none)."""
    jwks: Mapping[str, Plain] | None = None
    """The public keys (a JWK Set) that check its private_key_jwt assertions."""
    jwks_uri: str | None = None
    """Where to fetch the public keys that check its private_key_jwt assertions."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MockOAuth:
    """An embedded OAuth 2.1 authorization server in front of the mock's Streamable HTTP endpoint
    (MCP authorization 2025-11-25): metadata, /authorize, /token, /register, /jwks."""

    scopes: tuple[str, ...] = ()
    """The scopes offered (scopes_supported); a token asked for none gets all of them."""
    required_scopes: tuple[str, ...] = ()
    """Scopes every MCP request needs (403 insufficient_scope without them)."""
    tool_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Scopes a tools/call of the named tool needs on top of requiredScopes (step-up)."""
    token_lifetime: Duration = TOKEN_LIFETIME
    """How long an access token lives (default 1h); refresh tokens do not expire."""
    clients: tuple[OAuthClient, ...] = ()
    """Clients registered in advance."""
    registration: bool = True
    """Offer dynamic client registration (RFC 7591) at /register."""
    client_id_metadata_documents: bool = True
    """Accept a URL as client_id and fetch its client metadata document."""
    approve: Literal["auto", "deny"] = "auto"
    """What /authorize answers: a code at once (auto), or error=access_denied (deny)."""
    misbehave: tuple[Misbehaviour, ...] = ()
    """Deliberate flaws, each relaxing one check, so tests can prove a client or a suite notices."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class MockAuth:
    """How clients must authorize with the mock (Streamable HTTP only; stdio ignores it)."""

    oauth: MockOAuth


@dataclass(frozen=True, slots=True, kw_only=True)
class MockServerSpec:
    """``kind: MockServer``: what the fake server announces, lists and answers."""

    metadata: Metadata
    server_name: str
    """``serverInfo.name`` (default: ``metadata.name``)."""
    server_version: str = "1.0.0"
    server_title: str | None = None
    instructions: str | None = None
    behaviour: Behaviour = field(default_factory=Behaviour)
    seed: int | None = None
    """Seeds latency and error draws: the same seed gives the same run."""
    page_size: int | None = None
    """Lists are paginated with this many items a page (all in one page when unset)."""
    scenario: str = "default"
    """The scenario the mock starts in."""
    switches: tuple[ScenarioSwitch, ...] = ()
    tools: tuple[MockTool, ...] = ()
    resources: tuple[MockResource, ...] = ()
    resource_templates: tuple[MockResourceTemplate, ...] = ()
    prompts: tuple[MockPrompt, ...] = ()
    completions: tuple[Completion, ...] = ()
    subscriptions: bool = False
    """Accept ``resources/subscribe`` and ``resources/unsubscribe`` (announced as the resources
    capability's ``subscribe``)."""
    sse: SseOptions = field(default_factory=SseOptions)
    auth: MockAuth | None = None
    """Serve the MCP endpoint behind an embedded OAuth authorization server (HTTP only)."""
    source: Source
    spec_hash: str
