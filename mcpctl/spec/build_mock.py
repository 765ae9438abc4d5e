"""A ``MockServer`` document, from validated YAML to :mod:`mcpctl.spec.mock_model` records.

Meaning is checked on the way: names unique, templates compiled, regexes and JSON Schemas valid,
answers that fit the tool's ``outputSchema``, argument matchers naming declared arguments,
completions naming what exists, latency fields that fit their distribution. Problems go to the
document's :class:`~mcpctl.spec.validate.Problems`; the records built alongside are then thrown away.

YAML → record rules the schema leaves open: a bare string answer (or ``text:``) is one text block;
an ``args`` entry is a matcher only if it is a non-empty mapping whose keys are all among
``equals``, ``matches``, ``schema``, ``exists`` (anything else, ``{}`` included, means equals);
``latency: 20ms`` is a fixed latency; a numeric ``server.version`` is kept as its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jsonschema.exceptions import best_match
from referencing.exceptions import Unresolvable

from mcpctl.spec.build_mock_auth import build_mock_auth
from mcpctl.spec.build_mock_calls import build_ask, build_log, build_sse
from mcpctl.spec.build_suite import duration, parsed, regex
from mcpctl.spec.mock_checks import (
    Templates,
    check_completions,
    check_latency,
    check_templates,
    template_variables,
)
from mcpctl.spec.mock_model import (
    ArgMatcher,
    Behaviour,
    ErrorAnswer,
    Latency,
    MockPrompt,
    MockResource,
    MockResourceTemplate,
    MockServerSpec,
    MockTool,
    Progress,
    PromptArgument,
    PromptMessage,
    Response,
    Rule,
    ScenarioSwitch,
    SseOptions,
)
from mcpctl.spec.model import Expected, Metadata
from mcpctl.spec.node import Plain
from mcpctl.spec.semantics import check_exclusive, check_json_schema, check_unique, json_schema_class
from mcpctl.spec.units import Duration, Percent, parse_percent
from mcpctl.spec.validate import Cursor

MATCHER_KEYS = frozenset({"equals", "matches", "schema", "exists"})
"""A mapping in ``when.args`` with only these keys is a matcher; any other value means equals."""
_RESULT_FIELDS = ("text", "content", "structuredContent", "isError")


def build_mock(doc: Cursor, *, metadata: Metadata, spec_hash: str) -> MockServerSpec:
    """The MockServer document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    server = doc.get("server")
    version = server.get("version") if server is not None else None
    sse = build_sse(doc.get("sse"))
    templates = tuple(_template(item) for item in _elements(doc, "resourceTemplates"))
    prompts = tuple(_prompt(item) for item in _elements(doc, "prompts"))
    _unique(doc, "tools", "name", "tool", "name")
    _unique(doc, "resources", "uri", "resource", "URI")
    _unique(doc, "resourceTemplates", "uriTemplate", "resource template", "uriTemplate")
    _unique(doc, "prompts", "name", "prompt", "name")
    return MockServerSpec(
        metadata=metadata,
        server_name=(server.text("name") if server is not None else None) or metadata.name,
        server_version=str(version.plain()) if version is not None else "1.0.0",
        server_title=server.text("title") if server is not None else None,
        instructions=server.text("instructions") if server is not None else None,
        behaviour=_behaviour(doc.get("behaviour")),
        seed=doc.integer("seed"),
        page_size=doc.integer("pageSize"),
        scenario=doc.text("scenario") or "default",
        switches=tuple(
            ScenarioSwitch(after=item.integer("after") or 1, to=item.text("to") or "")
            for item in _elements(doc, "switches")
        ),
        tools=tuple(_tool(item, sse) for item in _elements(doc, "tools")),
        resources=tuple(_resource(item) for item in _elements(doc, "resources")),
        resource_templates=templates,
        prompts=prompts,
        completions=check_completions(_elements(doc, "completions"), prompts, templates),
        subscriptions=doc.flag("subscriptions") or False,
        sse=sse,
        auth=build_mock_auth(
            doc.get("auth"), tools=[item.text("name") or "" for item in _elements(doc, "tools")]
        ),
        source=doc.source(),
        spec_hash=spec_hash,
    )


def _elements(cursor: Cursor, key: str) -> list[Cursor]:
    found = cursor.get(key)
    return found.elements() if found is not None else []


def _unique(doc: Cursor, key: str, field: str, what: str, noun: str) -> None:
    named = [(str(f.plain()), f) for item in _elements(doc, key) if (f := item.get(field)) is not None]
    check_unique(named, what, noun=noun)


# -- behaviour ----------------------------------------------------------------------------------


def _behaviour(cursor: Cursor | None) -> Behaviour:
    """Latency, error rate, injected error and progress at ``cursor`` (all unset when absent)."""
    if cursor is None:
        return Behaviour()
    progress = cursor.get("progress")
    return Behaviour(
        latency=latency(cursor.get("latency")),
        error_rate=_percent(cursor.get("errorRate")),
        error=_error(cursor.get("error")),
        progress=Progress(
            steps=progress.integer("steps") or 1,
            interval=duration(progress.get("interval")) or Duration(seconds=0),
        )
        if progress is not None
        else None,
    )


def latency(cursor: Cursor | None) -> Latency | None:
    """``20ms`` (fixed) or a distribution mapping, its fields checked against the distribution."""
    if cursor is None:
        return None
    if isinstance(cursor.node.value, str):
        value = duration(cursor)
        return Latency(value=value) if value is not None else None
    sigma = cursor.get("sigma")
    sigma_value = sigma.plain() if sigma is not None else None
    return Latency(
        distribution=check_latency(cursor),
        value=duration(cursor.get("value")),
        min=duration(cursor.get("min")),
        max=duration(cursor.get("max")),
        mean=duration(cursor.get("mean")),
        stddev=duration(cursor.get("stddev")),
        median=duration(cursor.get("median")),
        sigma=float(sigma_value) if isinstance(sigma_value, int | float) else None,
    )


def _percent(cursor: Cursor | None) -> Percent | None:
    return parsed(cursor, parse_percent)


def _error(cursor: Cursor | None) -> ErrorAnswer | None:
    if cursor is None:
        return None
    data = cursor.get("data")
    return ErrorAnswer(
        code=cursor.integer("code") or 0,
        message=cursor.text("message") or "",
        data=data.plain() if data is not None else None,
    )


# -- tools ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _ToolShape:
    """What a tool's answers and matchers are checked against."""

    arguments: tuple[str, ...] | None
    """The properties ``inputSchema`` declares (``None``: it declares none, any name goes)."""
    output_schema: Mapping[str, Plain] | None
    has_output_schema: bool
    """An ``outputSchema`` is written (valid or not): answers need structuredContent."""
    resumable: bool = False
    """``sse.resumable`` is on: an answer may ``disconnect``."""


def _tool(tool: Cursor, sse: SseOptions) -> MockTool:
    input_field, output_field = tool.get("inputSchema"), tool.get("outputSchema")
    input_schema = _object_schema(input_field, "inputSchema")
    output_schema = _object_schema(output_field, "outputSchema")
    properties = input_schema.get("properties") if input_schema is not None else None
    shape = _ToolShape(
        arguments=tuple(properties) if isinstance(properties, dict) else None,
        output_schema=output_schema,
        has_output_schema=output_field is not None,
        resumable=sse.resumable,
    )
    default, annotations, scenarios = tool.get("default"), tool.get("annotations"), tool.get("scenarios")
    annotation_value = annotations.plain() if annotations is not None else None
    return MockTool(
        name=tool.text("name") or "",
        title=tool.text("title"),
        description=tool.text("description") or "",
        input_schema=input_schema or {"type": "object"},
        output_schema=output_schema,
        annotations=annotation_value if isinstance(annotation_value, dict) else None,
        rules=tuple(_rule(item, shape) for item in _elements(tool, "responses")),
        default=_response(default, shape) if default is not None else None,
        behaviour=_behaviour(tool.get("behaviour")),
        scenarios=tuple(str(item.plain()) for item in scenarios.elements()) if scenarios else (),
        source=tool.source(),
    )


def _object_schema(cursor: Cursor | None, what: str) -> dict[str, Plain] | None:
    """A valid JSON Schema of ``type: object`` (MCP's rule for tool input and output), else ``None``."""
    schema = check_json_schema(cursor)
    if cursor is None or schema is None:
        return None
    kind = cursor.get("type")
    if kind is None:
        cursor.error(f"{what} must have type: object (it has no type)")
        return None
    if kind.plain() != "object":
        kind.error(f"{what} must have type: object (got {kind.plain()!r})")
        return None
    return schema


def _rule(rule: Cursor, shape: _ToolShape) -> Rule:
    when = rule.get("when")
    args = when.get("args") if when is not None else None
    respond = rule.get("respond")
    assert respond is not None  # the schema requires it
    answers = respond.elements() if isinstance(respond.node.value, list) else [respond]
    return Rule(
        args={name: _matcher(field, name, shape) for name, field in args.items()} if args else {},
        schema=check_json_schema(when.get("schema")) if when is not None else None,
        scenario=rule.text("scenario"),
        respond=tuple(_response(item, shape) for item in answers),
        cycle=rule.flag("cycle") or False,
        source=rule.source(),
    )


def _matcher(field: Cursor, name: str, shape: _ToolShape) -> ArgMatcher:
    if shape.arguments is not None and name not in shape.arguments:
        known = (
            f"inputSchema has: {', '.join(shape.arguments)}" if shape.arguments else "inputSchema has none"
        )
        field.error(f"unknown argument {name!r} ({known})", key=True)
    value = field.node.value
    if not (isinstance(value, dict) and value and set(value) <= MATCHER_KEYS):
        return ArgMatcher(equals=Expected(value=field.plain()))
    equals = field.get("equals")
    return ArgMatcher(
        equals=Expected(value=equals.plain()) if equals is not None else None,
        matches=regex(field.get("matches")),
        schema=check_json_schema(field.get("schema")),
        exists=field.flag("exists"),
    )


def _response(cursor: Cursor, shape: _ToolShape) -> Response:
    """A bare string (one text block) or a mapping of text or content, structuredContent, isError,
    or error; checking it fits the tool's outputSchema."""
    if isinstance(cursor.node.value, str):
        check_templates(cursor, Templates(answer=False))
        if shape.has_output_schema:
            cursor.error("a tool with an outputSchema must answer with structuredContent")
        return Response(content=({"type": "text", "text": cursor.node.value},))
    check_exclusive(cursor, ("text", "content"), "response")
    error = cursor.get("error")
    clash = [name for name in _RESULT_FIELDS if name in cursor.node.keys]
    if error is not None and clash:
        error.error(f"error cannot be combined with {', '.join(clash)} (a response that fails has no result)")
    structured, ask = cursor.get("structuredContent"), cursor.get("ask")
    scope = Templates(answer=ask is not None)
    _check_answer(cursor, structured, shape, error is not None, scope)
    text, content = cursor.get("text"), cursor.get("content")
    check_templates(text, scope)
    check_templates(content, scope)
    disconnect = cursor.get("disconnect")
    if disconnect is not None and disconnect.plain() is True and not shape.resumable:
        disconnect.error(
            "disconnect needs resumable event streams (sse: {resumable: true}): "
            "a client could never get this answer"
        )
    return Response(
        content=_blocks(text, content),
        structured_content=Expected(value=structured.plain()) if structured is not None else None,
        is_error=cursor.flag("isError") or False,
        error=_error(error),
        latency=latency(cursor.get("latency")),
        switch_to=cursor.text("switchTo"),
        log=tuple(build_log(item) for item in _elements(cursor, "log")),
        ask=build_ask(ask),
        disconnect=cursor.flag("disconnect") or False,
        crash=cursor.flag("crash") or False,
    )


def _check_answer(
    cursor: Cursor, structured: Cursor | None, shape: _ToolShape, fails: bool, scope: Templates
) -> None:
    """structuredContent must be there when an outputSchema is, and (when it is plain data) fit it."""
    templated = check_templates(structured, scope)
    if structured is None:
        if shape.has_output_schema and not fails and not cursor.flag("isError"):
            cursor.error("a tool with an outputSchema must answer with structuredContent")
        return
    if shape.output_schema is None or templated or cursor.flag("isError"):
        return  # an error result need not fit the schema of a successful one
    validator = json_schema_class(shape.output_schema)(shape.output_schema)
    try:
        problem = best_match(validator.iter_errors(structured.plain()))
    except Unresolvable as exc:
        structured.error(f"cannot check structuredContent: a $ref of the tool's outputSchema: {exc}")
        return
    if problem is not None:
        where = "".join(f"/{part}" for part in problem.absolute_path) or "/"
        structured.error(
            f"structuredContent does not match the tool's outputSchema: {where}: {problem.message}"
        )


def _blocks(text: Cursor | None, content: Cursor | None) -> tuple[Mapping[str, Plain], ...]:
    if text is not None:
        return ({"type": "text", "text": str(text.plain())},)
    return tuple(_block(item) for item in content.elements()) if content is not None else ()


def _block(cursor: Cursor) -> dict[str, Plain]:
    value = cursor.plain()
    resource = cursor.get("resource")
    if resource is not None:
        check_exclusive(resource, ("text", "blob"), "resource")
    return value if isinstance(value, dict) else {}


# -- resources, templates, prompts ----------------------------------------------------------------


def _resource(cursor: Cursor) -> MockResource:
    check_exclusive(cursor, ("text", "blob"), "resource")
    check_templates(cursor.get("text"), Templates())
    return MockResource(
        uri=cursor.text("uri") or "",
        name=cursor.text("name") or "",
        title=cursor.text("title"),
        description=cursor.text("description") or "",
        mime_type=cursor.text("mimeType"),
        text=cursor.text("text"),
        blob=cursor.text("blob"),
        source=cursor.source(),
    )


def _template(cursor: Cursor) -> MockResourceTemplate:
    uri_template = cursor.text("uriTemplate") or ""
    variables = template_variables(uri_template)
    field = cursor.get("uriTemplate")
    if field is not None and not variables:
        field.error(
            f"{uri_template!r} has no {{variable}}: a resource template needs at least one "
            "(repo://{owner}/{name}); use resources for a fixed URI"
        )
    params = (f"template {uri_template!r}", variables) if variables else None  # none: reported above
    check_templates(cursor.get("text"), Templates(params=params))
    return MockResourceTemplate(
        uri_template=uri_template,
        name=cursor.text("name") or "",
        title=cursor.text("title"),
        description=cursor.text("description") or "",
        mime_type=cursor.text("mimeType"),
        text=cursor.text("text") or "",
        source=cursor.source(),
    )


def _prompt(cursor: Cursor) -> MockPrompt:
    name = cursor.text("name") or ""
    arguments = tuple(
        PromptArgument(
            name=item.text("name") or "",
            description=item.text("description") or "",
            required=item.flag("required") or False,
        )
        for item in _elements(cursor, "arguments")
    )
    _unique(cursor, "arguments", "name", "argument", "name")
    names = tuple(argument.name for argument in arguments)
    scope = Templates(args=(f"prompt {name!r}", names))
    return MockPrompt(
        name=name,
        title=cursor.text("title"),
        description=cursor.text("description") or "",
        arguments=arguments,
        messages=tuple(_message(item, scope) for item in _elements(cursor, "messages")),
        source=cursor.source(),
    )


def _message(cursor: Cursor, scope: Templates) -> PromptMessage:
    check_exclusive(cursor, ("text", "content"), "message")
    text, content = cursor.get("text"), cursor.get("content")
    check_templates(text, scope)
    check_templates(content, scope)
    if content is not None:
        block = _block(content)
    else:
        block = {"type": "text", "text": str(text.plain()) if text is not None else ""}
    return PromptMessage(role="assistant" if cursor.text("role") == "assistant" else "user", content=block)
