"""What a mock lists and serves besides tool calls: resources, templates, prompts, completions,
and the pagination every list shares."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpctl.mcp.jsonrpc import INVALID_PARAMS, JSONValue, Message
from mcpctl.spec.mock_model import Completion, MockPrompt, MockResource, MockResourceTemplate, MockServerSpec
from mcpctl.spec.templating import render_value

RESOURCE_NOT_FOUND = -32002
MAX_COMPLETIONS = 100


class RpcProblem(Exception):
    """Answer the request with this JSON-RPC error."""

    def __init__(self, code: int, message: str, data: JSONValue = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def page(items: Sequence[Message], key: str, params: Mapping[str, JSONValue], size: int | None) -> Message:
    """One page of ``items`` under ``key``, from the ``cursor`` in ``params``, with ``nextCursor``."""
    cursor = params.get("cursor")
    start = 0
    if cursor is not None:
        start = _offset(cursor)
    if size is None:
        return {key: list(items[start:])}
    chunk: Message = {key: list(items[start : start + size])}
    if start + size < len(items):
        chunk["nextCursor"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
    return chunk


def _offset(cursor: object) -> int:
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode()).decode()
        label, _, number = text.partition(":")
        if label == "offset" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise RpcProblem(INVALID_PARAMS, f"Invalid cursor: {cursor!r}")


def resource_entry(resource: MockResource) -> Message:
    entry: Message = {"uri": resource.uri, "name": resource.name}
    _describe(entry, resource.title, resource.description, resource.mime_type)
    return entry


def template_entry(template: MockResourceTemplate) -> Message:
    entry: Message = {"uriTemplate": template.uri_template, "name": template.name}
    _describe(entry, template.title, template.description, template.mime_type)
    return entry


def _describe(entry: Message, title: str | None, description: str, mime_type: str | None) -> None:
    if title:
        entry["title"] = title
    if description:
        entry["description"] = description
    if mime_type:
        entry["mimeType"] = mime_type


@dataclass(frozen=True, slots=True)
class _Template:
    pattern: re.Pattern[str]
    template: MockResourceTemplate


def _template_pattern(uri_template: str) -> re.Pattern[str]:
    # RFC 6570 level 1: {name} is one path segment; {+name} (reserved expansion) may span slashes
    parts, position = [], 0
    for match in re.finditer(r"\{(\+?)([A-Za-z0-9_.]+)\}", uri_template):
        parts.append(re.escape(uri_template[position : match.start()]))
        parts.append(f"(?P<{match.group(2).replace('.', '_')}>{'.+' if match.group(1) else '[^/?#]+'})")
        position = match.end()
    parts.append(re.escape(uri_template[position:]))
    return re.compile("".join(parts) + r"\Z")


class Catalog:
    """The resources, templates, prompts and completions of one mock spec."""

    def __init__(self, spec: MockServerSpec) -> None:
        self.spec = spec
        self.resources = {r.uri: r for r in spec.resources}
        self.templates = [_Template(_template_pattern(t.uri_template), t) for t in spec.resource_templates]
        self.prompts = {p.name: p for p in spec.prompts}
        self.resource_list = [resource_entry(r) for r in spec.resources]
        self.template_list = [template_entry(t) for t in spec.resource_templates]
        self.prompt_list = [prompt_entry(p) for p in spec.prompts]

    def read(self, uri: str, context: Mapping[str, object]) -> Message:
        """``resources/read``: a fixed resource, or the first template that matches ``uri``."""
        resource = self.resources.get(uri)
        if resource is not None:
            content: Message = {"uri": uri}
            if resource.mime_type:
                content["mimeType"] = resource.mime_type
            if resource.blob is not None:
                content["blob"] = resource.blob
            else:
                content["text"] = str(
                    render_value(resource.text or "", {**context, "uri": uri, "params": {}})
                )
            return {"contents": [content]}
        for candidate in self.templates:
            found = candidate.pattern.match(uri)
            if found is not None:
                template = candidate.template
                params = found.groupdict()
                text = render_value(template.text, {**context, "uri": uri, "params": params})
                content = {"uri": uri, "text": text if isinstance(text, str) else str(text)}
                if template.mime_type:
                    content["mimeType"] = template.mime_type
                return {"contents": [content]}
        raise RpcProblem(RESOURCE_NOT_FOUND, "Resource not found", {"uri": uri})

    def get_prompt(
        self, name: str, arguments: Mapping[str, JSONValue], context: Mapping[str, object]
    ) -> Message:
        """``prompts/get``: the prompt's messages rendered with its arguments."""
        prompt = self.prompts.get(name)
        if prompt is None:
            raise RpcProblem(INVALID_PARAMS, f"Unknown prompt: {name}")
        missing = [a.name for a in prompt.arguments if a.required and a.name not in arguments]
        if missing:
            raise RpcProblem(
                INVALID_PARAMS, f"Missing required arguments for prompt {name}: {', '.join(missing)}"
            )
        scope = {**context, "args": dict(arguments)}
        messages = [
            {"role": m.role, "content": render_value(dict(m.content), scope)} for m in prompt.messages
        ]
        result: Message = {"messages": messages}
        if prompt.description:
            result["description"] = prompt.description
        return result

    def complete(self, ref: Mapping[str, JSONValue], argument: Mapping[str, JSONValue]) -> Message:
        """``completion/complete``: the declared values that start with what was typed."""
        kind = ref.get("type")
        target = ref.get("name") if kind == "ref/prompt" else ref.get("uri")
        name, typed = argument.get("name"), str(argument.get("value") or "")
        values: list[str] = []
        for completion in self.spec.completions:
            if _refers(completion, kind, target) and completion.argument == name:
                values = [v for v in completion.values if v.lower().startswith(typed.lower())]
                break
        return {
            "completion": {
                "values": values[:MAX_COMPLETIONS],
                "total": len(values),
                "hasMore": len(values) > MAX_COMPLETIONS,
            }
        }


def _refers(completion: Completion, kind: object, target: object) -> bool:
    wanted = "ref/prompt" if completion.ref_type == "prompt" else "ref/resource"
    return kind == wanted and target == completion.ref


def prompt_entry(prompt: MockPrompt) -> Message:
    entry: Message = {"name": prompt.name}
    if prompt.title:
        entry["title"] = prompt.title
    if prompt.description:
        entry["description"] = prompt.description
    if prompt.arguments:
        entry["arguments"] = [
            {
                "name": a.name,
                **({"description": a.description} if a.description else {}),
                "required": a.required,
            }
            for a in prompt.arguments
        ]
    return entry
