"""What a recording brought back (:class:`Tape`) and the MockServer document it becomes.

Everything the server said is data, never template or ``${env:...}`` reference: strings that
contain template syntax are wrapped in ``{% raw %}``, and ``${env:`` is escaped as ``$${env:``.
Recorded answers become exact-match ``responses`` (every declared argument either ``equals`` the
value sent or must be absent); answers to the same arguments given twice become a sequence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mcpctl.errors import RpcError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.results import CallResult
from mcpctl.spec.mock_checks import template_variables
from mcpctl.spec.templating import has_template

_ANNOTATIONS = ("title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
_BLOCK_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("type", "text", "annotations", "_meta"),
    "image": ("type", "data", "mimeType", "annotations", "_meta"),
    "audio": ("type", "data", "mimeType", "annotations", "_meta"),
    "resource_link": (
        "type",
        "uri",
        "name",
        "title",
        "description",
        "mimeType",
        "size",
        "annotations",
        "_meta",
    ),
    "resource": ("type", "resource", "annotations", "_meta"),
}
_EMBEDDED_KEYS = ("uri", "mimeType", "text", "blob", "_meta")
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_ENV_REFERENCE = re.compile(r"\$(?=\{env:[^}]*\})")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerFacts:
    """What the handshake told about the server, and how the user named it."""

    info: Message
    capabilities: Message
    instructions: str | None = None
    protocol: str = ""
    source: str
    """The URL or command recorded (for the header)."""


@dataclass(slots=True)
class Tape:
    """What the probes brought back, keyed for the document."""

    tools: dict[str, Message]
    answers: dict[str, dict[str, tuple[Message, list[Message]]]] = field(default_factory=dict)
    reads: dict[str, Message] = field(default_factory=dict)
    prompts: dict[str, list[Message]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    calls: int = 0


def literal(text: str) -> str:
    """``text`` as a template that renders to itself (``{% raw %}`` around template syntax)."""
    if not has_template(text):
        return text
    inner = _ENDRAW.sub(lambda m: "{% endraw %}{{ " + repr(m.group(0)) + " }}{% raw %}", text)
    return "{% raw %}" + inner + "{% endraw %}"


def literal_value(value: JSONValue) -> JSONValue:
    """Every string inside ``value`` made :func:`literal`."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, list):
        return [literal_value(item) for item in value]
    if isinstance(value, dict):
        return {key: literal_value(item) for key, item in value.items()}
    return value


def escape_env(value: JSONValue) -> JSONValue:
    """Every ``${env:NAME}`` inside ``value`` escaped as ``$${env:NAME}`` (the loader would substitute it)."""
    if isinstance(value, str):
        return _ENV_REFERENCE.sub("$$", value)
    if isinstance(value, list):
        return [escape_env(item) for item in value]
    if isinstance(value, dict):
        return {key: escape_env(item) for key, item in value.items()}
    return value


def rpc_error(exc: RpcError) -> Message:
    error: Message = {"code": exc.code, "message": exc.rpc_message}
    if exc.data is not None:
        error["data"] = exc.data
    return error


def call_answer(result: CallResult) -> Message:
    answer: Message = {"content": [block for b in result.content if (block := _block(b)) is not None]}
    if result.structured_content is not None:
        answer["structuredContent"] = literal_value(result.structured_content)
    if result.is_error:
        answer["isError"] = True
    return answer


def _block(block: Message) -> Message | None:
    """A content block the schema accepts (foreign keys dropped), its strings literal."""
    keys = _BLOCK_KEYS.get(str(block.get("type")))
    if keys is None:
        return None
    kept = {key: block[key] for key in keys if key in block}
    resource = kept.get("resource")
    if isinstance(resource, dict):
        kept["resource"] = {key: resource[key] for key in _EMBEDDED_KEYS if key in resource}
    return {key: value if key == "type" else literal_value(value) for key, value in kept.items()}


def build_document(
    facts: ServerFacts,
    name: str | None,
    tape: Tape,
    resources: Sequence[Message],
    templates: Sequence[Message],
    prompts: Sequence[Message],
) -> dict[str, JSONValue]:
    info = facts.info
    server: Message = {"name": str(info.get("name") or "recorded"), "version": str(info.get("version") or "")}
    if isinstance(info.get("title"), str):
        server["title"] = info["title"]
    if facts.instructions:
        server["instructions"] = facts.instructions
    doc: dict[str, JSONValue] = {
        "apiVersion": "mcpctl/v1",
        "kind": "MockServer",
        "metadata": {
            "name": name or document_name(str(info.get("name") or "")),
            "description": f"Recorded from {facts.source} by mcpctl mock record.",
        },
        "server": server,
    }
    sections = {
        "tools": [_tool(tool, tape.answers.get(str(tool.get("name")), {})) for tool in tape.tools.values()],
        "resources": _resources(resources, tape),
        "resourceTemplates": [t for entry in templates if (t := _template(entry, tape)) is not None],
        "prompts": [_prompt(prompt, tape.prompts.get(str(prompt.get("name")))) for prompt in prompts],
    }
    doc.update((key, items) for key, items in sections.items() if items)
    escaped = escape_env(doc)
    assert isinstance(escaped, dict)
    return escaped


def document_name(server_name: str) -> str:
    """A ``metadata.name`` made from ``serverInfo.name``: ``mcp-servers/everything`` →
    ``mcp-servers-everything``."""
    slug = _NAME_CHARS.sub("-", server_name).strip("-_.")[:63]
    return slug or "recorded"


def _described(entry: Message, source: Message, keys: Sequence[str]) -> Message:
    entry.update((key, source[key]) for key in keys if isinstance(source.get(key), str) and source[key])
    return entry


def _object_schema(value: JSONValue) -> Message:
    schema = dict(value) if isinstance(value, dict) else {}
    schema.setdefault("type", "object")  # MCP requires it; the mock refuses a schema without
    return schema


def _tool(tool: Message, answers: Mapping[str, tuple[Message, list[Message]]]) -> Message:
    entry = _described({"name": tool.get("name")}, tool, ("title", "description"))
    entry["inputSchema"] = _object_schema(tool.get("inputSchema"))
    if isinstance(tool.get("outputSchema"), dict):
        entry["outputSchema"] = _object_schema(tool["outputSchema"])
    annotations = tool.get("annotations")
    if isinstance(annotations, dict):
        kept = {key: annotations[key] for key in _ANNOTATIONS if key in annotations}
        if kept:
            entry["annotations"] = kept
    rules = [_rule(arguments, responses, entry["inputSchema"]) for arguments, responses in answers.values()]
    if rules:
        entry["responses"] = rules
    return entry


def _rule(arguments: Message, responses: list[Message], input_schema: Message) -> Message:
    same = all(response == responses[0] for response in responses)
    rule: Message = {}
    if arguments:
        rule["when"] = _when(arguments, input_schema)
    rule["respond"] = responses[0] if same else responses
    return rule


def _when(arguments: Message, input_schema: Message) -> Message:
    """Conditions only these exact arguments meet."""
    props = input_schema.get("properties")
    if isinstance(props, dict) and set(arguments) <= set(props):
        given: Message = {key: {"equals": value} for key, value in arguments.items()}
        absent: Message = {key: {"exists": False} for key in props if key not in arguments}
        return {"args": given | absent}
    return {"schema": {"const": arguments}}  # arguments the schema does not declare


def _resources(listed: Sequence[Message], tape: Tape) -> list[Message]:
    by_uri = {str(entry.get("uri")): entry for entry in listed}
    extra = {uri: {"uri": uri, "name": uri} for uri in tape.reads if uri not in by_uri}
    return [_resource(entry, tape.reads.get(uri), tape) for uri, entry in (by_uri | extra).items()]


def _resource(entry: Message, read: Message | None, tape: Tape) -> Message:
    uri = str(entry.get("uri"))
    resource = _described({"uri": uri, "name": entry.get("name") or uri}, entry, ("title", "description"))
    contents = read.get("contents") if read is not None else None
    first = contents[0] if isinstance(contents, list) and contents and isinstance(contents[0], dict) else {}
    mime = first.get("mimeType") or entry.get("mimeType")
    if isinstance(mime, str):
        resource["mimeType"] = mime
    if isinstance(contents, list) and len(contents) > 1:
        tape.notes.append(f"read {uri}: {len(contents)} contents; the mock serves the first only")
    if isinstance(first.get("blob"), str):
        resource["blob"] = first["blob"]
    elif isinstance(first.get("text"), str):
        resource["text"] = literal(first["text"])
    else:
        resource["text"] = f"(not recorded by mcpctl mock record: {literal(uri)})"
    return resource


def _template(entry: Message, tape: Tape) -> Message | None:
    uri_template = str(entry.get("uriTemplate"))
    if not template_variables(uri_template):
        tape.notes.append(
            f"resource template {uri_template}: only {{name}} variables are supported; left out"
        )
        return None
    template = _described({"uriTemplate": uri_template, "name": entry.get("name") or uri_template}, entry, ())
    _described(template, entry, ("title", "description", "mimeType"))
    template["text"] = "(no answer recorded for {{ uri }})"
    return template


def _prompt(prompt: Message, messages: list[Message] | None) -> Message:
    name = str(prompt.get("name"))
    entry = _described({"name": name}, prompt, ("title", "description"))
    arguments = prompt.get("arguments")
    if isinstance(arguments, list) and arguments:
        entry["arguments"] = [
            _described(
                {"name": arg.get("name"), "required": arg.get("required") is True}, arg, ("description",)
            )
            for arg in arguments
            if isinstance(arg, dict)
        ]
    recorded = [m for m in (_message(message) for message in messages or []) if m is not None]
    entry["messages"] = recorded or [{"role": "user", "text": f"(prompt {name}: no answer recorded)"}]
    return entry


def _message(message: Message) -> Message | None:
    role = message.get("role")
    content = message.get("content")
    block = _block(content) if isinstance(content, dict) else None
    if role not in ("user", "assistant") or block is None:
        return None
    if block.get("type") == "text" and set(block) == {"type", "text"}:
        return {"role": role, "text": block["text"]}
    return {"role": role, "content": block}
